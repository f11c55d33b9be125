//! Configuration of the LLM adapter: where the server is, which model, the key (never
//! printed), the timeouts and the retry policy.

use std::time::Duration;

use secrecy::ExposeSecret;

/// An API key: the one secret type of Klover (`secrecy`), whose `Debug` prints
/// `[REDACTED]`, so it never reaches a log. Build one with `ApiKey::from("sk-…")`.
pub type ApiKey = secrecy::SecretString;

/// How long to wait at each stage of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP (and TLS) connection set-up.
    pub connect: Duration,
    /// From sending a request (each attempt) to the first content token.
    pub first_token: Duration,
    /// Between two chunks once the reply has started.
    pub between_chunks: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            first_token: Duration::from_secs(30),
            between_chunks: Duration::from_secs(30),
        }
    }
}

/// When and how long to wait before trying a request again (only before the first token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (2: at most three requests).
    pub max_retries: u32,
    /// First backoff; doubled at each retry.
    pub base_delay: Duration,
    /// Backoff ceiling.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the request fails at once.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry number `retry` (0-based): `base · 2^retry`, capped, with
    /// "equal jitter" (between half and all of it) so that many sessions hit by the same
    /// outage do not retry in step.
    pub fn backoff(&self, retry: u32) -> Duration {
        let full = self
            .base_delay
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max_delay);
        let half = full / 2;
        let jitter: f64 = rand::random();
        half + half.mul_f64(jitter)
    }
}

/// Everything the voice and the judge need to reach a chat-completions server.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// Base URL including `/v1` (`https://api.openai.com/v1`, `http://localhost:11434/v1`).
    pub base_url: String,
    /// The key, empty for servers that need none.
    pub api_key: ApiKey,
    /// Model name (`gpt-4o-mini`, `llama3.2`).
    pub model: String,
    /// Cap on the tokens of one tutor reply.
    pub max_tokens: u32,
    /// Cap on the tokens of one judge verdict (a verdict is a short JSON object).
    pub judge_max_tokens: u32,
    /// The judge's model, when not [`LlmConfig::model`] (a smaller, faster one).
    pub judge_model: Option<String>,
    /// The longest the tutor's first words wait for the judge: the voice starts on the
    /// rubric's plan beside it, and past this the rubric's assessment stands.
    pub judge_wait: std::time::Duration,
    /// Send the cap as the legacy `max_tokens` (what local servers such as Ollama and
    /// llama.cpp read) instead of `max_completion_tokens` (what OpenAI's newer models
    /// require). Defaults to legacy for every base URL but OpenAI's.
    pub legacy_max_tokens: bool,
    /// Token budget of the transcript window sent with each voice request.
    pub context_budget: usize,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Retry policy.
    pub retry: RetryPolicy,
}

/// OpenAI's API, used when a key is given without a base URL.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Model used when none is configured.
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";

impl LlmConfig {
    /// A configuration with the defaults for everything but where to go.
    pub fn new(base_url: impl Into<String>, api_key: ApiKey, model: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        Self {
            legacy_max_tokens: !base_url.contains("api.openai.com"),
            base_url,
            api_key,
            model: model.into(),
            max_tokens: 400,
            judge_max_tokens: 250,
            judge_model: None,
            judge_wait: std::time::Duration::from_secs(8),
            context_budget: 1500,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// The configuration for what the settings name, or `None` (the offline voice) when
    /// neither a base URL nor a key is given: a key alone means OpenAI, a base URL alone a
    /// keyless local server. Empty values count as absent; no model means [`DEFAULT_MODEL`].
    pub fn resolve(
        base_url: Option<&str>,
        api_key: Option<&ApiKey>,
        model: Option<&str>,
    ) -> Option<Self> {
        let base = base_url.map(str::trim).filter(|b| !b.is_empty());
        let key = api_key.filter(|k| !k.expose_secret().trim().is_empty());
        if base.is_none() && key.is_none() {
            return None;
        }
        let model = model
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .unwrap_or(DEFAULT_MODEL);
        Some(Self::new(
            base.unwrap_or(OPENAI_BASE_URL),
            key.cloned().unwrap_or_default(),
            model,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_configured_means_the_offline_voice() {
        assert!(LlmConfig::resolve(None, None, None).is_none());
        assert!(LlmConfig::resolve(None, None, Some("llama3.2")).is_none());
        assert!(LlmConfig::resolve(Some(" "), Some(&ApiKey::from("")), None).is_none());
    }

    #[test]
    fn a_key_alone_means_openai() {
        let c = LlmConfig::resolve(None, Some(&ApiKey::from("sk-x")), None).unwrap();
        assert_eq!(c.base_url, OPENAI_BASE_URL);
        assert_eq!(c.api_key.expose_secret(), "sk-x");
        assert_eq!(c.model, DEFAULT_MODEL);
        assert!(!c.legacy_max_tokens, "OpenAI wants max_completion_tokens");
    }

    #[test]
    fn a_base_url_alone_is_a_keyless_local_server() {
        let c =
            LlmConfig::resolve(Some("http://localhost:11434/v1/"), None, Some("llama3.2")).unwrap();
        assert_eq!(c.base_url, "http://localhost:11434/v1");
        assert!(c.api_key.expose_secret().is_empty());
        assert_eq!(c.model, "llama3.2");
        assert!(c.legacy_max_tokens, "local servers read max_tokens");
    }

    #[test]
    fn the_key_never_appears_in_debug_output() {
        let c = LlmConfig::new("http://x/v1", ApiKey::from("sk-secret-123"), "m");
        let shown = format!("{c:?} {:?}", c.api_key);
        assert!(!shown.contains("sk-secret-123"), "{shown}");
        assert!(shown.contains("[REDACTED]"));
    }

    #[test]
    fn backoff_doubles_from_half_a_second_up_to_eight_with_jitter() {
        let p = RetryPolicy::default();
        for _ in 0..50 {
            let b0 = p.backoff(0);
            assert!(b0 >= Duration::from_millis(250) && b0 <= Duration::from_millis(500));
            let b1 = p.backoff(1);
            assert!(b1 >= Duration::from_millis(500) && b1 <= Duration::from_secs(1));
            let b9 = p.backoff(9);
            assert!(b9 >= Duration::from_secs(4) && b9 <= Duration::from_secs(8));
        }
    }
}
