//! The engine: one learner turn through assess → learner model → aha → policy → voice,
//! over a serialisable [`SessionState`] that the store persists as JSON.
//!
//! The caller (server, `klover replay`) assesses the turn (rubric or LLM judge, through
//! [`crate::assess::Assessor`]) and hands the [`Assessment`] to [`learner_turn`]; the
//! offline path does both in [`offline_turn`].

mod apply;
mod carry;
mod dialogue;
mod elsewhere;
mod progress;
mod questions;
pub mod replay;
mod transition;

pub use carry::{Carried, StartFrom, completed, current_concept, start_from};
pub use progress::{CheckpointProgress, Progress, concept_progress, progress};

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::aha::Aha;
use crate::assess::{AssessRequest, Assessment, RubricAssessor};
use crate::curriculum::Curriculum;
use crate::ids::{CheckpointId, ConceptId, CurriculumId, MisconceptionId};
use crate::learner::LearnerModel;
use crate::policy::{DialogueState, Focus, Move, PolicyInput, TutorPlan};

/// Why the engine cannot start or move a session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The curriculum has no concept with this id.
    #[error("the curriculum has no concept `{0}`")]
    UnknownConcept(ConceptId),
    /// The curriculum has no checkpoint with this id.
    #[error("the curriculum has no checkpoint `{0}`")]
    UnknownCheckpoint(CheckpointId),
    /// The curriculum has no concept at all, or a review was asked with nothing to review.
    #[error("nothing to teach: {0}")]
    Empty(&'static str),
    /// A replay script line is malformed.
    #[error("bad replay line {0}")]
    Script(String),
}

/// Learning a path, or re-probing checkpoints due for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Follow the curriculum's path.
    #[default]
    Learn,
    /// Re-probe the checkpoints in [`SessionState::review_queue`].
    Review,
}

/// Everything the engine remembers about a session; the store keeps it as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    /// The curriculum taught.
    pub curriculum: CurriculumId,
    /// The curriculum's version when the session started.
    pub curriculum_version: String,
    /// The concept being worked on.
    pub concept: ConceptId,
    /// Learn or review.
    pub mode: Mode,
    /// What the learner has shown.
    pub learner: LearnerModel,
    /// The policy's memory.
    pub dialogue: DialogueState,
    /// Concepts visited, in order.
    pub visited: Vec<ConceptId>,
    /// Concepts completed (every checkpoint mastered or stated by the tutor).
    pub completed: BTreeSet<ConceptId>,
    /// Learner turns so far.
    pub turn: u32,
    /// Review mode: checkpoints still to re-probe, in order.
    #[serde(default)]
    pub review_queue: Vec<CheckpointId>,
    /// The session reached the end of the path (or of the review).
    pub finished: bool,
}

/// The tutor's opening of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opening {
    /// The opening plan (an `Ask`, or a review probe).
    pub plan: TutorPlan,
    /// The offline voice's words for it.
    pub offline_text: String,
    /// Progress at the start.
    pub progress: Progress,
}

/// The result of one learner turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnOutcome {
    /// The assessment used.
    pub assessment: Assessment,
    /// Checkpoints newly credited this turn.
    pub covered: Vec<CheckpointId>,
    /// Misconceptions the turn showed.
    pub misconceptions: Vec<MisconceptionId>,
    /// The aha moment of this turn, if any.
    pub aha: Option<Aha>,
    /// What the tutor does next.
    pub plan: TutorPlan,
    /// The offline voice's words for the plan.
    pub offline_text: String,
    /// `(from, to)` when the session moved to another concept.
    pub advanced: Option<(ConceptId, ConceptId)>,
    /// Progress in the (possibly new) current concept.
    pub progress: Progress,
    /// The session is over.
    pub finished: bool,
    /// Checkpoints of other concepts the turn stated in passing, now recorded in the
    /// learner model (they do not steer the move).
    pub elsewhere: Vec<CheckpointId>,
    /// When the turn closed a concept and moved on: the next concept's opening, a tutor
    /// turn of its own after this one's closing ([`TurnOutcome::plan`] and
    /// [`TurnOutcome::offline_text`] then hold only the closing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Opening>,
}

impl TurnOutcome {
    /// What the tutor says last in this turn, the words the learner answers next: the next
    /// concept's opening when there is one, else the reply.
    pub fn said_last(&self) -> &str {
        self.next
            .as_ref()
            .map_or(self.offline_text.as_str(), |n| n.offline_text.as_str())
    }
}

