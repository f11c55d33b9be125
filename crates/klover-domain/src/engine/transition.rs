//! A transition as its own moment: the plan that closes a concept (summary, advance) and
//! the next concept's opening question become two tutor turns, so the concept divider
//! comes between them and a stop during the closing cannot take the next question away.

use super::{Mode, Opening, SessionState, progress};
use crate::curriculum::Curriculum;
use crate::policy::{Move, TutorPlan};

/// Splits a plan that closes a concept with its summary and opens the next one into the
/// closing (every move but the new concept's `Ask`) and the opening (that `Ask`, with the
/// plan's focus: a review probe's checkpoint). Any other plan is returned whole.
pub(super) fn split(plan: TutorPlan) -> (TutorPlan, Option<TutorPlan>) {
    let summarized = plan
        .moves
        .iter()
        .any(|m| matches!(m, Move::Summarize { .. }));
    let ask = plan.moves.iter().position(|m| match m {
        Move::Ask { concept } => plan
            .moves
            .iter()
            .any(|a| matches!(a, Move::Advance { to, .. } if to == concept)),
        _ => false,
    });
    let Some(ask) = ask.filter(|_| summarized) else {
        return (plan, None);
    };
    let mut closing = plan;
    let opening = TutorPlan {
        concept: closing.concept.clone(),
        moves: vec![closing.moves.remove(ask)],
        focus: closing.focus.take(),
        may_state: Vec::new(),
        withhold: closing.withhold.clone(),
        again: None,
        act: None,
        wording: 0,
    };
    (closing, Some(opening))
}

/// The opening turn of the concept the session just moved to, worded as a session's
/// opening is (no redirect: the learner has not been asked it yet).
pub(super) fn opening(curriculum: &Curriculum, state: &SessionState, plan: TutorPlan) -> Opening {
    let review = state.mode == Mode::Review;
    Opening {
        offline_text: crate::voice::render_for(curriculum, &plan, None, review),
        plan,
        progress: progress(curriculum, state),
    }
}
