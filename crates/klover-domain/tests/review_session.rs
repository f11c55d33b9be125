//! The review cycle through the real engine, with a fixed clock: a learning session makes
//! cards, a review session re-probes a due one, and the answer reschedules it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, Utc};
use klover_domain::engine::{self, Mode};
use klover_domain::review::{self, CardReason, Rating};
use klover_domain::{CheckpointId, ConceptId};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-02-03T18:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn cp(id: &str) -> CheckpointId {
    CheckpointId::parse(id).unwrap()
}

#[test]
fn a_learning_session_makes_cards_for_its_aha_and_its_weak_checkpoints() {
    let c = common::async_python();
    let loop_id = ConceptId::parse("event-loop").unwrap();
    let (mut state, _) = engine::start(&c, Some(&loop_id)).unwrap();
    engine::offline_turn(&c, &mut state, "Everything else pauses.", None).unwrap();
    let aha = [cp("cpu-task-blocks-loop")];
    let cards = review::session_cards(&c, &state, &aha, t0());

    let concept = c.concept(&loop_id).unwrap();
    for k in &concept.checkpoints {
        let carded = cards.iter().find(|card| card.checkpoint == k.id);
        let mastery = state.learner.p_known(&k.id);
        match carded {
            Some(card) if k.id == aha[0] => assert_eq!(card.reason, CardReason::Aha),
            Some(card) => assert_eq!(card.reason, CardReason::Weak, "{}", k.id),
            None => assert!(
                mastery >= review::WEAK_BELOW,
                "{} is weak ({mastery}) but has no card",
                k.id
            ),
        }
    }
    assert!(
        cards.iter().any(|c| c.reason == CardReason::Weak),
        "one turn leaves weak checkpoints"
    );
    assert!(cards.iter().all(|c| c.due == t0() + Duration::days(1)));
    assert!(
        cards
            .iter()
            .all(|card| c.checkpoint(&card.checkpoint).unwrap().0.id == loop_id)
    );
}

/// Re-probes the card in a review session, answering with `answers` until a turn settles
/// the card's rating; returns the card after scheduling, the rating and the turns taken.
fn review_with(answers: &[&str]) -> (review::Card, Rating, usize) {
    review_card("cpu-task-blocks-loop", answers)
}

/// As [`review_with`], for the card of `checkpoint`.
fn review_card(checkpoint: &str, answers: &[&str]) -> (review::Card, Rating, usize) {
    let c = common::async_python();
    let card = review::new_card(cp(checkpoint), CardReason::Aha, t0());
    let now = t0() + Duration::days(1);
    let due: Vec<CheckpointId> = review::due(std::slice::from_ref(&card), now)
        .into_iter()
        .map(|c| c.checkpoint.clone())
        .collect();
    assert_eq!(due, [cp(checkpoint)], "due the day after");
    let (mut state, opening) = engine::start_review(&c, &due).unwrap();
    assert_eq!(state.mode, Mode::Review);
    assert_eq!(
        state.concept,
        c.checkpoint(&due[0]).unwrap().0.id,
        "the review opens on the card's concept"
    );
    let mut last = opening.offline_text;
    for (n, answer) in answers.iter().enumerate() {
        let outcome = engine::offline_turn(&c, &mut state, answer, Some(&last)).unwrap();
        last = outcome.said_last().to_owned();
        let ratings = review::review_ratings(&state, &outcome);
        if let Some((id, rating)) = ratings.into_iter().next() {
            assert_eq!(id, due[0]);
            return (review::schedule(&card, rating, now).unwrap(), rating, n + 1);
        }
    }
    panic!("no answer settled the card: {answers:?}");
}

const GOOD: &str = "A CPU-bound task never reaches a wait, so it blocks the single-threaded event \
                    loop: everything else pauses.";

