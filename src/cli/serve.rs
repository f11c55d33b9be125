//! `klover serve`: the service (websocket, web client, HTTP API).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use klover_server::settings::Loaded;
use klover_server::{AppState, TutorVoice};

use super::config::Global;

/// Flags of `klover serve`. Each overrides the config file and the `KLOVER_*` variables.
#[derive(clap::Args)]
#[command(after_help = "Example: klover serve --bind 127.0.0.1:3000 --curriculum-dir curriculum")]
pub struct Args {
    /// Address to listen on, `ip:port` or `host:port` [default: 127.0.0.1:3000; env
    /// KLOVER_BIND].
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// Database URL [default: sqlite://klover.db; env KLOVER_DATABASE_URL or DATABASE_URL].
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Curriculum folder [default: curriculum, else the built-in reference curriculum; env
    /// KLOVER_CURRICULUM_DIR].
    #[arg(long, value_name = "DIR")]
    pub curriculum_dir: Option<PathBuf>,
    /// Require a token on every connection (mandatory off loopback) [env KLOVER_AUTH].
    #[arg(long)]
    pub auth: bool,
    /// A browser origin allowed to open the websocket (repeatable) [env KLOVER_ALLOWED_ORIGINS].
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
}

/// How long `serve` waits for an unreachable PostgreSQL at start-up (a container starting
/// beside it) before giving up with the cause.
const DATABASE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs `klover serve` until Ctrl-C or SIGTERM. The order matters for what a failure
/// leaves behind: settings, the curriculum folders (read) and the LLM are checked, then
/// the port is bound, and only then is the database opened (a port in use creates no
/// `klover.db`). The folders are imported into the store as new versions when they
/// changed; an invalid one keeps its last good published version taught.
pub async fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    let loaded = settings(args, global)?;
    let settings = &loaded.settings;
    settings.check()?;
    let folders = super::config::curriculum_folders(&loaded)?;
    let voice = TutorVoice::from_settings(&settings.llm)?;
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}: change {}",
                settings.bind,
                loaded.describe("bind", Some("--bind"))
            )
        })?;
    let store = super::config::open_store_waiting(&loaded, DATABASE_WAIT).await?;
    // Held until the process exits: a second `serve` on the same SQLite file is refused.
    let _only_server = store.claim_sqlite_file()?;
    let catalog = klover_server::curricula::import_at_start(&store, folders)
        .await
        .with_context(|| {
            format!(
                "loading the curricula: check {}",
                loaded.describe("curriculum_dir", Some("--curriculum-dir"))
            )
        })?;
    let addr = listener.local_addr()?;
    let shutdown = shutdown_signal()?;
    tracing::info!(%addr, voice = voice.name(), auth = settings.auth, "klover is listening");
    eprintln!("klover: serving on http://{addr} ({} voice)", voice.name());
    let app = AppState::new(loaded.settings, store, catalog, voice);
    klover_server::run(listener, app, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

fn settings(args: Args, global: &Global) -> anyhow::Result<Loaded> {
    let origins = (!args.allowed_origins.is_empty()).then_some(args.allowed_origins);
    let sources = global
        .sources()
        .flag("bind", "--bind", args.bind)
        .flag("database_url", "--database-url", args.database_url)
        .flag("curriculum_dir", "--curriculum-dir", args.curriculum_dir)
        .flag("auth", "--auth", args.auth.then_some(true))
        .flag("allowed_origins", "--allowed-origin", origins);
    super::config::load(sources)
}

/// Listens for Ctrl-C and SIGTERM from now on; the future completes on either. The
/// handlers are installed here, before the server says it is serving, so a signal sent
/// right after start-up still shuts down cleanly instead of killing the process.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .context("cannot listen for Ctrl-C")?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    })
}
