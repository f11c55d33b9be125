//! Replaying a script of learner lines through the offline engine, as `klover replay`
//! prints it and the seed test checks it.
//!
//! Script format: one learner utterance per line; `@concept <id>` moves the session to
//! that concept; `> text` sets what the tutor said last (the question the next line
//! answers) in place of the engine's own reply; lines starting with `#` and blank lines
//! are ignored.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{EngineError, SessionState, TurnOutcome, jump, offline_turn, start};
use crate::aha::Aha;
use crate::curriculum::Curriculum;
use crate::ids::{CheckpointId, ConceptId, MisconceptionId};
use crate::policy::Move;

/// One replayed turn, in the JSON shape `klover replay` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayTurn {
    /// 1-based learner turn number.
    pub turn: u32,
    /// The concept the turn was assessed in.
    pub concept: ConceptId,
    /// The learner's line.
    pub learner: String,
    /// Score per checkpoint of the concept.
    pub scores: BTreeMap<CheckpointId, f64>,
    /// Checkpoints newly credited.
    pub covered: Vec<CheckpointId>,
    /// Misconceptions shown.
    pub misconceptions: Vec<MisconceptionId>,
    /// Checkpoints of other concepts stated in passing (recorded, not steering).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub elsewhere: Vec<CheckpointId>,
    /// `question`, `asked_for_answer`, `dont_know`, `off_topic`.
    pub flags: Vec<&'static str>,
    /// The decisive tutor move.
    #[serde(rename = "move")]
    pub tutor_move: Option<Move>,
    /// `false`, or the aha moment.
    pub aha: AhaField,
    /// The offline tutor's reply.
    pub tutor: String,
    /// The next concept's opening, a tutor turn of its own after a concept's closing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `false` when there was no aha, else the aha.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AhaField {
    /// No aha (serialises as `false`).
    None(bool),
    /// The aha.
    Some(Box<Aha>),
}

impl AhaField {
    /// The aha, if any.
    pub fn get(&self) -> Option<&Aha> {
        match self {
            AhaField::Some(a) => Some(a),
            AhaField::None(_) => None,
        }
    }
}

/// Replays a script; the session starts at `concept` or the first concept of the path.
pub fn replay(
    curriculum: &Curriculum,
    concept: Option<&ConceptId>,
    script: &str,
) -> Result<Vec<ReplayTurn>, EngineError> {
    let (mut state, opening) = start(curriculum, concept)?;
    let mut last_tutor = opening.offline_text;
    let mut out = Vec::new();
    for line in script.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(tutor) = line.strip_prefix('>') {
            last_tutor = tutor.trim().to_owned();
            continue;
        }
        if let Some(id) = line.strip_prefix("@concept") {
            let id = ConceptId::parse(id.trim())
                .map_err(|e| EngineError::Script(format!("`{line}`: {e}")))?;
            last_tutor = jump(curriculum, &mut state, &id)?.offline_text;
            continue;
        }
        let assessed_in = state.concept.clone();
        let outcome = offline_turn(curriculum, &mut state, line, Some(&last_tutor))
            .ok_or_else(|| EngineError::UnknownConcept(assessed_in.clone()))?;
        last_tutor = outcome.said_last().to_owned();
        out.push(to_turn(&state, assessed_in, line, outcome));
    }
    Ok(out)
}

fn to_turn(state: &SessionState, concept: ConceptId, line: &str, o: TurnOutcome) -> ReplayTurn {
    let a = &o.assessment;
    let flags = [
        (a.asked_question, "question"),
        (a.asked_for_answer, "asked_for_answer"),
        (a.dont_know, "dont_know"),
        (a.off_topic, "off_topic"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    ReplayTurn {
        turn: state.turn,
        concept,
        learner: line.to_owned(),
        scores: a
            .scores
            .iter()
            .map(|(k, v)| (k.clone(), round(v.score)))
            .collect(),
        covered: o.covered,
        misconceptions: o.misconceptions,
        elsewhere: o.elsewhere,
        flags,
        tutor_move: o.plan.primary().cloned(),
        aha: o
            .aha
            .map_or(AhaField::None(false), |a| AhaField::Some(Box::new(a))),
        tutor: o.offline_text,
        next: o.next.map(|n| n.offline_text),
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
