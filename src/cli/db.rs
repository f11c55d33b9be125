//! `klover db`: database maintenance.

use std::process::ExitCode;

use klover_store::Store;

use super::config::Global;

/// Subcommands of `klover db`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Create or upgrade the schema, then exit (`klover serve` also does it at start-up).
    Migrate {
        /// Database URL [default: the `database_url` setting, as `klover serve`].
        #[arg(long)]
        database_url: Option<String>,
    },
}

/// Runs `klover db ...`.
pub async fn run(command: Command, global: &Global) -> anyhow::Result<ExitCode> {
    match command {
        Command::Migrate { database_url } => {
            let loaded = super::config::load(global.sources().flag(
                "database_url",
                "--database-url",
                database_url,
            ))?;
            // The store's errors say what to do (start PostgreSQL, upgrade klover); the
            // context says which setting named the database.
            let version = Store::migrate(&loaded.settings.store_url())
                .await
                .map_err(anyhow::Error::new)
                .map_err(|e| {
                    e.context(format!(
                        "check {}",
                        loaded.describe("database_url", Some("--database-url"))
                    ))
                })?;
            eprintln!("database schema is up to date (version {version})");
            Ok(ExitCode::SUCCESS)
        }
    }
}
