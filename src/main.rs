//! The `klover` binary: one command line for learners, authors and operators.
//!
//! Each subcommand lives in its own module under `cli/`; this file only parses flags,
//! sets up logging and dispatches.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

/// Klover teaches by asking: explain a concept in your own words, and it asks the one
/// question that makes you close the gap.
#[derive(Parser)]
#[command(name = "klover", version, about, long_about = None, after_help = "Start here: `klover serve`, then open http://127.0.0.1:3000")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service: websocket, web client, authoring API (default 127.0.0.1:3000).
    Serve(cli::serve::Args),
    /// Chat with a running Klover server from the terminal.
    Chat(cli::chat::Args),
    /// Replay learner lines through the offline engine, one JSON object per turn.
    Replay(cli::replay::Args),
    /// Check, show or draw a curriculum folder.
    #[command(subcommand)]
    Curriculum(cli::curriculum::Command),
    /// Export a session as a blog post (Markdown or HTML).
    Export(cli::export::Args),
    /// Spaced review: see what is due.
    #[command(subcommand)]
    Review(cli::review::Command),
    /// Create API tokens for learners and authors.
    #[command(subcommand)]
    Token(cli::token::Command),
    /// Database maintenance.
    #[command(subcommand)]
    Db(cli::db::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::init_tracing(match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(a) => cli::serve::run(a).await,
            Command::Chat(a) => cli::chat::run(a).await,
            Command::Replay(a) => cli::replay::run(a).await,
            Command::Curriculum(c) => cli::curriculum::run(c),
            Command::Export(a) => cli::export::run(a).await,
            Command::Review(c) => cli::review::run(c).await,
            Command::Token(c) => cli::token::run(c).await,
            Command::Db(c) => cli::db::run(c).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
