//! The HTTP layer under async-openai: a reqwest client with a connect timeout, a tower
//! service that remembers the `Retry-After` header (async-openai's error does not carry
//! it), and the mapping of async-openai errors to [`VoiceError`].
//!
//! async-openai's default executor retries on its own; installing our service replaces
//! it, so the only retry policy is ours ([`crate::voice`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;

use crate::config::LlmConfig;
use crate::error::VoiceError;

/// The `Retry-After` of the last response of one attempt, shared with the service.
#[derive(Clone, Default)]
pub(crate) struct RetryAfterSlot(Arc<Mutex<Option<Duration>>>);

impl RetryAfterSlot {
    pub(crate) fn take(&self) -> Option<Duration> {
        self.0.lock().map(|mut g| g.take()).unwrap_or(None)
    }

    fn set(&self, d: Option<Duration>) {
        if let Ok(mut g) = self.0.lock() {
            *g = d;
        }
    }
}

/// Executes requests with reqwest and records `Retry-After`.
#[derive(Clone)]
struct RecordingService {
    http: reqwest::Client,
    retry_after: RetryAfterSlot,
}

type HttpFuture = Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send>>;

impl tower::Service<HttpRequestFactory> for RecordingService {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = HttpFuture;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let request = factory.build().await?;
            let response = this.http.execute(request).await?;
            this.retry_after.set(parse_retry_after(response.headers()));
            Ok(response)
        })
    }
}

/// The longest `Retry-After` taken literally: anything longer (`1e20`, `inf`) is a day,
/// far beyond any wait the retry policy accepts, so the reply fails at once.
const MAX_RETRY_AFTER_SECS: f64 = 86_400.0;

/// `Retry-After` in seconds (the HTTP-date form is ignored: the backoff applies). The
/// value is the peer's: `inf`, `1e20`, `NaN` or a negative number must not panic
/// (`Duration::from_secs_f64` does on overflow), so it is clamped, and refused if absurd.
fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs = v.trim().parse::<f64>().ok().filter(|s| *s >= 0.0)?;
    Duration::try_from_secs_f64(secs.min(MAX_RETRY_AFTER_SECS)).ok()
}

/// Builds the shared reqwest client (connection pool) for a configuration.
pub(crate) fn http_client(config: &LlmConfig) -> Result<reqwest::Client, VoiceError> {
    reqwest::Client::builder()
        .connect_timeout(config.timeouts.connect)
        .build()
        .map_err(|e| VoiceError::Invalid(format!("http client: {e}")))
}

/// An async-openai client for one attempt, recording `Retry-After` into `slot`.
pub(crate) fn openai_client(
    config: &LlmConfig,
    http: &reqwest::Client,
    slot: &RetryAfterSlot,
) -> Client<OpenAIConfig> {
    let cfg = OpenAIConfig::new()
        .with_api_base(config.base_url.clone())
        .with_api_key(secrecy::ExposeSecret::expose_secret(&config.api_key).to_string());
    // `Client::build` reuses our pooled reqwest client; `with_config` would make a new one
    // per attempt, re-reading the system's root certificates every time.
    Client::build(http.clone(), cfg).with_http_service(RecordingService {
        http: http.clone(),
        retry_after: slot.clone(),
    })
}

/// Maps an async-openai error to ours, with the text relayed so far.
pub(crate) fn classify(err: OpenAIError, partial: &str) -> VoiceError {
    let partial = partial.to_string();
    match err {
        OpenAIError::ApiError(api) => {
            let status = api.status_code.as_u16();
            if status == 429 {
                VoiceError::RateLimited { partial }
            } else {
                VoiceError::Status {
                    status,
                    message: api.api_error.message,
                    partial,
                }
            }
        }
        OpenAIError::Reqwest(e) if e.is_connect() => VoiceError::Connect {
            detail: e.to_string(),
            partial,
        },
        OpenAIError::Reqwest(e) => VoiceError::Broken {
            detail: e.to_string(),
            partial,
        },
        OpenAIError::JSONDeserialize(e, content) => match upstream_error(&content) {
            Some(message) => VoiceError::Upstream { message, partial },
            None => VoiceError::Malformed {
                detail: format!("{e}: {}", truncate(&content, 200)),
                partial,
            },
        },
        OpenAIError::StreamError(e) => VoiceError::Broken {
            detail: e.to_string(),
            partial,
        },
        other => VoiceError::Invalid(other.to_string()),
    }
}

/// The message of a `{"error": {...}}` object, if `content` is one.
fn upstream_error(content: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(content).ok()?;
    let e = v.get("error")?;
    Some(
        e.get("message")
            .and_then(|m| m.as_str())
            .map_or_else(|| e.to_string(), str::to_string),
    )
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_are_parsed_and_dates_ignored() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn a_hostile_retry_after_is_clamped_not_a_panic() {
        let day = Some(Duration::from_secs(86_400));
        for (value, expected) in [
            ("inf", day),
            ("1e20", day),
            ("1e400", day),
            ("NaN", None),
            ("-1", None),
            ("-inf", None),
            ("0.5", Some(Duration::from_millis(500))),
        ] {
            let mut h = reqwest::header::HeaderMap::new();
            h.insert(reqwest::header::RETRY_AFTER, value.parse().unwrap());
            assert_eq!(parse_retry_after(&h), expected, "Retry-After: {value}");
        }
    }

    #[test]
    fn an_error_object_in_a_chunk_is_an_upstream_error() {
        let e = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let content = r#"{"error":{"message":"overloaded","type":"server_error"}}"#;
        let v = classify(OpenAIError::JSONDeserialize(e, content.into()), "so far");
        assert!(matches!(v, VoiceError::Upstream { ref message, .. } if message == "overloaded"));
        assert_eq!(v.partial(), "so far");
    }
}
