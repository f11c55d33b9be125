//! FSRS scheduling with a fixed clock: what becomes a card, when it is due, and how a good
//! or a bad answer moves it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, Utc};
use klover_domain::CheckpointId;
use klover_domain::review::{
    Card, CardReason, CheckpointOutcome, MIN_RELEARN, Rating, cards_from_session, due, new_card,
    next_due, rate, schedule,
};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-02-03T18:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn card() -> Card {
    new_card(
        CheckpointId::parse("io-leaves-cpu-idle").unwrap(),
        CardReason::Aha,
        t0(),
    )
}

fn interval(c: &Card) -> Duration {
    c.due - c.last_review.unwrap()
}

#[test]
fn a_new_card_is_due_the_next_day_and_not_before() {
    let c = card();
    assert!(due(std::slice::from_ref(&c), t0()).is_empty());
    assert!(due(std::slice::from_ref(&c), t0() + Duration::hours(23)).is_empty());
    assert_eq!(
        due(std::slice::from_ref(&c), t0() + Duration::days(1)).len(),
        1
    );
    assert_eq!(next_due(&[c]), Some(t0() + Duration::days(1)));
}

#[test]
fn a_card_answered_well_moves_out_and_keeps_moving_out() {
    let first_review = t0() + Duration::days(1);
    let once = schedule(&card(), Rating::Good, first_review).unwrap();
    assert!(
        interval(&once) > Duration::days(1),
        "good → more than a day: {:?}",
        interval(&once)
    );
    assert_eq!(once.reps, 1);
    assert_eq!(once.lapses, 0);
    let twice = schedule(&once, Rating::Good, once.due).unwrap();
    assert!(
        interval(&twice) > interval(&once),
        "{:?} then {:?}",
        interval(&once),
        interval(&twice)
    );
    let m1 = once.memory.unwrap();
    let m2 = twice.memory.unwrap();
    assert!(m2.stability > m1.stability);
}

#[test]
fn a_card_answered_badly_comes_back_soon() {
    let first_review = t0() + Duration::days(1);
    let good = schedule(&card(), Rating::Good, first_review).unwrap();
    let lapsed = schedule(&good, Rating::Again, good.due).unwrap();
    let wait = interval(&lapsed);
    assert!(wait <= Duration::days(1) && wait >= MIN_RELEARN, "{wait:?}");
    assert_eq!(lapsed.lapses, 1);
    assert!(lapsed.memory.unwrap().stability < good.memory.unwrap().stability);
    assert_eq!(
        due(std::slice::from_ref(&lapsed), good.due + Duration::days(1)).len(),
        1
    );
}

#[test]
fn better_answers_wait_longer() {
    let now = t0() + Duration::days(1);
    let waits: Vec<Duration> = [Rating::Again, Rating::Hard, Rating::Good, Rating::Easy]
        .into_iter()
        .map(|r| interval(&schedule(&card(), r, now).unwrap()))
        .collect();
    assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
    assert!(waits[0] < waits[3]);
    // The figures docs/export.md quotes for a new card (FSRS-6 defaults, 90 % retention).
    assert!(
        waits[0] > Duration::hours(4) && waits[0] < Duration::hours(6),
        "{waits:?}"
    );
    assert_eq!(
        &waits[1..],
        [Duration::days(1), Duration::days(2), Duration::days(8)]
    );
}

#[test]
fn scores_map_to_ratings_as_documented() {
    assert_eq!(rate(0.0), Rating::Again);
    assert_eq!(rate(0.39), Rating::Again);
    assert_eq!(rate(f64::NAN), Rating::Again);
    assert_eq!(rate(0.40), Rating::Hard);
    assert_eq!(rate(0.64), Rating::Hard);
    assert_eq!(rate(0.65), Rating::Good);
    assert_eq!(rate(0.89), Rating::Good);
    assert_eq!(rate(0.90), Rating::Easy);
    assert_eq!(rate(1.5), Rating::Easy);
}

#[test]
fn aha_moments_and_weak_checkpoints_become_cards_strong_ones_do_not() {
    let o = |cp: &str, mastery: f64, aha: bool| CheckpointOutcome {
        checkpoint: CheckpointId::parse(cp).unwrap(),
        mastery,
        aha,
    };
    let cards = cards_from_session(
        &[
            o("aha-one", 0.95, true),
            o("weak-one", 0.3, false),
            o("strong-one", 0.97, false),
            o("weak-one", 0.5, true),
        ],
        t0(),
    );
    let got: Vec<(&str, CardReason)> = cards
        .iter()
        .map(|c| (c.checkpoint.as_str(), c.reason))
        .collect();
    assert_eq!(
        got,
        [("aha-one", CardReason::Aha), ("weak-one", CardReason::Aha)]
    );
    assert!(
        cards
            .iter()
            .all(|c| c.due == t0() + Duration::days(1) && c.memory.is_none())
    );
}

#[test]
fn due_lists_the_most_overdue_first() {
    let mut a = card();
    a.due = t0() - Duration::days(3);
    let mut b = card();
    b.due = t0() - Duration::days(5);
    let mut later = card();
    later.due = t0() + Duration::days(2);
    let cards = [a.clone(), later, b.clone()];
    let got: Vec<DateTime<Utc>> = due(&cards, t0()).into_iter().map(|c| c.due).collect();
    assert_eq!(got, [b.due, a.due]);
}
