//! The giveaway lint: the tutor's authored words (openings, hints, analogies, answers to
//! learner questions, misconception questions, and the `[voice]` acknowledgements and
//! follow-ups, said in any concept) read back through the rubric as if a
//! learner had said them, statement by statement (a question asks; a `prompt` is a cloze
//! that states all but the missing word by design, so it is not linted). A text that would credit a checkpoint gives the answer away
//! before the learner could reach it, unless it is an answer that declares the checkpoint
//! in its `states` (then the tutor is known to have said it and never credits the
//! learner's echo).

use super::{AssessRequest, COVERED, RubricAssessor};
use crate::curriculum::{Concept, Curriculum};
use crate::ids::CheckpointId;

/// One authored text that states a checkpoint it should only ask about.
#[derive(Debug, Clone, PartialEq)]
pub struct Giveaway {
    /// The concept the text belongs to (empty for a `[voice]` text of the manifest).
    pub concept: String,
    /// Key path of the text in the concept file (`checkpoints[1].hints[0]`).
    pub key: String,
    /// The text.
    pub text: String,
    /// The checkpoints it states.
    pub states: Vec<CheckpointId>,
}

/// Every authored tutor text of the curriculum that would credit a checkpoint of its own
/// concept it does not declare.
pub fn giveaways(c: &Curriculum) -> Vec<Giveaway> {
    let mut out = Vec::new();
    for k in &c.concepts {
        for (key, text, allowed) in tutor_texts(k) {
            let states: Vec<CheckpointId> = credits(c, k, &prose(&text))
                .into_iter()
                .filter(|id| !allowed.contains(id))
                .collect();
            if !states.is_empty() {
                out.push(Giveaway {
                    concept: k.id.to_string(),
                    key,
                    text,
                    states,
                });
            }
        }
    }
    out.extend(voice_giveaways(c));
    out
}

/// The manifest's `[voice]` texts that would credit a checkpoint of any concept (they are
/// said in every concept).
fn voice_giveaways(c: &Curriculum) -> Vec<Giveaway> {
    let v = &c.voice;
    let texts = (v.acknowledgements.iter().enumerate())
        .map(|(i, t)| (format!("voice.acknowledgements[{i}]"), t))
        .chain(
            (v.follow_ups.iter().enumerate()).map(|(i, t)| (format!("voice.follow_ups[{i}]"), t)),
        );
    texts
        .filter_map(|(key, text)| {
            let states: Vec<CheckpointId> = (c.concepts.iter())
                .flat_map(|k| credits(c, k, &prose(text)))
                .collect();
            (!states.is_empty()).then(|| Giveaway {
                concept: String::new(),
                key,
                text: text.clone(),
                states,
            })
        })
        .collect()
}

/// The text without its fenced code blocks: code shown to the learner is not a statement
/// (the seed's two versions of `get_data()` say `async` and `httpx` in code).
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The checkpoints of `k` a text would credit if a learner said it, from its statements
/// only: a tutor's question asks, even when a learner's yes/no question would count as a
/// tentative answer.
fn credits(c: &Curriculum, k: &Concept, text: &str) -> Vec<CheckpointId> {
    RubricAssessor::new()
        .assess_now(AssessRequest {
            curriculum: c,
            concept: k,
            text,
            last_tutor: None,
        })
        .scores
        .into_iter()
        .filter(|(_, s)| {
            s.score >= COVERED
                && s.evidence
                    .and_then(|e| e.quote(text))
                    .is_some_and(|q| !q.trim_end().ends_with('?'))
        })
        .map(|(id, _)| id)
        .collect()
}

/// The concept's tutor texts that must not state a checkpoint: (key, text, checkpoints it
/// may state).
fn tutor_texts(k: &Concept) -> Vec<(String, String, Vec<CheckpointId>)> {
    let mut out = vec![(
        "opening_question".to_owned(),
        k.opening_question.clone(),
        Vec::new(),
    )];
    for (i, cp) in k.checkpoints.iter().enumerate() {
        for (j, h) in cp.hints.iter().enumerate() {
            out.push((
                format!("checkpoints[{i}].hints[{j}]"),
                h.clone(),
                Vec::new(),
            ));
        }
    }
    for (i, m) in k.misconceptions.iter().enumerate() {
        out.push((
            format!("misconceptions[{i}].question"),
            m.question.clone(),
            Vec::new(),
        ));
    }
    for (i, a) in k.analogies.iter().enumerate() {
        out.push((
            format!("analogies[{i}].text"),
            a.text.clone(),
            a.states.clone(),
        ));
    }
    for (i, q) in k.questions.iter().enumerate() {
        out.push((
            format!("questions[{i}].answer"),
            q.answer.clone(),
            q.states.clone(),
        ));
    }
    out
}