/// Starts a learning session at `concept`, or at the first concept of the path.
pub fn start(
    curriculum: &Curriculum,
    concept: Option<&ConceptId>,
) -> Result<(SessionState, Opening), EngineError> {
    let id = match concept {
        Some(id) => id.clone(),
        None => curriculum
            .ordered_concepts()
            .first()
            .map(|c| c.id.clone())
            .ok_or(EngineError::Empty("the curriculum has no concept"))?,
    };
    let c = curriculum
        .concept(&id)
        .ok_or_else(|| EngineError::UnknownConcept(id.clone()))?;
    let mut state = SessionState {
        curriculum: curriculum.id.clone(),
        curriculum_version: curriculum.version.clone(),
        concept: id.clone(),
        mode: Mode::Learn,
        learner: LearnerModel::default(),
        dialogue: DialogueState::default(),
        visited: vec![id.clone()],
        completed: BTreeSet::new(),
        turn: 0,
        review_queue: Vec::new(),
        finished: false,
    };
    let plan = TutorPlan {
        concept: id.clone(),
        moves: vec![Move::Ask { concept: id }],
        focus: None,
        may_state: Vec::new(),
        withhold: c.checkpoints.iter().map(|k| k.id.clone()).collect(),
        again: None,
        act: None,
        wording: 0,
    };
    state.dialogue.record(&plan);
    let offline_text = crate::voice::render(curriculum, &plan, None);
    let progress = progress(curriculum, &state);
    Ok((
        state,
        Opening {
            plan,
            offline_text,
            progress,
        },
    ))
}

/// Starts a review session re-probing `checkpoints` (due for spaced review). It opens on
/// the first checkpoint's concept with that checkpoint's review question (an `Ask` whose
/// focus is the checkpoint; the voice words it from `review_question`, never from the
/// statement).
pub fn start_review(
    curriculum: &Curriculum,
    checkpoints: &[CheckpointId],
) -> Result<(SessionState, Opening), EngineError> {
    let first = checkpoints
        .first()
        .ok_or(EngineError::Empty("no checkpoint to review"))?;
    let (concept, _) = curriculum
        .checkpoint(first)
        .ok_or_else(|| EngineError::UnknownCheckpoint(first.clone()))?;
    let (mut state, mut opening) = start(curriculum, Some(&concept.id))?;
    state.mode = Mode::Review;
    state.review_queue = checkpoints.to_vec();
    opening.plan.focus = Some(Focus::Checkpoint(first.clone()));
    state.dialogue = DialogueState::default();
    state.dialogue.record(&opening.plan);
    opening.offline_text = crate::voice::render(curriculum, &opening.plan, None);
    opening.progress = progress(curriculum, &state);
    Ok((state, opening))
}

/// Moves the session to another concept (authoring scripts, `@concept` in replay),
/// regardless of prerequisites; returns the new concept's opening.
pub fn jump(
    curriculum: &Curriculum,
    state: &mut SessionState,
    concept: &ConceptId,
) -> Result<Opening, EngineError> {
    curriculum
        .concept(concept)
        .ok_or_else(|| EngineError::UnknownConcept(concept.clone()))?;
    state.concept = concept.clone();
    state.visited.push(concept.clone());
    state.dialogue.turns_in_concept = 0;
    state.dialogue.streak = None;
    state.dialogue.concept_struggle = None;
    let (_, opening) = start(curriculum, Some(concept))?;
    state.dialogue.record(&opening.plan);
    Ok(opening)
}

/// The request to assess `text` in the session's current concept.
pub fn assess_request<'a>(
    curriculum: &'a Curriculum,
    state: &SessionState,
    text: &'a str,
    last_tutor: Option<&'a str>,
) -> Option<AssessRequest<'a>> {
    let concept = curriculum.concept(&state.concept)?;
    Some(AssessRequest {
        curriculum,
        concept,
        text,
        last_tutor,
    })
}

