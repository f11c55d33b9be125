//! Credit beyond the current concept: a learner who states, in passing, an insight of a
//! concept they have visited, completed or may start next ("…because the threads share
//! memory", while discussing the GIL) gets it recorded in their model. It does not steer
//! the move: the tutor keeps to the concept at hand.

use crate::assess::{AssessRequest, COVERED, RubricAssessor};
use crate::curriculum::Curriculum;
use crate::ids::CheckpointId;

use super::SessionState;

/// The checkpoints of other reachable concepts that `text` states, not yet mastered nor
/// stated by the tutor, with the learner's words. A sentence that shows one of that
/// concept's misconceptions or contradicts the checkpoint earns nothing (the rubric's
/// rule), and nothing is read in the context of the tutor's question, which was about
/// the current concept.
pub fn credits(
    curriculum: &Curriculum,
    state: &SessionState,
    text: &str,
) -> Vec<(CheckpointId, String)> {
    let reachable = |c: &crate::curriculum::Concept| {
        c.id != state.concept
            && (state.visited.contains(&c.id)
                || state.completed.contains(&c.id)
                || c.prerequisites.iter().all(|p| state.completed.contains(p)))
    };
    // Mastered or stated by the tutor: a concept whose every checkpoint is done can
    // credit nothing, and is not read.
    let known = |id: &CheckpointId| state.learner.is_done(id);
    let open = |c: &crate::curriculum::Concept| c.checkpoints.iter().any(|cp| !known(&cp.id));
    let mut out = Vec::new();
    for concept in curriculum
        .concepts
        .iter()
        .filter(|c| reachable(c) && open(c))
    {
        let a = RubricAssessor::new().scores_now(AssessRequest {
            curriculum,
            concept,
            text,
            last_tutor: None,
        });
        for (id, s) in &a.scores {
            if s.score >= COVERED && !known(id) {
                let quote = s.evidence.and_then(|e| e.quote(text)).unwrap_or(text);
                out.push((id.clone(), quote.trim().to_owned()));
            }
        }
    }
    out
}
