//! Progress reports: per concept, what the learner has reached, in their own words. The
//! text of an unreached checkpoint is never here (clients show it, exports quote it).

use serde::{Deserialize, Serialize};

use super::SessionState;
use crate::curriculum::{Concept, Curriculum};
use crate::ids::{CheckpointId, ConceptId};
use crate::learner::LearnerModel;

/// One checkpoint in a progress report. The text of an unreached checkpoint is never here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointProgress {
    /// The checkpoint.
    pub id: CheckpointId,
    /// The learner has shown it (mastered).
    pub reached: bool,
    /// The learner's own words that showed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The tutor stated it after the learner's tries (not the learner's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stated_by_tutor: bool,
}

/// Progress in the current concept, as sent to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The concept.
    pub concept: ConceptId,
    /// Concept mastery in [0, 1].
    pub mastery: f64,
    /// Per checkpoint, in authored order.
    pub checkpoints: Vec<CheckpointProgress>,
    /// Checkpoints neither reached nor stated by the tutor.
    pub remaining: usize,
}

/// Progress in the session's current concept.
pub fn progress(curriculum: &Curriculum, state: &SessionState) -> Progress {
    let Some(concept) = curriculum.concept(&state.concept) else {
        return Progress {
            concept: state.concept.clone(),
            mastery: 0.0,
            checkpoints: Vec::new(),
            remaining: 0,
        };
    };
    concept_progress(concept, &state.learner)
}

/// Progress in one concept from a learner model.
pub fn concept_progress(concept: &Concept, learner: &LearnerModel) -> Progress {
    let checkpoints: Vec<CheckpointProgress> = concept
        .checkpoints
        .iter()
        .map(|c| {
            let k = learner.checkpoints.get(&c.id);
            let reached = learner.is_mastered(&c.id);
            CheckpointProgress {
                id: c.id.clone(),
                reached,
                evidence: k.and_then(|k| k.evidence.clone()).filter(|_| reached),
                stated_by_tutor: k.is_some_and(|k| k.stated_by_tutor),
            }
        })
        .collect();
    let remaining = checkpoints
        .iter()
        .filter(|c| !c.reached && !c.stated_by_tutor)
        .count();
    Progress {
        concept: concept.id.clone(),
        mastery: learner.concept_mastery(concept),
        checkpoints,
        remaining,
    }
}
