//! Klover's LLM adapter: the voice (the tutor's words for a plan, streamed from any
//! OpenAI-compatible server through async-openai) and the judge (an
//! [`klover_domain::assess::Assessor`] that asks the model for a JSON verdict and merges it
//! with the rubric's).
//!
//! - [`config`]: [`LlmConfig`] (where, which model, timeouts, retries); the key never prints.
//! - [`voice`]: [`Voice::stream_reply`] with timeouts, retries before the first token,
//!   cancellation, and token usage.
//! - [`guard`]: the canary relay and the leak check.
//! - [`judge`]: [`LlmJudge`], validated against the learner's words, falling back to the
//!   rubric on any failure.
//!
//! Prompts are rendered by `klover_domain::prompt` from the `prompts/` templates; this
//! crate only sends them. It must not depend on the server or the store.

pub mod config;
pub mod echo;
pub mod error;
pub mod guard;
mod http;
pub mod judge;
pub mod plausible;
pub mod voice;

pub use config::{ApiKey, LlmConfig, RetryPolicy, Timeouts};
pub use error::VoiceError;
pub use judge::LlmJudge;
pub use secrecy::{self, ExposeSecret};
pub use voice::{Reply, Usage, Voice};
