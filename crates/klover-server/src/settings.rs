//! Every knob of the service in one [`Settings`] struct, layered: defaults, then an
//! optional TOML file, then `KLOVER_*` environment variables, then command-line flags
//! (the binary applies those last). Secrets never print: see [`Secret`].

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::Error;

/// A value that must not appear in logs or `Debug` output (API keys).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: call only where it is sent to its destination.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The whole configuration of `klover serve`. Defaults work on a fresh machine.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on (`KLOVER_BIND`); loopback by default.
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
    pub reply_lease_ms: u64,
}

/// Limits protecting the service from one client (documented in `docs/operations.md`).
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmSettings {
    /// OpenAI-compatible base URL, including `/v1` (`KLOVER_LLM_BASE_URL`).
    pub base_url: Option<String>,
    /// API key (`KLOVER_LLM_API_KEY` or `OPENAI_API_KEY`).
    pub api_key: Option<Secret>,
    /// Model name (`KLOVER_LLM_MODEL`).
    pub model: Option<String>,
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
            reply_lease_ms: 30_000,
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
        self.base_url.is_some() || self.api_key.is_some()
    }
}

impl Settings {
    /// Defaults, then the TOML file if given, then the environment.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, Error> {
        let mut settings = match file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        settings.apply_env(env)?;
        Ok(settings)
    }

    /// Reads a TOML settings file (unknown keys are errors).
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
    }

    /// Applies `KLOVER_*` variables (and `DATABASE_URL`, `OPENAI_API_KEY`).
    pub fn apply_env(
        &mut self,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), Error> {
        for (key, value) in env {
            self.apply_var(&key, value)?;
        }
        Ok(())
    }

    fn apply_var(&mut self, key: &str, value: String) -> Result<(), Error> {
        let l = &mut self.limits;
        match key {
            "KLOVER_BIND" => self.bind = parse(key, &value)?,
            "KLOVER_DATABASE_URL" | "DATABASE_URL" => self.database_url = value,
            "KLOVER_CURRICULUM_DIR" => self.curriculum_dir = value.into(),
            "KLOVER_AUTH" => self.auth = parse_bool(key, &value)?,
            "KLOVER_ALLOWED_ORIGINS" => {
                self.allowed_origins = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "KLOVER_MAX_MESSAGE_BYTES" => l.max_message_bytes = parse(key, &value)?,
            "KLOVER_RATE_PER_MINUTE" => l.rate_per_minute = parse(key, &value)?,
            "KLOVER_RATE_BURST" => l.rate_burst = parse(key, &value)?,
            "KLOVER_PING_INTERVAL_SECS" => l.ping_interval_secs = parse(key, &value)?,
            "KLOVER_IDLE_TIMEOUT_SECS" => l.idle_timeout_secs = parse(key, &value)?,
            "KLOVER_SEND_TIMEOUT_SECS" => l.send_timeout_secs = parse(key, &value)?,
            "KLOVER_HEADER_READ_TIMEOUT_MS" => l.header_read_timeout_ms = parse(key, &value)?,
            "KLOVER_MAX_CONNECTIONS" => l.max_connections = parse(key, &value)?,
            "KLOVER_MAX_CONNECTIONS_PER_IP" => l.max_connections_per_ip = parse(key, &value)?,
            "KLOVER_HANDSHAKES_PER_MINUTE_PER_IP" => {
                l.handshakes_per_minute_per_ip = parse(key, &value)?;
            }
            "KLOVER_FAILED_AUTH_PER_MINUTE_PER_IP" => {
                l.failed_auth_per_minute_per_ip = parse(key, &value)?;
            }
            "KLOVER_MAX_BODY_BYTES" => l.max_body_bytes = parse(key, &value)?,
            "KLOVER_REQUEST_TIMEOUT_SECS" => l.request_timeout_secs = parse(key, &value)?,
            "KLOVER_HELLO_TIMEOUT_SECS" => l.hello_timeout_secs = parse(key, &value)?,
            "KLOVER_LLM_BASE_URL" => self.llm.base_url = Some(value),
            "KLOVER_LLM_API_KEY" => self.llm.api_key = Some(Secret(value)),
            "OPENAI_API_KEY" if self.llm.api_key.is_none() => {
                self.llm.api_key = Some(Secret(value));
            }
            "KLOVER_LLM_MODEL" => self.llm.model = Some(value),
            "KLOVER_SHUTDOWN_GRACE_MS" => self.shutdown_grace_ms = parse(key, &value)?,
            "KLOVER_OFFLINE_DELTA_DELAY_MS" => self.offline_delta_delay_ms = parse(key, &value)?,
            "KLOVER_REPLY_LEASE_MS" => self.reply_lease_ms = parse(key, &value)?,
            _ => {}
        }
        Ok(())
    }

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
                 every session. Turn auth on (KLOVER_AUTH=on or --auth) and create tokens \
                 with `klover token create --learner NAME`, or bind to 127.0.0.1",
                self.bind
            )));
        }
        if self.limits.max_message_bytes < 256 || self.limits.rate_per_minute == 0 {
            return Err(Error::Config(
                "limits too small: max_message_bytes must be ≥ 256 and rate_per_minute ≥ 1".into(),
            ));
        }
        Ok(())
    }
}

fn parse<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, Error>
where
    T::Err: fmt::Display,
{
    value
        .trim()
        .parse()
        .map_err(|e| Error::Config(format!("{key}={value:?}: {e}")))
}

fn parse_bool(key: &str, value: &str) -> Result<bool, Error> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" | "" => Ok(false),
        _ => Err(Error::Config(format!("{key}={value:?}: say on or off"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_listen_on_loopback_3000_with_16_kib_frames() {
        let s = Settings::default();
        assert_eq!(s.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(s.limits.max_message_bytes, 16384);
        assert!(s.check().is_ok());
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("klover.toml");
        std::fs::write(
            &path,
            "bind = \"127.0.0.1:4000\"\n[limits]\nrate_burst = 3\n",
        )
        .unwrap();
        let s = Settings::load(Some(&path), env(&[("KLOVER_BIND", "127.0.0.1:5000")])).unwrap();
        assert_eq!(s.bind.port(), 5000);
        assert_eq!(s.limits.rate_burst, 3);
    }

    #[test]
    fn unknown_file_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("klover.toml");
        std::fs::write(&path, "bnd = \"127.0.0.1:4000\"\n").unwrap();
        assert!(Settings::load(Some(&path), env(&[])).is_err());
    }

    #[test]
    fn the_api_key_never_prints() {
        let s = Settings::load(None, env(&[("KLOVER_LLM_API_KEY", "sk-very-secret")])).unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert!(shown.contains("[redacted]"));
        assert!(s.llm.is_configured());
    }

    #[test]
    fn a_public_bind_without_auth_is_refused() {
        let s = Settings::load(None, env(&[("KLOVER_BIND", "0.0.0.0:3000")])).unwrap();
        let err = s.check().unwrap_err().to_string();
        assert!(err.contains("without auth"), "{err}");
        let s = Settings::load(
            None,
            env(&[("KLOVER_BIND", "0.0.0.0:3000"), ("KLOVER_AUTH", "on")]),
        )
        .unwrap();
        assert!(s.check().is_ok());
    }
}
