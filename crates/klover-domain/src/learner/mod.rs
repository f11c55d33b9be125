//! The learner model: Bayesian Knowledge Tracing per checkpoint, concept mastery, and the
//! gap (checkpoints not yet shown, misconceptions still active).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::assess::Assessment;
use crate::curriculum::Concept;
use crate::ids::{CheckpointId, MisconceptionId};

/// Probability of knowing at or above which a checkpoint is mastered.
pub const MASTERED: f64 = 0.95;

/// Bayesian Knowledge Tracing parameters (see `docs/engine.md` for why these values).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BktParams {
    /// P(L0): the learner knows it before any evidence.
    pub p_init: f64,
    /// P(T): chance of learning it at each opportunity.
    pub p_learn: f64,
    /// P(G): stating it without knowing it.
    pub p_guess: f64,
    /// P(S): failing to state it although known.
    pub p_slip: f64,
}

impl Default for BktParams {
    fn default() -> Self {
        Self {
            p_init: 0.25,
            p_learn: 0.3,
            p_guess: 0.02,
            p_slip: 0.1,
        }
    }
}

/// What the model holds about one checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointKnowledge {
    /// P(known), in [0, 1].
    pub p_known: f64,
    /// The learner's own words that showed it (latest credited turn).
    pub evidence: Option<String>,
    /// The tutor stated it (Assert): the learner is not credited for repeating it.
    pub stated_by_tutor: bool,
}

/// What the model holds about one misconception.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MisconceptionState {
    /// The learner still holds it, as far as we know.
    pub active: bool,
    /// The learner's words that showed it.
    pub evidence: Option<String>,
}

/// Mastery per checkpoint and misconception status for one learner in one session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LearnerModel {
    /// The BKT parameters in use.
    pub params: BktParams,
    /// Knowledge per checkpoint seen so far (absent means the prior).
    pub checkpoints: BTreeMap<CheckpointId, CheckpointKnowledge>,
    /// Misconceptions the learner has shown.
    pub misconceptions: BTreeMap<MisconceptionId, MisconceptionState>,
}

/// What the learner has not shown yet in a concept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    /// Checkpoints neither mastered nor stated by the tutor, in authored order.
    pub missing: Vec<CheckpointId>,
    /// Misconceptions still active.
    pub misconceptions: Vec<MisconceptionId>,
}

impl LearnerModel {
    /// A model with these parameters and no evidence.
    pub fn new(params: BktParams) -> Self {
        Self {
            params,
            ..Self::default()
        }
    }

    /// P(known) of a checkpoint.
    pub fn p_known(&self, id: &CheckpointId) -> f64 {
        self.checkpoints
            .get(id)
            .map_or(self.params.p_init, |k| k.p_known)
    }

    /// Whether the learner has mastered a checkpoint (P(known) ≥ [`MASTERED`]).
    pub fn is_mastered(&self, id: &CheckpointId) -> bool {
        self.p_known(id) >= MASTERED
    }

    /// Updates from one assessed turn; returns the checkpoints newly mastered.
    /// `targeted` are the checkpoints the tutor's last move probed: only for those does a
    /// miss count as evidence of not knowing.
    pub fn observe(
        &mut self,
        _concept: &Concept,
        _assessment: &Assessment,
        _text: &str,
        _targeted: &[CheckpointId],
    ) -> Vec<CheckpointId> {
        Vec::new()
    }

    /// Weighted mean of P(known) over the concept's checkpoints, in [0, 1].
    pub fn concept_mastery(&self, _concept: &Concept) -> f64 {
        0.0
    }

    /// The concept's gap.
    pub fn gap(&self, concept: &Concept) -> Gap {
        Gap {
            missing: concept.checkpoints.iter().map(|c| c.id.clone()).collect(),
            misconceptions: Vec::new(),
        }
    }
}
