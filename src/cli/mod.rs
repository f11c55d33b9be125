//! Subcommands of the `klover` binary, one module each.

pub mod chat;
pub mod config;
pub mod curriculum;
pub mod db;
pub mod export;
pub mod replay;
pub mod review;
pub mod serve;
pub mod token;
pub mod versions;

/// Logs go to stderr (stdout is for command output such as `replay` JSON); `RUST_LOG`
/// sets the filter; by default `info` for `serve` and `warn` for one-shot commands, whose
/// output should be their answer, not the store's start-up chatter. `KLOVER_LOG_FORMAT=json` writes one JSON object per
/// line (for log collectors); otherwise human-readable text, coloured only on a terminal
/// (`NO_COLOR` turns colours off), so log files and pipes stay plain text.
///
/// Whatever `RUST_LOG` says, the websocket library logs at most at `debug`: at `trace` it
/// writes whole frames, a `hello` frame's token included ([`no_frame_payloads`]).
pub fn init_tracing(default_filter: &str) {
    use std::io::IsTerminal;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let secrets = tracing_subscriber::filter::filter_fn(no_frame_payloads);
    let json = std::env::var("KLOVER_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let _ = if json {
        builder
            .json()
            .with_current_span(true)
            .finish()
            .with(secrets)
            .try_init()
    } else {
        let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        builder.with_ansi(ansi).finish().with(secrets).try_init()
    };
}

/// False for the log lines that carry frame payloads (tungstenite's `trace` level).
fn no_frame_payloads(meta: &tracing::Metadata<'_>) -> bool {
    let websocket = ["tungstenite", "tokio_tungstenite"]
        .iter()
        .any(|t| meta.target() == *t || meta.target().starts_with(&format!("{t}::")));
    !websocket || *meta.level() <= tracing::Level::DEBUG
}
