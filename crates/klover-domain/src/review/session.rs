//! Glue between the engine and the review schedule: the cards a finished session makes,
//! and the score a review answer earned. Pure, like the rest of [`crate::review`].

use chrono::{DateTime, Utc};

use super::{Card, CheckpointOutcome, Rating, cards_from_session, rate};
use crate::assess::Assessment;
use crate::curriculum::Curriculum;
use crate::engine::{SessionState, TurnOutcome};
use crate::ids::CheckpointId;
use crate::policy::Move;

/// How each checkpoint of the concepts the session visited stands at its end: mastery
/// from the engine's learner model, `aha` when the session recorded one on it.
pub fn session_outcomes(
    curriculum: &Curriculum,
    state: &SessionState,
    aha: &[CheckpointId],
) -> Vec<CheckpointOutcome> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for concept_id in &state.visited {
        if seen.contains(&concept_id) {
            continue;
        }
        seen.push(concept_id);
        let Some(concept) = curriculum.concept(concept_id) else {
            continue;
        };
        for cp in &concept.checkpoints {
            out.push(CheckpointOutcome {
                checkpoint: cp.id.clone(),
                mastery: state.learner.p_known(&cp.id),
                aha: aha.contains(&cp.id),
            });
        }
    }
    out
}

/// The cards to add when a learning session ends: [`cards_from_session`] over
/// [`session_outcomes`]. A checkpoint that already has a card keeps it (its FSRS state
/// and due date; a review session is what moves them): the store's write leaves it as it
/// is (`Store::add_session_review_cards`).
pub fn session_cards(
    curriculum: &Curriculum,
    state: &SessionState,
    aha: &[CheckpointId],
    now: DateTime<Utc>,
) -> Vec<Card> {
    cards_from_session(&session_outcomes(curriculum, state, aha), now)
}

/// The score a review answer earned on the checkpoint being re-probed (0 when the
/// assessment does not score it, e.g. the learner answered about something else).
/// Feed it to [`super::rate`].
pub fn review_score(assessment: &Assessment, checkpoint: &CheckpointId) -> f64 {
    assessment
        .scores
        .get(checkpoint)
        .map_or(0.0, |s| s.score.clamp(0.0, 1.0))
}

/// The ratings one learner turn of a review session settles, to feed [`super::schedule`]:
///
/// - a checkpoint under review that the turn credited: [`rate`] of its score, but at
///   best [`Rating::Hard`] when the learner needed a hint or an earlier try;
/// - a checkpoint under review that the tutor had to state: [`Rating::Again`].
///
/// Checkpoints still being probed get no rating yet, so each card is rescheduled once per
/// review session. Call after `engine::learner_turn` with the state it left.
pub fn review_ratings(state: &SessionState, outcome: &TurnOutcome) -> Vec<(CheckpointId, Rating)> {
    let queue = &state.review_queue;
    let mut out = Vec::new();
    for id in outcome.covered.iter().filter(|id| queue.contains(id)) {
        let helped = state.dialogue.tries.get(id).copied().unwrap_or(0) > 0
            || state.dialogue.probes.get(id).copied().unwrap_or(0) > 0;
        let rating = rate(review_score(&outcome.assessment, id));
        out.push((
            id.clone(),
            if helped {
                rating.min(Rating::Hard)
            } else {
                rating
            },
        ));
    }
    for m in &outcome.plan.moves {
        if let Move::Assert { checkpoint } = m
            && queue.contains(checkpoint)
            && !out.iter().any(|(id, _)| id == checkpoint)
        {
            out.push((checkpoint.clone(), Rating::Again));
        }
    }
    out
}
