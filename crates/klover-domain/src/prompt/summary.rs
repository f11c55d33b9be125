//! The blog export's introduction, written by the LLM when one is configured: the
//! instructions as the system message, the session outline and the learner's aha quotes
//! as the user message (they are the learner's words).

use serde::Serialize;

use super::{Message, Persona, PromptError, render};

/// One concept of the session, for the outline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConceptOutline {
    /// The concept's title.
    pub title: String,
    /// Ideal statements of the checkpoints reached.
    pub reached: Vec<String>,
}

/// What the introduction is written from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionOutline {
    /// The curriculum's title.
    pub title: String,
    /// Concepts covered, in order.
    pub concepts: Vec<ConceptOutline>,
    /// The learner's words at each aha moment.
    pub ahas: Vec<String>,
}

/// The messages asking for the introduction.
pub fn summary_messages(
    persona: &Persona,
    outline: &SessionOutline,
) -> Result<Vec<Message>, PromptError> {
    let system = render("summary.jinja", serde_json::json!({ "persona": persona }))?;
    let material = render("summary_material.jinja", outline)?;
    Ok(vec![Message::system(system), Message::user(material)])
}