/// Runs one learner turn with an assessment already made (rubric, judge or merged):
/// learner model → misconceptions → aha → policy → state → offline voice.
pub fn learner_turn(
    curriculum: &Curriculum,
    state: &mut SessionState,
    text: &str,
    assessment: Assessment,
) -> TurnOutcome {
    state.turn += 1;
    let concept = curriculum.concept(&state.concept);
    let Some(concept) = concept.filter(|_| !state.finished) else {
        return apply::finished_outcome(curriculum, state, assessment);
    };
    let mut assessment = assessment;
    dialogue::insisted(state, text, &mut assessment);
    // An echo of the tutor's last turn is acknowledged, not credited as the learner's.
    let said = dialogue::said_by_tutor(curriculum, concept, state);
    let asked = dialogue::last_tutor_text(curriculum, state);
    let tutor_stems = dialogue::stems(said.text());
    let mut echoed = dialogue::echoes(
        text,
        &assessment,
        Some(&said),
        &tutor_stems,
        dialogue::ECHO_OVERLAP,
    );
    for id in dialogue::echoes(text, &assessment, None, &tutor_stems, dialogue::VERBATIM) {
        if !echoed.contains(&id) {
            echoed.push(id);
        }
    }
    let leaned = dialogue::echoes(
        text,
        &assessment,
        Some(&said),
        &tutor_stems,
        dialogue::LEANS_ON_TUTOR,
    );
    let mut view = assessment.clone();
    for id in &echoed {
        if let Some(s) = view.scores.get_mut(id) {
            s.score = 0.0;
        }
    }
    let targeted: Vec<CheckpointId> = state.dialogue.last_focus().cloned().into_iter().collect();
    let prior: Vec<(CheckpointId, f64)> = concept
        .checkpoints
        .iter()
        .map(|c| (c.id.clone(), state.learner.p_known(&c.id)))
        .collect();
    let mut struggles = dialogue::struggles(concept, state);
    for id in dialogue::inferred(text, &view, &asked) {
        if !struggles.iter().any(|(k, _)| k == &id) {
            struggles.push((id, crate::aha::Struggle::Inferred));
        }
    }
    let covered = state.learner.observe(concept, &view, text, &targeted);
    for id in &echoed {
        state.learner.mark_repeated(id);
    }
    let elsewhere: Vec<CheckpointId> = elsewhere::credits(curriculum, state, text)
        .into_iter()
        .map(|(id, quote)| {
            state.learner.credit(&id, &quote);
            id
        })
        .collect();
    state.dialogue.note_learner_turn(&view, &covered);
    let resolved = dialogue::resolved(concept, state, &view);
    for id in &resolved {
        state.learner.resolve(id);
    }
    let aha = crate::aha::detect(&crate::aha::AhaInput {
        concept: &concept.id,
        text,
        assessment: &view,
        covered: &covered,
        prior: &prior,
        resolved: &resolved,
        recent: &state.dialogue.recent,
        first_turn: state.turn == 1,
        struggles: &struggles,
        said_by_tutor: &leaned,
    });
    let mut plan = crate::policy::choose(&PolicyInput {
        curriculum,
        concept: &concept.id,
        learner: &state.learner,
        dialogue: &state.dialogue,
        assessment: &view,
        covered: &covered,
        completed: &state.completed,
        review: &state.review_queue,
        elsewhere: &questions::elsewhere(curriculum, state, text, &view),
    });
    // Acknowledgements and follow-ups vary, never the one said last.
    let last = &mut state.dialogue.last_said;
    plan.wording = crate::voice::choose_wording(curriculum, &plan, state.turn, last);
    crate::voice::note_said(curriculum, &plan, last);
    let advanced = apply::apply_plan(curriculum, state, &plan);
    state.dialogue.record(&plan);
    let (plan, next) = transition::split(plan);
    let next = next.map(|p| transition::opening(curriculum, state, p));
    let review = state.mode == Mode::Review;
    let mut offline_text = crate::voice::render_for(curriculum, &plan, Some(text), review);
    if !echoed.is_empty() {
        offline_text = format!("Yes, that's the idea I gave you. {offline_text}");
    }
    TurnOutcome {
        misconceptions: assessment
            .misconceptions
            .iter()
            .map(|m| m.id.clone())
            .collect(),
        assessment,
        covered,
        aha,
        plan,
        offline_text,
        advanced,
        progress: progress(curriculum, state),
        finished: state.finished,
        elsewhere,
        next,
    }
}

/// Assesses with the rubric and runs the turn: the whole offline path.
pub fn offline_turn(
    curriculum: &Curriculum,
    state: &mut SessionState,
    text: &str,
    last_tutor: Option<&str>,
) -> Option<TurnOutcome> {
    let req = assess_request(curriculum, state, text, last_tutor)?;
    let assessment = RubricAssessor::new().assess_now(req);
    Some(learner_turn(curriculum, state, text, assessment))
}

#[cfg(test)]
mod tests;
