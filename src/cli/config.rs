//! `klover config show`, and what every subcommand shares: the `--config` flag, the one
//! settings loader (`klover_server::settings::load`), the database and the curricula
//! those settings name.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use klover_server::Catalog;
use klover_server::settings::{self, ConfigFile, Loaded, Origin, Sources};
use klover_store::Store;

/// Options every subcommand takes.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Global {
    /// A TOML settings file [default: ./klover.toml when it exists] (docs/operations.md).
    #[arg(long, global = true, value_name = "FILE", env = "KLOVER_CONFIG")]
    pub config: Option<PathBuf>,
}

impl Global {
    /// The settings file and this process's environment, no flags yet.
    pub fn sources(&self) -> Sources {
        let file = match &self.config {
            Some(path) => ConfigFile::Explicit(path.clone()),
            None => ConfigFile::Default,
        };
        Sources::new(file, std::env::vars())
    }
}

/// Subcommands of `klover config`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Print the effective settings, where each value came from, secrets redacted.
    #[command(
        after_help = "Examples:\n  klover config show\n  klover --config prod.toml config show"
    )]
    Show,
}

/// Runs `klover config ...`.
pub fn run(command: Command, global: &Global) -> anyhow::Result<ExitCode> {
    let Command::Show = command;
    let loaded = load(global.sources())?;
    std::io::stdout()
        .lock()
        .write_all(loaded.show().as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Loads the settings (defaults → file → environment → the flags in `sources`).
pub fn load(sources: Sources) -> anyhow::Result<Loaded> {
    Ok(settings::load::load(&sources)?)
}

/// Opens the database the settings name; a failure says which setting to change.
pub async fn open_store(loaded: &Loaded) -> anyhow::Result<Store> {
    open_store_waiting(loaded, std::time::Duration::ZERO).await
}

/// As [`open_store`], waiting up to `wait` (with backoff, logging each try) while
/// PostgreSQL cannot be reached: `serve` in a container starting beside its database.
pub async fn open_store_waiting(
    loaded: &Loaded,
    wait: std::time::Duration,
) -> anyhow::Result<Store> {
    Store::connect_waiting(&loaded.settings.store_url(), 10, wait)
        .await
        .with_context(|| {
            format!(
                "opening the database {}: check {}",
                settings::load::redact_url(&loaded.settings.database_url),
                loaded.describe("database_url", Some("--database-url"))
            )
        })
}

/// The curricula the settings name, resolved the same way for every command: the folder
/// `curriculum_dir`; when that setting is at its default and the folder does not exist,
/// the built-in reference curriculum (as `klover serve` teaches it).
pub fn catalog(loaded: &Loaded) -> anyhow::Result<Catalog> {
    let explicit = loaded.origin("curriculum_dir") != Origin::Default;
    Catalog::load_or_builtin(&loaded.settings.curriculum_dir, explicit).with_context(|| {
        format!(
            "loading the curricula: check {}",
            loaded.describe("curriculum_dir", Some("--curriculum-dir"))
        )
    })
}

/// The curriculum folders the settings name, read but not validated (`serve` imports them
/// into the store): resolved as [`catalog`] resolves them.
pub fn curriculum_folders(
    loaded: &Loaded,
) -> anyhow::Result<Vec<klover_server::curricula::Folder>> {
    let explicit = loaded.origin("curriculum_dir") != Origin::Default;
    klover_server::curricula::read_folders(&loaded.settings.curriculum_dir, explicit).with_context(
        || {
            format!(
                "loading the curricula: check {}",
                loaded.describe("curriculum_dir", Some("--curriculum-dir"))
            )
        },
    )
}
