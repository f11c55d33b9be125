//! `klover export`: a session as a blog post.

use std::process::ExitCode;

/// Flags of `klover export`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `klover export`.
pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`klover export` is not built yet")
}
