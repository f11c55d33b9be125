//! `klover replay`: learner lines through the offline engine, JSON per turn.

use std::process::ExitCode;

/// Flags of `klover replay`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `klover replay`.
pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`klover replay` is not built yet")
}
