//! Every knob of Klover in one [`Settings`] struct. [`load`] layers it: defaults, then
//! `klover.toml` (or `--config FILE`), then `KLOVER_*` environment variables (with the
//! aliases `DATABASE_URL` and `OPENAI_API_KEY`, which lose to their `KLOVER_` names), then
//! command-line flags; it remembers where each value came from (`klover config show`).
//! Secrets are `secrecy` strings: `Debug` and `config show` print them redacted.

pub mod load;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use klover_llm::ApiKey;
use serde::{Deserialize, Serialize};

use crate::error::Error;

pub use load::{ConfigFile, Loaded, Origin, Sources};

/// The whole configuration of Klover. Defaults work on a fresh machine. Each field's
/// environment variable is `KLOVER_` and its name in capitals (`[limits]` keys without
/// the section, `[llm]` keys with `LLM_`): see [`load::env_names`].
#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on (`KLOVER_BIND`); loopback by default. A host name is resolved
    /// (`localhost:4303`), preferring its IPv4 address.
    #[serde(deserialize_with = "socket_addr")]
    pub bind: SocketAddr,
    /// Database URL (`KLOVER_DATABASE_URL` or `DATABASE_URL`): SQLite file by default.
    pub database_url: String,
    /// Folder holding curricula (`KLOVER_CURRICULUM_DIR`): either one curriculum (it has a
    /// `curriculum.toml`) or a folder of curricula, one per sub-folder.
    pub curriculum_dir: PathBuf,
    /// Require a token on every connection (`KLOVER_AUTH=on`). Mandatory off loopback.
    pub auth: bool,
    /// Origins a browser may open the websocket from, besides the server's own host
    /// (`KLOVER_ALLOWED_ORIGINS`, comma separated).
    pub allowed_origins: Vec<String>,
    /// Websocket and rate limits.
    pub limits: Limits,
    /// The LLM voice; absent means the offline voice.
    pub llm: LlmSettings,
    /// How long running replies get to finish on shutdown before they are stored as partial.
    pub shutdown_grace_ms: u64,
    /// Pause between the offline voice's deltas (0: send at once). A small pause makes the
    /// offline tutor feel typed; tests use it to stop or cut a reply mid-stream.
    pub offline_delta_delay_ms: u64,
    /// How long a claim on a reply holds without renewal (`KLOVER_REPLY_LEASE_MS`). The
    /// instance driving a reply renews it every third of this; after a crash, another
    /// instance (or this one restarted) takes the unfinished reply over once it runs out.
    /// The same lease makes one instance the owner of a session (its fencing number
    /// guards every write): it bounds failover after a crash.
    pub reply_lease_ms: u64,
}

/// Limits protecting the service from one client (documented in `docs/operations.md`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest client frame, in bytes; bigger closes the socket with 1009.
    pub max_message_bytes: usize,
    /// Sustained client frames per minute per learner.
    pub rate_per_minute: u32,
    /// Frames a learner may send at once above the sustained rate.
    pub rate_burst: u32,
    /// The server pings a connection this often (seconds).
    pub ping_interval_secs: u64,
    /// A connection silent this long (no frame, no pong) is closed (seconds).
    pub idle_timeout_secs: u64,
    /// tungstenite read buffer per connection (its default, 128 KiB, is far too big).
    pub read_buffer_bytes: usize,
    /// tungstenite write buffer threshold per connection.
    pub write_buffer_bytes: usize,
    /// A frame the peer does not take within this long drops the connection (seconds):
    /// a client that stops reading must not hold its connection forever.
    pub send_timeout_secs: u64,
    /// A connection must finish each request's headers within this long (milliseconds):
    /// idle and slow-header ("slowloris") connections are closed after it.
    pub header_read_timeout_ms: u64,
    /// Open TCP connections at most, all clients together (also kept under the process's
    /// open-file limit); one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// Open TCP connections at most from one IP address.
    pub max_connections_per_ip: usize,
    /// Websocket handshakes per minute from one IP address (429 beyond).
    pub handshakes_per_minute_per_ip: u32,
    /// Failed token checks per minute from one IP address; beyond it, requests carrying
    /// a token and handshakes get 429 until the minute is over.
    pub failed_auth_per_minute_per_ip: u32,
    /// Largest HTTP request body, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// An HTTP request must be answered within this long (seconds; 408 beyond).
    pub request_timeout_secs: u64,
    /// With auth on, a websocket must authenticate within this long (seconds).
    pub hello_timeout_secs: u64,
}

