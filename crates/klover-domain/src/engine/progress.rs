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
    /// Its label ([`crate::curriculum::Checkpoint::label`]), only once it is reached or
    /// stated by the tutor: before, a title would give the answer away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
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
            let stated_by_tutor = k.is_some_and(|k| k.stated_by_tutor);
            CheckpointProgress {
                id: c.id.clone(),
                title: (reached || stated_by_tutor).then(|| c.label()),
                reached,
                evidence: k.and_then(|k| k.evidence.clone()).filter(|_| reached),
                stated_by_tutor,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learner::BktParams;

    const CONCEPT: &str = r#"
id = "a"
title = "Concept A"
opening_question = "Explain A?"
summary = "A is alpha and beta."

[[checkpoints]]
id = "x-is-alpha"
title = "X is alpha"
statement = "X is alpha."
cues = ["alpha"]
hints = ["Vague?", "Specific?"]

[[checkpoints]]
id = "y-is-beta"
statement = "Y is beta."
cues = ["beta"]
hints = ["Vague?", "Specific?"]
"#;

    fn concept() -> Concept {
        crate::testing::one_concept(CONCEPT).concepts[0].clone()
    }

    #[test]
    fn an_unreached_checkpoint_has_no_title_a_reached_or_stated_one_has_its_label() {
        let concept = concept();
        let mut learner = LearnerModel::new(BktParams::default());
        let p = concept_progress(&concept, &learner);
        assert!(
            p.checkpoints.iter().all(|c| c.title.is_none()),
            "a title before it is reached would give the answer away: {p:?}"
        );
        let x = concept.checkpoints[0].id.clone();
        let y = concept.checkpoints[1].id.clone();
        learner.checkpoints.insert(
            x,
            crate::learner::CheckpointKnowledge {
                p_known: 0.99,
                evidence: Some("alpha".into()),
                stated_by_tutor: false,
            },
        );
        learner.mark_stated(&y);
        let p = concept_progress(&concept, &learner);
        assert_eq!(p.checkpoints[0].title.as_deref(), Some("X is alpha"));
        assert_eq!(
            p.checkpoints[1].title.as_deref(),
            Some("Y is beta"),
            "no authored title: the id made readable"
        );
        assert_eq!(p.remaining, 0);
    }
}
