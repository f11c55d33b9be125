//! Configuration of the LLM adapter: where the server is, which model, the key (never
//! printed), the timeouts and the retry policy.

use std::time::Duration;

/// An API key. `Debug` and `Display` print `[redacted]`, so it never reaches a log.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// No key (a local Ollama needs none).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

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
#[derive(Debug, Clone, PartialEq)]
pub struct LlmConfig {
    /// Base URL including `/v1` (`https://api.openai.com/v1`, `http://localhost:11434/v1`).
    pub base_url: String,
    /// The key, empty for servers that need none.
    pub api_key: ApiKey,
    /// Model name (`gpt-4o-mini`, `llama3.2`).
    pub model: String,
    /// Cap on the tokens of one tutor reply.
    pub max_tokens: u32,
    /// Cap on the tokens of one judge verdict.
    pub judge_max_tokens: u32,
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
            judge_max_tokens: 600,
            context_budget: 1500,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// Reads `KLOVER_LLM_BASE_URL`, `KLOVER_LLM_API_KEY` (or `OPENAI_API_KEY`) and
    /// `KLOVER_LLM_MODEL`. `None` (the offline voice) when neither a base URL nor a key is
    /// set; a key alone means OpenAI; a base URL alone means a keyless local server.
    pub fn from_env() -> Option<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`LlmConfig::from_env`] over any variable source (tests, config files).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let nonempty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let base = nonempty("KLOVER_LLM_BASE_URL");
        let key = nonempty("KLOVER_LLM_API_KEY").or_else(|| nonempty("OPENAI_API_KEY"));
        if base.is_none() && key.is_none() {
            return None;
        }
        let base = base.unwrap_or_else(|| OPENAI_BASE_URL.to_string());
        let model = nonempty("KLOVER_LLM_MODEL").unwrap_or_else(|| DEFAULT_MODEL.to_string());
        Some(Self::new(base, ApiKey::new(key.unwrap_or_default()), model))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn nothing_configured_means_the_offline_voice() {
        assert!(LlmConfig::from_lookup(lookup(&[])).is_none());
        assert!(LlmConfig::from_lookup(lookup(&[("KLOVER_LLM_MODEL", "llama3.2")])).is_none());
    }

    #[test]
    fn a_key_alone_means_openai_and_the_openai_variable_is_a_fallback() {
        let c = LlmConfig::from_lookup(lookup(&[("OPENAI_API_KEY", "sk-x")])).unwrap();
        assert_eq!(c.base_url, OPENAI_BASE_URL);
        assert_eq!(c.api_key.expose(), "sk-x");
        let c = LlmConfig::from_lookup(lookup(&[
            ("OPENAI_API_KEY", "sk-x"),
            ("KLOVER_LLM_API_KEY", "sk-k"),
        ]))
        .unwrap();
        assert_eq!(c.api_key.expose(), "sk-k");
    }

    #[test]
    fn a_base_url_alone_is_a_keyless_local_server() {
        let c = LlmConfig::from_lookup(lookup(&[
            ("KLOVER_LLM_BASE_URL", "http://localhost:11434/v1/"),
            ("KLOVER_LLM_MODEL", "llama3.2"),
        ]))
        .unwrap();
        assert_eq!(c.base_url, "http://localhost:11434/v1");
        assert!(c.api_key.is_empty());
        assert_eq!(c.model, "llama3.2");
        assert!(c.legacy_max_tokens, "local servers read max_tokens");
        let openai = LlmConfig::from_lookup(lookup(&[("OPENAI_API_KEY", "sk-x")])).unwrap();
        assert!(
            !openai.legacy_max_tokens,
            "OpenAI wants max_completion_tokens"
        );
    }

    #[test]
    fn the_key_never_appears_in_debug_output() {
        let c = LlmConfig::new("http://x/v1", ApiKey::new("sk-secret-123"), "m");
        let shown = format!("{c:?} {}", c.api_key);
        assert!(!shown.contains("sk-secret-123"), "{shown}");
        assert!(shown.contains("[redacted]"));
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
