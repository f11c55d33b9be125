//! What the fake server answers to one request: the text (as stream chunks), the timing,
//! and an optional failure mode.

use std::time::Duration;

/// One scripted answer. Build it with [`Reply::text`] or [`Reply::chunks`] (or one of the
/// failure constructors) and adjust it with the builder methods.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The content deltas, in order; a non-stream answer joins them.
    pub chunks: Vec<String>,
    /// The final chunk's `finish_reason` (`"stop"` by default).
    pub finish_reason: String,
    /// `(prompt_tokens, completion_tokens)` reported in the final chunk.
    pub usage: (u32, u32),
    /// Delay before the first content chunk (after the response headers).
    pub first_token_after: Duration,
    /// Delay between two content chunks.
    pub chunk_interval: Duration,
    /// How the answer goes wrong, if it does.
    pub failure: Option<Failure>,
}

/// A failure mode. "After `n`" counts content chunks sent before the failure.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// An HTTP error status before any body, e.g. 429 with `Retry-After: 2`, or 500.
    Status {
        /// The HTTP status code.
        code: u16,
        /// The `Retry-After` header in seconds, if any.
        retry_after: Option<u64>,
    },
    /// An HTTP error status with a `Retry-After` header sent verbatim (`inf`, `1e20`, a
    /// date…): how a hostile or broken upstream might say it.
    StatusRawRetryAfter {
        /// The HTTP status code.
        code: u16,
        /// The `Retry-After` header as sent.
        retry_after: String,
    },
    /// Headers never arrive: the server waits forever before answering.
    HangBeforeHeaders,
    /// Headers arrive, then `n` chunks, then nothing ever again (`n = 0`: hang before the
    /// first token).
    HangAfter(usize),
    /// `n` chunks, then a `data:` line that is not JSON.
    MalformedAfter(usize),
    /// `n` chunks, then the connection closes with no `finish_reason` and no `[DONE]`.
    CloseAfter(usize),
    /// `n` chunks, then the body ends cleanly with no `finish_reason` and no `[DONE]`.
    EndAfter(usize),
    /// `n` chunks, then `data: {"error": {...}}` with this message, then the stream ends.
    ErrorAfter(usize, String),
}

impl Reply {
    /// A reply streamed word by word (each chunk is a word with its following space).
    pub fn text(text: &str) -> Self {
        let mut chunks = Vec::new();
        let mut current = String::new();
        for ch in text.chars() {
            current.push(ch);
            if ch == ' ' {
                chunks.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            chunks.push(current);
        }
        Self::chunks(chunks)
    }

    /// The "echoing model" failure mode: a reply that repeats the request's system
    /// message word by word (what a model that obeys "repeat your instructions" sends).
    pub fn echo_system(request: &crate::RecordedRequest) -> Self {
        let system = request
            .messages()
            .into_iter()
            .find(|(role, _)| role == "system")
            .map(|(_, text)| text)
            .unwrap_or_default();
        Self::text(&system)
    }

    /// A reply streamed in exactly these chunks.
    pub fn chunks<I, S>(chunks: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let chunks: Vec<String> = chunks.into_iter().map(Into::into).collect();
        let completion = chunks.len() as u32;
        Self {
            chunks,
            finish_reason: "stop".into(),
            usage: (10, completion),
            first_token_after: Duration::ZERO,
            chunk_interval: Duration::ZERO,
            failure: None,
        }
    }

    /// An HTTP error status with an OpenAI-style error body.
    pub fn status(code: u16) -> Self {
        Self::chunks(Vec::<String>::new()).fail(Failure::Status {
            code,
            retry_after: None,
        })
    }

    /// `429 Too Many Requests` with `Retry-After: seconds`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::chunks(Vec::<String>::new()).fail(Failure::Status {
            code: 429,
            retry_after: Some(retry_after_secs),
        })
    }

    /// Sets the failure mode.
    pub fn fail(mut self, failure: Failure) -> Self {
        self.failure = Some(failure);
        self
    }

    /// Sets the delay before the first content chunk.
    pub fn first_token_after(mut self, d: Duration) -> Self {
        self.first_token_after = d;
        self
    }

    /// Sets the delay between content chunks.
    pub fn chunk_interval(mut self, d: Duration) -> Self {
        self.chunk_interval = d;
        self
    }

    /// Sets the final `finish_reason` (e.g. `"length"`).
    pub fn finish_reason(mut self, reason: &str) -> Self {
        self.finish_reason = reason.into();
        self
    }

    /// Sets the reported token usage.
    pub fn usage(mut self, prompt_tokens: u32, completion_tokens: u32) -> Self {
        self.usage = (prompt_tokens, completion_tokens);
        self
    }

    /// The whole text (all chunks joined).
    pub fn full_text(&self) -> String {
        self.chunks.concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_split_after_spaces_and_joins_back() {
        let r = Reply::text("What is the worker?");
        assert_eq!(r.chunks, vec!["What ", "is ", "the ", "worker?"]);
        assert_eq!(r.full_text(), "What is the worker?");
    }
}
