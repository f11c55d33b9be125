//! `klover db`: database maintenance.

use std::process::ExitCode;

/// Subcommands of `klover db`.
#[derive(clap::Subcommand)]
pub enum Command {}

/// Runs `klover db ...`.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {}
}
