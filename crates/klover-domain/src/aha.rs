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
