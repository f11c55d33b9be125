//! `klover chat`: the terminal client.

use std::process::ExitCode;

/// Flags of `klover chat`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `klover chat`.
pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`klover chat` is not built yet")
}
