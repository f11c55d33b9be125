//! Subcommands of the `klover` binary, one module each.

pub mod chat;
pub mod curriculum;
pub mod db;
pub mod export;
pub mod replay;
pub mod review;
pub mod serve;
pub mod token;

/// Logs go to stderr (stdout is for command output such as `replay` JSON); `RUST_LOG`
/// sets the filter, `info` by default.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