#[test]
fn a_due_card_answered_well_in_a_review_session_moves_out() {
    let (next, rating, turns) = review_with(&[GOOD]);
    assert_eq!(turns, 1);
    assert!(rating >= Rating::Good, "{rating:?}");
    let now = t0() + Duration::days(1);
    assert!(next.due - now >= Duration::days(2), "{:?}", next.due - now);
    assert_eq!(next.reps, 1);
}

#[test]
fn an_answer_found_only_after_a_hint_is_rated_hard_at_best() {
    let (next, rating, turns) = review_with(&["The loop just switches to another task.", GOOD]);
    assert_eq!(
        turns, 2,
        "the first answer settles nothing; the tutor hints"
    );
    assert_eq!(rating, Rating::Hard);
    assert_eq!(next.lapses, 0);
}

#[test]
fn a_due_card_the_tutor_has_to_state_comes_back_soon() {
    let stuck = [
        "The loop just switches to another task.",
        "It keeps switching between tasks.",
        "The other tasks keep running too.",
    ];
    let (next, rating, turns) = review_with(&stuck);
    assert_eq!(
        turns, 3,
        "the tutor states it after the second unsuccessful try"
    );
    assert_eq!(rating, Rating::Again);
    let now = t0() + Duration::days(1);
    assert!(next.due - now <= Duration::days(1), "{:?}", next.due - now);
    assert_eq!(next.lapses, 1);
}

#[test]
fn a_review_opens_with_the_cards_review_question_and_hints_when_the_learner_forgot() {
    let c = common::async_python();
    let due = [cp("cpu-task-blocks-loop")];
    let (mut state, opening) = engine::start_review(&c, &due).unwrap();
    let (_, k) = c.checkpoint(&due[0]).unwrap();
    let question = k.review_question.as_deref().unwrap();
    assert!(
        opening.offline_text.ends_with(question),
        "{}",
        opening.offline_text
    );
    let concept = c.concept(&state.concept).unwrap();
    assert!(!opening.offline_text.contains(&concept.opening_question));
    let forgot = engine::offline_turn(
        &c,
        &mut state,
        "I don't remember.",
        Some(&opening.offline_text),
    )
    .unwrap();
    assert_eq!(
        forgot.offline_text, k.hints[0],
        "the vague hint, not the question again"
    );
    let tell =
        engine::offline_turn(&c, &mut state, "Tell me.", Some(&forgot.offline_text)).unwrap();
    assert!(
        tell.offline_text.contains(&k.hints[1]),
        "{}",
        tell.offline_text
    );
    assert!(!tell.offline_text.contains(&k.statement));
}

/// A recall in other words than the statement's ("The event loop is single-threaded: only
/// one task is actually running at any moment."), that says it only as an answer to the
/// review question ("How many tasks … at any single moment, and on how many threads?").
const IN_CONTEXT: &str = "only ever the one, and just one";

#[test]
fn a_recall_phrased_differently_is_assessed_against_the_review_question_and_is_a_success() {
    let c = common::async_python();
    let id = cp("loop-single-threaded");
    let (state, opening) = engine::start_review(&c, std::slice::from_ref(&id)).unwrap();
    let (_, k) = c.checkpoint(&id).unwrap();
    assert!(
        opening
            .offline_text
            .ends_with(k.review_question.as_deref().unwrap())
    );
    // The same words without the question say nothing about the loop.
    let mut cold = state.clone();
    let blind = engine::offline_turn(&c, &mut cold, IN_CONTEXT, None).unwrap();
    assert!(
        !blind.covered.contains(&id),
        "{:?}",
        blind.assessment.scores
    );
    // As the answer to the review question the tutor just asked: recalled, a success.
    let (next, rating, turns) = review_card("loop-single-threaded", &[IN_CONTEXT]);
    assert_eq!(turns, 1);
    assert_ne!(rating, Rating::Again, "a correct recall is an FSRS success");
    assert!(rating >= Rating::Good, "{rating:?}");
    assert_eq!(next.lapses, 0);
    assert!(next.due - (t0() + Duration::days(1)) >= Duration::days(2));
}
