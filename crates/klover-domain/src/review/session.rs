//! Glue between the engine and the review schedule: the cards a finished session makes,
//! and the score a review answer earned. Pure, like the rest of [`crate::review`].

use chrono::{DateTime, Utc};

use super::{Card, CheckpointOutcome, cards_from_session};
use crate::assess::Assessment;
use crate::curriculum::Curriculum;
use crate::engine::SessionState;
use crate::ids::CheckpointId;

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
/// [`session_outcomes`], minus checkpoints that already have a card (their FSRS state
/// and due date are kept; a review session is what moves them).
pub fn session_cards(
    curriculum: &Curriculum,
    state: &SessionState,
    aha: &[CheckpointId],
    existing: &[CheckpointId],
    now: DateTime<Utc>,
) -> Vec<Card> {
    let outcomes = session_outcomes(curriculum, state, aha);
    let mut cards = cards_from_session(&outcomes, now);
    cards.retain(|c| !existing.contains(&c.checkpoint));
    cards
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