/// LLM settings; the voice is offline unless a base URL or an API key is set.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmSettings {
    /// OpenAI-compatible base URL, including `/v1`; none with a key means OpenAI.
    pub base_url: Option<String>,
    /// API key (`KLOVER_LLM_API_KEY`, or its alias `OPENAI_API_KEY`); printed redacted.
    #[serde(serialize_with = "redacted")]
    pub api_key: Option<ApiKey>,
    /// Model name.
    pub model: String,
    /// TCP (and TLS) connection set-up, in seconds.
    pub connect_timeout_secs: u64,
    /// From a request (each attempt) to the first token of the reply, in seconds.
    pub first_token_timeout_secs: u64,
    /// Between two chunks once a reply streams, in seconds.
    pub chunk_timeout_secs: u64,
    /// Retries of a failed request before its first token (2: at most three requests).
    pub max_retries: u32,
    /// Cap on the tokens of one tutor reply.
    pub max_tokens: u32,
    /// Cap on the tokens of one judge verdict.
    pub judge_max_tokens: u32,
    /// The judge's model, when not `model` (none: the same).
    pub judge_model: Option<String>,
    /// The longest the tutor's first words wait for the judge, in milliseconds (the
    /// rubric's assessment stands after it).
    pub judge_wait_ms: u64,
}

/// An address as `ip:port`, or `host:port` resolved (IPv4 first).
fn socket_addr<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(d)?;
    resolve_addr(&text).map_err(serde::de::Error::custom)
}

/// `ip:port`, or `host:port` resolved (IPv4 first): what `bind` accepts.
pub fn resolve_addr(text: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(addr) = text.trim().parse() {
        return Ok(addr);
    }
    let addrs: Vec<SocketAddr> = text
        .trim()
        .to_socket_addrs()
        .map_err(|e| format!("`{text}` is not an address such as 127.0.0.1:3000 ({e})"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("`{text}` resolves to no address"))
}

/// Serializes a secret as `[redacted]` (for `klover config show`), never its value.
fn redacted<S: serde::Serializer>(secret: &Option<ApiKey>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => s.serialize_str("[redacted]"),
        None => s.serialize_none(),
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: "sqlite://klover.db".into(),
            curriculum_dir: PathBuf::from("curriculum"),
            auth: false,
            allowed_origins: Vec::new(),
            limits: Limits::default(),
            llm: LlmSettings::default(),
            shutdown_grace_ms: 3000,
            offline_delta_delay_ms: 0,
            reply_lease_ms: 10_000,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 16 * 1024,
            rate_per_minute: 60,
            rate_burst: 20,
            ping_interval_secs: 30,
            idle_timeout_secs: 90,
            read_buffer_bytes: 4096,
            write_buffer_bytes: 4096,
            send_timeout_secs: 10,
            header_read_timeout_ms: 10_000,
            max_connections: 4096,
            max_connections_per_ip: 64,
            handshakes_per_minute_per_ip: 60,
            failed_auth_per_minute_per_ip: 10,
            max_body_bytes: 2 * 1024 * 1024,
            request_timeout_secs: 30,
            hello_timeout_secs: 10,
        }
    }
}

