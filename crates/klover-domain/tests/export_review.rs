//! An export of a review session says "Review", not "First exposure", and its footer
//! takes the next review from the schedule.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod export_common;

use chrono::{TimeZone, Utc};
use export_common::{date, seed_transcript};
use klover_domain::export::{ExportOptions, SessionKind, render};
use klover_domain::review::{CardReason, Rating, new_card, next_due, schedule};
use klover_domain::{CheckpointId, ConceptId};

#[test]
fn an_export_after_a_review_says_review_with_the_rescheduled_date() {
    // The learning session on Feb 3 made a card, due Feb 4; it is reviewed then, well.
    let session = Utc.with_ymd_and_hms(2026, 2, 3, 18, 0, 0).unwrap();
    let card = new_card(
        CheckpointId::parse("cpu-work-blocks-loop").unwrap(),
        CardReason::Aha,
        session,
    );
    let review_time = card.due;
    let rescheduled = schedule(&card, Rating::Good, review_time).unwrap();

    let mut t = seed_transcript();
    t.kind = SessionKind::Review;
    t.concepts.truncate(1);
    t.concepts[0].id = ConceptId::parse("event-loop").unwrap();
    t.concepts[0].title = "The event loop".into();
    t.turns.retain(|turn| turn.concept.as_str() == "event-loop");
    t.date = review_time.date_naive();
    t.ended_at = review_time;
    t.next_review = next_due(&[rescheduled]);

    let md = render(&t, &ExportOptions::default()).unwrap();
    assert!(!md.contains("First exposure"), "{md}");
    assert!(
        md.contains(
            "*Session: Feb 4, 2026. Review — one concept revisited. Review scheduled in 2 days.*"
        ),
        "{md}"
    );
    assert!(
        md.contains("In this review, we revisit the event loop."),
        "{md}"
    );
    assert!(md.starts_with("# Async Python — review\n"), "{md}");
    assert_eq!(
        t.next_review.map(|d| d.date_naive()),
        Some(date("2026-02-06")),
        "good on a new card: two days"
    );
}

#[test]
fn a_first_session_says_first_exposure() {
    let md = render(&seed_transcript(), &ExportOptions::default()).unwrap();
    assert!(md.contains("First exposure — lots of new concepts."));
    assert!(!md.contains("Review —"));
}
