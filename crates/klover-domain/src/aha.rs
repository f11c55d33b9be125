//! Aha detection: the moment a learner gets something *after struggling* with it. A
//! checkpoint newly stated in the learner's own words counts only when they had missed
//! it before (the tutor had to hint at it, or a try on it failed: a wrong answer, "I
//! don't know", "just tell me") or had struggled in the concept (a misconception, "I
//! don't know", a question the tutor answered). Never the learner's first turn, never a
//! checkpoint the tutor's last turn said, never an echo of it. A misconception dropped
//! for the correcting idea after its challenge is an aha too.

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
    /// The tutor move that unlocked it (the last one in this concept that probed).
    pub triggered_by: Move,
    /// What the learner struggled with before (absent in ahas stored before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub struggle: Option<Struggle>,
}

/// What the learner struggled with before an aha.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Struggle {
    /// The tutor had to hint at (or prompt for) the checkpoint.
    Hinted,
    /// An answer to a probe of the checkpoint missed it (a wrong try, "I don't know",
    /// "just tell me").
    MissedTry,
    /// Earlier in the concept the learner said they did not know or asked to be told.
    DontKnow,
    /// Earlier in the concept the learner asked a question the tutor answered.
    Question,
    /// The learner worked it out: the sentence that states it shares no word with the
    /// tutor's last turn (a consequence reasoned out, not recalled or echoed).
    Inferred,
    /// The learner held a misconception of the concept.
    Misconception {
        /// Which one.
        id: MisconceptionId,
    },
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
    /// Checkpoints newly credited this turn (echoes of the tutor are not).
    pub covered: &'a [CheckpointId],
    /// P(known) of each covered checkpoint before this turn.
    pub prior: &'a [(CheckpointId, f64)],
    /// Misconceptions the learner dropped this turn for the correcting idea.
    pub resolved: &'a [MisconceptionId],
    /// The tutor's last two plans, oldest first.
    pub recent: &'a [crate::policy::TutorPlan],
    /// This is the learner's first turn of the session (their baseline, never an aha).
    pub first_turn: bool,
    /// Per checkpoint, the struggle before this turn (see [`Struggle`]); a checkpoint
    /// without one was not struggled with.
    pub struggles: &'a [(CheckpointId, Struggle)],
    /// Checkpoints the tutor's last turn said (its words credit them): never an aha.
    pub said_by_tutor: &'a [CheckpointId],
}

/// Detects an aha: a checkpoint newly stated, below [`MISSED_BELOW`] before, struggled
/// with before (see [`Struggle`]) and not said by the tutor's last turn; or a
/// misconception dropped for the correcting idea right after its challenge. The
/// learner's first turn of a session is their baseline, never an aha.
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
        if before >= MISSED_BELOW || input.said_by_tutor.contains(cp) {
            continue;
        }
        let Some((_, struggle)) = input.struggles.iter().find(|(id, _)| id == cp) else {
            continue;
        };
        if let Some(trigger) = trigger_for(input, |m| focused_on(m, cp)) {
            let span = input.assessment.scores.get(cp).and_then(|s| s.evidence);
            return Some(Aha {
                concept: input.concept.clone(),
                checkpoint: Some(cp.clone()),
                misconception: None,
                quote: quote(input.text, span),
                span,
                triggered_by: trigger,
                struggle: Some(struggle.clone()),
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
        struggle: Some(Struggle::Misconception { id: id.clone() }),
    })
}

/// The latest move of the last two tutor turns in this concept that asked the learner to
/// think, preferring one aimed at it: a hint, prompt, correction, analogy, answer (which
/// hands a question back), pump or question.
fn trigger_for(input: &AhaInput<'_>, aimed: impl Fn(&Move) -> bool) -> Option<Move> {
    let mut fallback = None;
    for plan in input.recent.iter().rev() {
        if &plan.concept != input.concept {
            continue;
        }
        for m in plan.moves.iter().rev() {
            if aimed(m) {
                return Some(m.clone());
            }
            let triggers = m.is_probe() || matches!(m, Move::Answer { .. });
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
