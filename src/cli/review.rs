//! `klover review`: spaced review of aha moments and weak checkpoints.

use std::process::ExitCode;

/// Subcommands of `klover review`.
#[derive(clap::Subcommand)]
pub enum Command {}

/// Runs `klover review ...`.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {}
}
