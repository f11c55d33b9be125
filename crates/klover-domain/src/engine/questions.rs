//! Questions the current concept has no answer for, matched against the authored
//! questions of the other concepts (the policy decides whether to go there).

use super::{Mode, SessionState};
use crate::assess::{AssessRequest, Assessment, RubricAssessor};
use crate::curriculum::Curriculum;
use crate::ids::ConceptId;

/// Authored questions of other concepts (not completed) that a question the current
/// concept has no answer for matches, as `(concept, question index)`; learning only. The
/// policy decides which of them, if any, it may go to.
pub(super) fn elsewhere(
    curriculum: &Curriculum,
    state: &SessionState,
    text: &str,
    a: &Assessment,
) -> Vec<(ConceptId, usize)> {
    if state.mode != Mode::Learn || !a.asked_question || a.asked_for_answer || a.question.is_some()
    {
        return Vec::new();
    }
    let rubric = RubricAssessor::new();
    curriculum
        .ordered_concepts()
        .into_iter()
        .filter(|c| c.id != state.concept && !state.completed.contains(&c.id))
        .filter_map(|concept| {
            let req = AssessRequest {
                curriculum,
                concept,
                text,
                last_tutor: None,
            };
            let question = rubric.question_now(req)?;
            Some((concept.id.clone(), question))
        })
        .collect()
}
