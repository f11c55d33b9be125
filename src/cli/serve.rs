//! `klover serve`: the service (websocket, web client, HTTP API).

use std::process::ExitCode;

/// Flags of `klover serve`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `klover serve`.
pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`klover serve` is not built yet")
}
