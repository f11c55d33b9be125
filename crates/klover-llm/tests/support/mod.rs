//! Shared helpers for the LLM adapter's tests: a config pointing at the fake server, and
//! the curricula of `klover_domain::testing` (a small async fixture, the repository's).
#![allow(
    dead_code,
    unused_imports,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)]

use std::time::Duration;

use klover_llm::{ApiKey, LlmConfig};

/// A config for the fake server at `base_url`: fast retries, and timeouts generous enough
/// for a busy machine.
pub fn config(base_url: String) -> LlmConfig {
    let mut c = LlmConfig::new(base_url, ApiKey::from("sk-test-key"), "fake-model");
    c.timeouts.first_token = Duration::from_secs(10);
    c.timeouts.between_chunks = Duration::from_secs(10);
    c.retry.base_delay = Duration::from_millis(10);
    c
}

/// [`config`] with short timeouts, for tests that wait for one to fire.
pub fn hang_config(base_url: String) -> LlmConfig {
    let mut c = config(base_url);
    c.timeouts.first_token = Duration::from_millis(300);
    c.timeouts.between_chunks = Duration::from_millis(300);
    c
}

// The curricula have one home: `klover_domain::testing` (the `test-support` feature).
pub use klover_domain::testing::{async_fixture as fixture, load, repo};
