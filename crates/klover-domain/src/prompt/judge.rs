//! The judge's prompt: the concept's checkpoints and misconceptions with their ids and a
//! few authored learner wordings that do and do not state each one, the verdict's JSON
//! schema, then the tutor's last message and the learner's turn (the only
//! user message).

use serde::Serialize;
use serde_json::{Value, json};

use super::{Message, PromptError, render};
use crate::assess::AssessRequest;

/// Name of the verdict schema (sent as `response_format.json_schema.name`).
pub const VERDICT_SCHEMA_NAME: &str = "klover_verdict";

/// The JSON schema of a judge verdict (strict: every field required, no others).
pub fn verdict_schema() -> Value {
    let quote = json!({"type": ["string", "null"]});
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["checkpoints", "misconceptions", "asked_question", "asked_for_answer", "dont_know", "off_topic"],
        "properties": {
            "checkpoints": {"type": "array", "items": {
                "type": "object", "additionalProperties": false,
                "required": ["id", "score", "evidence"],
                "properties": {
                    "id": {"type": "string"},
                    "score": {"type": "number", "minimum": 0, "maximum": 1},
                    "evidence": quote
                }
            }},
            "misconceptions": {"type": "array", "items": {
                "type": "object", "additionalProperties": false,
                "required": ["id", "evidence"],
                "properties": {"id": {"type": "string"}, "evidence": quote}
            }},
            "asked_question": {"type": "boolean"},
            "asked_for_answer": {"type": "boolean"},
            "dont_know": {"type": "boolean"},
            "off_topic": {"type": "boolean"}
        }
    })
}

/// Authored wordings shown to the judge per checkpoint or misconception, at most.
const EXAMPLES_SHOWN: usize = 3;

#[derive(Serialize)]
struct Item {
    id: String,
    statement: String,
    examples: Vec<String>,
    counterexamples: Vec<String>,
}

#[derive(Serialize)]
struct Mc {
    id: String,
    belief: String,
    examples: Vec<String>,
}

/// The first few authored wordings, as the learner wrote them.
fn shown(list: &[crate::curriculum::Example]) -> Vec<String> {
    list.iter()
        .take(EXAMPLES_SHOWN)
        .map(|e| e.text.clone())
        .collect()
}

#[derive(Serialize)]
struct Concept {
    title: String,
}

#[derive(Serialize)]
struct JudgeView {
    concept: Concept,
    checkpoints: Vec<Item>,
    misconceptions: Vec<Mc>,
    schema: String,
}

/// The judge's messages for one learner turn.
pub fn judge_messages(req: &AssessRequest<'_>) -> Result<Vec<Message>, PromptError> {
    let view = JudgeView {
        concept: Concept {
            title: req.concept.title.clone(),
        },
        checkpoints: req
            .concept
            .checkpoints
            .iter()
            .map(|c| Item {
                id: c.id.to_string(),
                statement: c.statement.clone(),
                examples: shown(&c.examples),
                counterexamples: shown(&c.counterexamples),
            })
            .collect(),
        misconceptions: req
            .concept
            .misconceptions
            .iter()
            .map(|m| Mc {
                id: m.id.to_string(),
                belief: m.belief.clone(),
                examples: shown(&m.examples),
            })
            .collect(),
        schema: serde_json::to_string_pretty(&verdict_schema()).unwrap_or_default(),
    };
    let mut messages = vec![Message::system(render("judge.jinja", view)?)];
    if let Some(tutor) = req.last_tutor.filter(|t| !t.trim().is_empty()) {
        messages.push(Message::assistant(tutor));
    }
    messages.push(Message::user(req.text));
    Ok(messages)
}
