//! `klover token`: API tokens.

use std::process::ExitCode;

/// Subcommands of `klover token`.
#[derive(clap::Subcommand)]
pub enum Command {}

/// Runs `klover token ...`.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {}
}
