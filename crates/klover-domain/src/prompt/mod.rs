//! Prompt rendering for the LLM voice and judge (being built).

mod message;

pub use message::{Message, Role};
