//! `klover serve`: the service (websocket, web client, HTTP API).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use klover_server::{AppState, Catalog, Settings, TutorVoice};
use klover_store::Store;

/// Flags of `klover serve`. Each overrides the config file and the `KLOVER_*` variables.
#[derive(clap::Args)]
#[command(after_help = "Example: klover serve --bind 127.0.0.1:3000 --curriculum-dir curriculum")]
pub struct Args {
    /// A TOML settings file (see docs/operations.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:3000; env KLOVER_BIND].
    #[arg(long)]
    pub bind: Option<SocketAddr>,
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

/// Runs `klover serve` until Ctrl-C or SIGTERM.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let explicit_curriculum =
        args.curriculum_dir.is_some() || std::env::var_os("KLOVER_CURRICULUM_DIR").is_some();
    let settings = settings(args)?;
    settings.check()?;
    let explicit_curriculum =
        explicit_curriculum || settings.curriculum_dir != std::path::Path::new("curriculum");
    let catalog = Catalog::load_or_builtin(&settings.curriculum_dir, explicit_curriculum)?;
    let store = Store::connect(&settings.store_url())
        .await
        .context("opening the database")?;
    let voice = TutorVoice::from_settings(&settings.llm)?;
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    let addr = listener.local_addr()?;
    let shutdown = shutdown_signal()?;
    tracing::info!(%addr, voice = voice.name(), auth = settings.auth, "klover is listening");
    eprintln!("klover: serving on http://{addr} ({} voice)", voice.name());
    let app = AppState::new(settings, store, catalog, voice);
    klover_server::run(listener, app, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

fn settings(args: Args) -> anyhow::Result<Settings> {
    let mut s = Settings::load(args.config.as_deref(), std::env::vars())?;
    if let Some(bind) = args.bind {
        s.bind = bind;
    }
    if let Some(url) = args.database_url {
        s.database_url = url;
    }
    if let Some(dir) = args.curriculum_dir {
        s.curriculum_dir = dir;
    }
    if args.auth {
        s.auth = true;
    }
    if !args.allowed_origins.is_empty() {
        s.allowed_origins = args.allowed_origins;
    }
    Ok(s)
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
