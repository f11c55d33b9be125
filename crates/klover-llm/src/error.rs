//! The crate's one error type. Every voice error carries the text already relayed to the
//! learner (`partial`), so the caller can store the cut reply.

use std::time::Duration;

/// Why a tutor reply (or a judge verdict) did not complete.
#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    /// The server kept answering 429 (or asked to wait longer than we accept).
    #[error("the language model is rate-limited (HTTP 429)")]
    RateLimited {
        /// Text relayed so far.
        partial: String,
    },
    /// The server answered an error status (5xx after retries, or a 4xx).
    #[error("the language model server answered HTTP {status}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
        /// Text relayed so far.
        partial: String,
    },
    /// The server could not be reached.
    #[error("cannot connect to the language model server: {detail}")]
    Connect {
        /// What the HTTP client said.
        detail: String,
        /// Text relayed so far.
        partial: String,
    },
    /// No content token arrived within the first-token timeout.
    #[error("no reply from the language model within {after:?}")]
    FirstTokenTimeout {
        /// The timeout hit.
        after: Duration,
        /// Text relayed so far.
        partial: String,
    },
    /// The reply stopped for longer than the between-chunks timeout.
    #[error("the reply stalled for {after:?}")]
    Stalled {
        /// The timeout hit.
        after: Duration,
        /// Text relayed so far.
        partial: String,
    },
    /// The connection broke mid-reply.
    #[error("the connection to the language model broke: {detail}")]
    Broken {
        /// What the client said.
        detail: String,
        /// Text relayed so far.
        partial: String,
    },
    /// A chunk was not valid JSON.
    #[error("the language model sent a malformed chunk: {detail}")]
    Malformed {
        /// The parse error and content.
        detail: String,
        /// Text relayed so far.
        partial: String,
    },
    /// The server sent an error object in the stream.
    #[error("the language model reported an error mid-reply: {message}")]
    Upstream {
        /// The error's message.
        message: String,
        /// Text relayed so far.
        partial: String,
    },
    /// The stream ended without a `finish_reason`: the reply may be cut.
    #[error("the reply ended without a finish reason")]
    Incomplete {
        /// Text relayed so far.
        partial: String,
    },
    /// The learner stopped the reply or left.
    #[error("the reply was cancelled")]
    Cancelled {
        /// Text relayed so far.
        partial: String,
    },
    /// The model started to repeat the system prompt's canary: the reply was cut there.
    #[error("the reply was cut: it began to repeat the system prompt")]
    CanaryLeak {
        /// Text relayed before the canary.
        partial: String,
    },
    /// A judge verdict that is not the JSON asked for.
    #[error("the judge's verdict is unusable: {0}")]
    BadVerdict(String),
    /// The request could not be built.
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl VoiceError {
    /// The text relayed to the learner before the error (empty for judge errors).
    pub fn partial(&self) -> &str {
        match self {
            VoiceError::RateLimited { partial }
            | VoiceError::Status { partial, .. }
            | VoiceError::Connect { partial, .. }
            | VoiceError::FirstTokenTimeout { partial, .. }
            | VoiceError::Stalled { partial, .. }
            | VoiceError::Broken { partial, .. }
            | VoiceError::Malformed { partial, .. }
            | VoiceError::Upstream { partial, .. }
            | VoiceError::Incomplete { partial }
            | VoiceError::Cancelled { partial }
            | VoiceError::CanaryLeak { partial } => partial,
            VoiceError::BadVerdict(_) | VoiceError::Invalid(_) => "",
        }
    }

    /// A short message for the learner (no internals, no key, no URL).
    pub fn learner_message(&self) -> &'static str {
        match self {
            VoiceError::Cancelled { .. } => "Stopped.",
            VoiceError::RateLimited { .. } => {
                "The tutor is busy right now (rate-limited). Your message is saved; try again in a little while."
            }
            VoiceError::Connect { .. } => {
                "The tutor cannot reach its language model. Your message is saved; try again shortly."
            }
            VoiceError::FirstTokenTimeout { .. } | VoiceError::Stalled { .. } => {
                "The tutor's language model is not answering. Your message is saved; try again."
            }
            VoiceError::CanaryLeak { .. } => {
                "The tutor's reply was cut for safety. Your message is saved; please continue."
            }
            // An error before any token cut nothing: say it failed, not that it was cut.
            _ if self.partial().is_empty() => {
                "The tutor's language model failed to answer. Your message is saved; try again."
            }
            _ => {
                "The tutor's reply was cut off by a language model error. Your message is saved; try again."
            }
        }
    }

    /// Whether this error may be retried (only before the first token).
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            VoiceError::RateLimited { .. } | VoiceError::Connect { .. } => true,
            VoiceError::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }
}
