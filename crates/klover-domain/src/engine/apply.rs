//! A turn's effects on the session: what the plan states, corrects, completes and where
//! it moves; and the turn of a session already over.

use super::{Mode, SessionState, TurnOutcome, progress};
use crate::assess::Assessment;
use crate::curriculum::Curriculum;
use crate::ids::ConceptId;
use crate::policy::{Move, TutorPlan};

/// Applies the plan's effects on the session; returns `(from, to)` on an advance. What the
/// tutor states (an assertion, or an authored answer's `states`) is marked stated by the
/// tutor: no longer a gap, and never credited to the learner.
pub(super) fn apply_plan(
    curriculum: &Curriculum,
    state: &mut SessionState,
    plan: &TutorPlan,
) -> Option<(ConceptId, ConceptId)> {
    for id in plan.stated_checkpoints(curriculum, &state.learner) {
        state.learner.mark_stated(&id);
    }
    let mut advanced = None;
    let summarized = plan
        .moves
        .iter()
        .any(|m| matches!(m, Move::Summarize { .. }));
    for m in &plan.moves {
        match m {
            Move::Correct {
                misconception,
                level: 1,
            } => state.learner.correct(misconception),
            Move::Advance { from, to } => {
                // A concept is completed when closed with its summary, not when a question
                // about another concept moves the session there.
                if summarized {
                    state.completed.insert(from.clone());
                }
                state.concept = to.clone();
                state.visited.push(to.clone());
                advanced = Some((from.clone(), to.clone()));
            }
            Move::Finish => {
                state.completed.insert(state.concept.clone());
                state.finished = true;
            }
            _ => {}
        }
    }
    advanced
}

pub(super) fn finished_outcome(
    curriculum: &Curriculum,
    state: &mut SessionState,
    assessment: Assessment,
) -> TurnOutcome {
    state.finished = true;
    let plan = TutorPlan {
        concept: state.concept.clone(),
        moves: vec![Move::Finish],
        focus: None,
        may_state: Vec::new(),
        withhold: Vec::new(),
        again: None,
        act: None,
        wording: 0,
    };
    TurnOutcome {
        assessment,
        covered: Vec::new(),
        misconceptions: Vec::new(),
        aha: None,
        offline_text: crate::voice::render_for(curriculum, &plan, None, state.mode == Mode::Review),
        plan,
        advanced: None,
        progress: progress(curriculum, state),
        finished: true,
        elsewhere: Vec::new(),
        next: None,
    }
}
