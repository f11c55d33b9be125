//! Prompt rendering for the LLM voice and judge: the templates in `prompts/` (embedded
//! at build time) rendered with minijinja into chat [`Message`]s. Pure: no client, no I/O.
//!
//! - [`voice`]: the tutor's system prompt for a [`crate::policy::TutorPlan`] (persona, one
//!   instruction block per move, the concept context the move may use, the gap) and a
//!   transcript window within a token budget.
//! - [`recap`]: the running summary of the turns the window drops ("Earlier in this
//!   conversation"), from the concept path and the learner model, no LLM call.
//! - [`judge`]: the judge's prompt and the JSON schema of its verdict.
//! - [`summary`]: the blog export's introduction.
//!
//! Learner text only ever goes into [`Role::User`] messages: templates rendered into
//! system messages never receive it (the recap's aha quotes get a user message of their
//! own).

pub mod judge;
mod message;
pub mod recap;
pub mod summary;
pub mod voice;
mod window;

#[cfg(test)]
mod recap_tests;
#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use minijinja::Environment;

pub use message::{Message, Role};
pub use recap::Recap;
pub use voice::{Persona, Speaker, TranscriptTurn, VoiceContext, earlier_sayable, voice_messages};
pub use window::{estimate_tokens, transcript_window};

/// A template failed to render (a bug in a template or its context; tests render all).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("prompt template `{template}` failed: {detail}")]
pub struct PromptError {
    /// The template's name (`voice_system.jinja`).
    pub template: String,
    /// minijinja's message.
    pub detail: String,
}

/// Every template, by name, as embedded from `prompts/`.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "persona.jinja",
        include_str!("../../../../prompts/persona.jinja"),
    ),
    (
        "voice_system.jinja",
        include_str!("../../../../prompts/voice_system.jinja"),
    ),
    (
        "concept.jinja",
        include_str!("../../../../prompts/concept.jinja"),
    ),
    (
        "earlier.jinja",
        include_str!("../../../../prompts/earlier.jinja"),
    ),
    (
        "earlier_quotes.jinja",
        include_str!("../../../../prompts/earlier_quotes.jinja"),
    ),
    (
        "judge.jinja",
        include_str!("../../../../prompts/judge.jinja"),
    ),
    (
        "summary.jinja",
        include_str!("../../../../prompts/summary.jinja"),
    ),
    (
        "summary_material.jinja",
        include_str!("../../../../prompts/summary_material.jinja"),
    ),
    (
        "moves/ask.jinja",
        include_str!("../../../../prompts/moves/ask.jinja"),
    ),
    (
        "moves/pump.jinja",
        include_str!("../../../../prompts/moves/pump.jinja"),
    ),
    (
        "moves/hint.jinja",
        include_str!("../../../../prompts/moves/hint.jinja"),
    ),
    (
        "moves/prompt.jinja",
        include_str!("../../../../prompts/moves/prompt.jinja"),
    ),
    (
        "moves/assert.jinja",
        include_str!("../../../../prompts/moves/assert.jinja"),
    ),
    (
        "moves/correct.jinja",
        include_str!("../../../../prompts/moves/correct.jinja"),
    ),
    (
        "moves/confirm.jinja",
        include_str!("../../../../prompts/moves/confirm.jinja"),
    ),
    (
        "moves/analogy.jinja",
        include_str!("../../../../prompts/moves/analogy.jinja"),
    ),
    (
        "moves/answer.jinja",
        include_str!("../../../../prompts/moves/answer.jinja"),
    ),
    (
        "moves/summarize.jinja",
        include_str!("../../../../prompts/moves/summarize.jinja"),
    ),
    (
        "moves/advance.jinja",
        include_str!("../../../../prompts/moves/advance.jinja"),
    ),
    (
        "moves/finish.jinja",
        include_str!("../../../../prompts/moves/finish.jinja"),
    ),
];

fn env() -> &'static Result<Environment<'static>, PromptError> {
    static ENV: OnceLock<Result<Environment<'static>, PromptError>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| PromptError {
                template: "(syntax)".into(),
                detail: e.to_string(),
            })?;
        env.set_syntax(syntax);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|e| PromptError {
                template: (*name).to_string(),
                detail: e.to_string(),
            })?;
        }
        Ok(env)
    })
}

/// Renders template `name` with `ctx`; surrounding whitespace trimmed.
pub(crate) fn render(name: &str, ctx: impl serde::Serialize) -> Result<String, PromptError> {
    let err = |e: minijinja::Error| PromptError {
        template: name.to_string(),
        detail: format!("{e:#}"),
    };
    let env = env().as_ref().map_err(Clone::clone)?;
    let out = env
        .get_template(name)
        .map_err(err)?
        .render(minijinja::value::Serde(ctx))
        .map_err(err)?;
    Ok(out.trim().to_string())
}
