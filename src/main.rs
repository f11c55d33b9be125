//! The `klover` binary: one command line for learners, authors and operators.
//!
//! Each subcommand lives in its own module under `cli/`; this file only parses flags,
//! sets up logging and dispatches.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

/// mimalloc, not the system allocator: a turn allocates a lot on several threads, and glibc
/// malloc cost ~15 % of the server's CPU under load (docs/benchmarks.md, "mimalloc").
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Klover teaches by asking: explain a concept in your own words, and it asks the one
/// question that makes you close the gap.
#[derive(Parser)]
#[command(name = "klover", version, about, long_about = None, after_help = "Start here: `klover serve`, then open http://127.0.0.1:3000")]
struct Cli {
    #[command(flatten)]
    global: cli::config::Global,
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
    /// Check, show or draw a curriculum folder; import and export stored versions.
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
    /// The effective settings and where each came from.
    #[command(subcommand)]
    Config(cli::config::Command),
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
    let global = cli.global;
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(a) => cli::serve::run(a, &global).await,
            Command::Chat(a) => cli::chat::run(a, &global).await,
            Command::Replay(a) => cli::replay::run(a, &global).await,
            Command::Curriculum(c) => cli::curriculum::run(c, &global).await,
            Command::Export(a) => cli::export::run(a, &global).await,
            Command::Review(c) => cli::review::run(c, &global).await,
            Command::Token(c) => cli::token::run(c, &global).await,
            Command::Db(c) => cli::db::run(c, &global).await,
            Command::Config(c) => cli::config::run(c, &global),
        }
    });
    // Not `drop`: that waits for blocking tasks, and `klover chat`'s reader of stdin is
    // one, blocked until the next line is typed (`/quit` would wait for an Enter).
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
