//! Aha detection: a turn where the learner states, after being probed, a checkpoint they
//! had missed, or drops a misconception they had shown.

use serde::{Deserialize, Serialize};

use crate::assess::Span;
use crate::ids::{CheckpointId, ConceptId, MisconceptionId};
use crate::policy::Move;

/// An aha moment, kept for review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aha {
    /// The concept it happened in.
    pub concept: ConceptId,
    /// The checkpoint the learner reached (if the aha is a checkpoint).
    pub checkpoint: Option<CheckpointId>,
    /// The misconception the learner dropped (if the aha is a resolved misconception).
    pub misconception: Option<MisconceptionId>,
    /// The learner's words.
    pub quote: String,
    /// Where the quote is in the learner's text.
    pub span: Option<Span>,
    /// The tutor move that probed it.
    pub triggered_by: Move,
}

/// Probability of knowing below which a newly stated checkpoint counts as missed before.
pub const MISSED_BELOW: f64 = 0.4;

/// What aha detection looks at, after the learner model's update.
#[derive(Debug, Clone, Copy)]
pub struct AhaInput<'a> {
    /// The concept of the turn.
    pub concept: &'a ConceptId,
    /// The learner's text.
    pub text: &'a str,
    /// The turn's assessment (for evidence spans).
    pub assessment: &'a crate::assess::Assessment,
    /// Checkpoints newly credited this turn.
    pub covered: &'a [CheckpointId],
    /// P(known) of each covered checkpoint before this turn.
    pub prior: &'a [(CheckpointId, f64)],
    /// Misconceptions the learner dropped this turn after being challenged.
    pub resolved: &'a [MisconceptionId],
    /// The tutor's last two plans, oldest first.
    pub recent: &'a [crate::policy::TutorPlan],
    /// This is the learner's first turn of the session (their baseline, never an aha).
    pub first_turn: bool,
}

/// Detects an aha: a checkpoint newly stated, that was below [`MISSED_BELOW`] before,
/// within two tutor turns of a probe in the same concept (see `trigger_for`); or a
/// misconception dropped right after it was challenged. The learner's first turn of a
/// session is their baseline, never an aha.
pub fn detect(input: &AhaInput<'_>) -> Option<Aha> {
    if input.first_turn {
        return None;
    }
    for cp in input.covered {
        let before = input
            .prior
            .iter()
            .find(|(id, _)| id == cp)
            .map_or(0.0, |(_, p)| *p);
        if before >= MISSED_BELOW {
            continue;
        }
        if let Some(trigger) = trigger_for(input, |m| focused_on(m, cp)) {
            let span = input.assessment.scores.get(cp).and_then(|s| s.evidence);
            return Some(Aha {
                concept: input.concept.clone(),
                checkpoint: Some(cp.clone()),
                misconception: None,
                quote: quote(input.text, span),
                span,
                triggered_by: trigger,
            });
        }
    }
    let id = input.resolved.first()?;
    let trigger = trigger_for(
        input,
        |m| matches!(m, Move::Correct { misconception, .. } if misconception == id),
    )?;
    Some(Aha {
        concept: input.concept.clone(),
        checkpoint: None,
        misconception: Some(id.clone()),
        quote: quote(input.text, None),
        span: None,
        triggered_by: trigger,
    })
}

/// The latest probe that may trigger an aha in this concept, preferring one aimed at it.
/// Hints, prompts, corrections, analogies and answers (which hand a question back) count
/// within the last two tutor turns; the concept's question counts only as the very last
/// tutor turn (answering it straight away); a pump ("what else?") never does.
fn trigger_for(input: &AhaInput<'_>, aimed: impl Fn(&Move) -> bool) -> Option<Move> {
    let mut fallback = None;
    for (age, plan) in input.recent.iter().rev().enumerate() {
        if &plan.concept != input.concept {
            continue;
        }
        for m in plan.moves.iter().rev() {
            if aimed(m) {
                return Some(m.clone());
            }
            let triggers = match m {
                Move::Hint { .. }
                | Move::Prompt { .. }
                | Move::Correct { .. }
                | Move::Analogy { .. }
                | Move::Answer { .. } => true,
                Move::Ask { .. } => age == 0,
                _ => false,
            };
            if triggers && fallback.is_none() {
                fallback = Some(m.clone());
            }
        }
    }
    fallback
}

fn focused_on(m: &Move, cp: &CheckpointId) -> bool {
    matches!(m, Move::Hint { checkpoint, .. } | Move::Prompt { checkpoint } if checkpoint == cp)
}

fn quote(text: &str, span: Option<Span>) -> String {
    span.and_then(|s| s.quote(text))
        .unwrap_or(text)
        .trim()
        .to_owned()
}