impl Default for LlmSettings {
    fn default() -> Self {
        let timeouts = klover_llm::Timeouts::default();
        let retry = klover_llm::RetryPolicy::default();
        let config = klover_llm::LlmConfig::new("", ApiKey::default(), "");
        Self {
            base_url: None,
            api_key: None,
            model: klover_llm::config::DEFAULT_MODEL.to_owned(),
            connect_timeout_secs: timeouts.connect.as_secs(),
            first_token_timeout_secs: timeouts.first_token.as_secs(),
            chunk_timeout_secs: timeouts.between_chunks.as_secs(),
            max_retries: retry.max_retries,
            max_tokens: config.max_tokens,
            judge_max_tokens: config.judge_max_tokens,
            judge_model: None,
            judge_wait_ms: u64::try_from(config.judge_wait.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

impl Limits {
    /// Ping interval as a duration.
    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval_secs.max(1))
    }

    /// Send timeout as a duration.
    pub fn send_timeout(&self) -> Duration {
        Duration::from_secs(self.send_timeout_secs.max(1))
    }

    /// Time to authenticate as a duration.
    pub fn hello_timeout(&self) -> Duration {
        Duration::from_secs(self.hello_timeout_secs.max(1))
    }

    /// Header-read timeout as a duration.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms.max(1))
    }

    /// Idle timeout as a duration.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs.max(1))
    }
}

impl LlmSettings {
    /// Whether an LLM is configured (a base URL, or a key for the default OpenAI URL).
    pub fn is_configured(&self) -> bool {
        self.config().is_some()
    }

    /// The LLM adapter's configuration, or `None` for the offline voice.
    pub fn config(&self) -> Option<klover_llm::LlmConfig> {
        let mut c = klover_llm::LlmConfig::resolve(
            self.base_url.as_deref(),
            self.api_key.as_ref(),
            Some(&self.model),
        )?;
        c.timeouts = klover_llm::Timeouts {
            connect: Duration::from_secs(self.connect_timeout_secs.max(1)),
            first_token: Duration::from_secs(self.first_token_timeout_secs.max(1)),
            between_chunks: Duration::from_secs(self.chunk_timeout_secs.max(1)),
        };
        c.retry.max_retries = self.max_retries;
        c.max_tokens = self.max_tokens.max(1);
        c.judge_max_tokens = self.judge_max_tokens.max(1);
        c.judge_model = self.judge_model.clone().filter(|m| !m.trim().is_empty());
        c.judge_wait = Duration::from_millis(self.judge_wait_ms.max(1));
        Some(c)
    }
}

/// Written by hand so that a password in `database_url` never reaches a log line.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("database_url", &load::redact_url(&self.database_url))
            .field("curriculum_dir", &self.curriculum_dir)
            .field("auth", &self.auth)
            .field("allowed_origins", &self.allowed_origins)
            .field("limits", &self.limits)
            .field("llm", &self.llm)
            .field("shutdown_grace_ms", &self.shutdown_grace_ms)
            .field("offline_delta_delay_ms", &self.offline_delta_delay_ms)
            .field("reply_lease_ms", &self.reply_lease_ms)
            .finish()
    }
}

impl Settings {
    /// The database URL for the store: a SQLite URL gets `mode=rwc` so that a fresh
    /// machine creates `klover.db` on first use.
    pub fn store_url(&self) -> String {
        let url = &self.database_url;
        if url.starts_with("sqlite:") && !url.contains("mode=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.clone()
        }
    }

    /// Refuses settings that would expose learners: a non-loopback bind without auth.
    pub fn check(&self) -> Result<(), Error> {
        if !self.bind.ip().is_loopback() && !self.auth {
            return Err(Error::Config(format!(
                "refusing to listen on {} without auth: anyone on the network could read \
                 every session. Turn auth on (setting `auth`: --auth, KLOVER_AUTH=on or \
                 `auth = true` in klover.toml) and create tokens with `klover token create \
                 --learner NAME`, or change `bind` to 127.0.0.1",
                self.bind
            )));
        }
        if self.limits.max_message_bytes < 256 || self.limits.rate_per_minute == 0 {
            return Err(Error::Config(
                "limits too small: `limits.max_message_bytes` (KLOVER_MAX_MESSAGE_BYTES) must be \
                 ≥ 256 and `limits.rate_per_minute` (KLOVER_RATE_PER_MINUTE) ≥ 1"
                    .into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
