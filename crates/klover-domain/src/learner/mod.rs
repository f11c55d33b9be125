//! The learner model: Bayesian Knowledge Tracing per checkpoint, concept mastery, and the
//! gap (checkpoints not yet shown, misconceptions still active).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::assess::{Assessment, COVERED};
use crate::curriculum::Concept;
use crate::ids::{CheckpointId, MisconceptionId};

/// Probability of knowing at or above which a checkpoint is mastered.
pub const MASTERED: f64 = 0.95;

/// Below this score a targeted miss counts against the learner (between it and
/// [`COVERED`] a turn is partial: no update either way).
pub const PARTIAL: f64 = crate::assess::PARTIAL_SCORE;

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
    /// Closed because the tutor asked its question and stated the correction, not
    /// because the learner said the correcting idea (absent in older JSON: false).
    #[serde(default)]
    pub corrected_by_tutor: bool,
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
    ///
    /// A score at or above [`COVERED`] is a correct observation. A miss is an incorrect
    /// observation only where it says something: the checkpoint was `targeted` by the
    /// tutor's last move (and the turn was not a question), or the learner stated it
    /// negated. Anything else leaves the checkpoint alone: not mentioning an idea while
    /// talking about another is no evidence. Mastery is kept for the rest of the session
    /// once reached (forgetting is the review scheduler's business). A checkpoint the tutor
    /// stated is never credited to the learner.
    pub fn observe(
        &mut self,
        concept: &Concept,
        assessment: &Assessment,
        text: &str,
        targeted: &[CheckpointId],
    ) -> Vec<CheckpointId> {
        let mut newly = Vec::new();
        let attempted = crate::assess::act::act_of(assessment).is_attempt();
        for cp in &concept.checkpoints {
            let score = assessment.scores.get(&cp.id);
            let was = self.p_known(&cp.id);
            let entry = self
                .checkpoints
                .entry(cp.id.clone())
                .or_insert(CheckpointKnowledge {
                    p_known: was,
                    evidence: None,
                    stated_by_tutor: false,
                });
            if entry.stated_by_tutor {
                continue;
            }
            let value = score.map_or(0.0, |s| s.score);
            if value >= COVERED {
                entry.p_known = bkt_update(&self.params, entry.p_known, true);
                let quote = score
                    .and_then(|s| s.evidence)
                    .and_then(|span| span.quote(text))
                    .unwrap_or(text);
                entry.evidence = Some(quote.trim().to_owned());
            } else if was < MASTERED
                && (assessment.negated.contains(&cp.id)
                    || (attempted && value < PARTIAL && targeted.contains(&cp.id)))
            {
                entry.p_known = bkt_update(&self.params, entry.p_known, false);
            }
            if was < MASTERED && entry.p_known >= MASTERED {
                newly.push(cp.id.clone());
            }
        }
        for hit in &assessment.misconceptions {
            let quote = hit.evidence.and_then(|s| s.quote(text)).unwrap_or(text);
            self.misconceptions.insert(
                hit.id.clone(),
                MisconceptionState {
                    active: true,
                    evidence: Some(quote.trim().to_owned()),
                    corrected_by_tutor: false,
                },
            );
        }
        newly
    }

    /// Records one correct observation of a checkpoint outside the current concept (the
    /// learner stated it in passing), with their words. A checkpoint the tutor stated is
    /// left alone.
    pub fn credit(&mut self, id: &CheckpointId, quote: &str) {
        let p = self.p_known(id);
        let params = self.params;
        let entry = self
            .checkpoints
            .entry(id.clone())
            .or_insert(CheckpointKnowledge {
                p_known: p,
                evidence: None,
                stated_by_tutor: false,
            });
        if !entry.stated_by_tutor {
            entry.p_known = bkt_update(&params, entry.p_known, true);
            entry.evidence = Some(quote.to_owned());
        }
    }

    /// Records that the tutor stated a checkpoint (Assert): it no longer counts as a gap,
    /// and the learner is not credited for it.
    pub fn mark_stated(&mut self, id: &CheckpointId) {
        let p = self.p_known(id);
        let entry = self
            .checkpoints
            .entry(id.clone())
            .or_insert(CheckpointKnowledge {
                p_known: p,
                evidence: None,
                stated_by_tutor: true,
            });
        entry.stated_by_tutor = true;
    }

    /// Records that the learner repeated what the tutor had just said: stated by the
    /// tutor, repeated by the learner. It counts as done for the path, the learner gets
    /// the learning step of the repetition but no evidence step (mastery rises less than
    /// for their own words), and it is never their insight.
    pub fn mark_repeated(&mut self, id: &CheckpointId) {
        let p = self.p_known(id);
        let learn = self.params.p_learn;
        let entry = self
            .checkpoints
            .entry(id.clone())
            .or_insert(CheckpointKnowledge {
                p_known: p,
                evidence: None,
                stated_by_tutor: false,
            });
        if !entry.stated_by_tutor && p < MASTERED {
            // Never mastered by repetition alone.
            entry.p_known = (p + (1.0 - p) * learn).min(MASTERED - 0.01).max(p);
        }
        entry.stated_by_tutor = true;
    }

    /// Marks a misconception as no longer held (resolved by the learner or corrected).
    pub fn resolve(&mut self, id: &MisconceptionId) {
        if let Some(m) = self.misconceptions.get_mut(id) {
            m.active = false;
        }
    }

    /// Closes a misconception whose correction the tutor stated after its question.
    pub fn correct(&mut self, id: &MisconceptionId) {
        if let Some(m) = self.misconceptions.get_mut(id) {
            m.active = false;
            m.corrected_by_tutor = true;
        }
    }

    /// Whether a misconception is active.
    pub fn is_active(&self, id: &MisconceptionId) -> bool {
        self.misconceptions.get(id).is_some_and(|m| m.active)
    }

    /// Whether the checkpoint is done for the path: mastered, or stated by the tutor.
    pub fn is_done(&self, id: &CheckpointId) -> bool {
        self.is_mastered(id) || self.checkpoints.get(id).is_some_and(|k| k.stated_by_tutor)
    }

    /// Weighted mean of P(known) over the concept's checkpoints, in [0, 1].
    pub fn concept_mastery(&self, concept: &Concept) -> f64 {
        let total: f64 = concept.checkpoints.iter().map(|c| c.weight.max(0.0)).sum();
        if total <= 0.0 {
            return 0.0;
        }
        let known: f64 = concept
            .checkpoints
            .iter()
            .map(|c| c.weight.max(0.0) * self.p_known(&c.id))
            .sum();
        (known / total).clamp(0.0, 1.0)
    }

    /// The concept's gap.
    pub fn gap(&self, concept: &Concept) -> Gap {
        Gap {
            missing: concept
                .checkpoints
                .iter()
                .filter(|c| !self.is_done(&c.id))
                .map(|c| c.id.clone())
                .collect(),
            misconceptions: concept
                .misconceptions
                .iter()
                .filter(|m| self.is_active(&m.id))
                .map(|m| m.id.clone())
                .collect(),
        }
    }
}

/// One BKT step: the posterior given the observation, then the learning transition.
pub fn bkt_update(p: &BktParams, prior: f64, correct: bool) -> f64 {
    let prior = prior.clamp(0.0, 1.0);
    let posterior = if correct {
        let num = prior * (1.0 - p.p_slip);
        num / (num + (1.0 - prior) * p.p_guess)
    } else {
        let num = prior * p.p_slip;
        num / (num + (1.0 - prior) * (1.0 - p.p_guess))
    };
    let posterior = if posterior.is_finite() {
        posterior
    } else {
        prior
    };
    (posterior + (1.0 - posterior) * p.p_learn).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests;
