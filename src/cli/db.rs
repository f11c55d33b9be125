//! `klover db`: database maintenance.

use std::process::ExitCode;

use klover_server::settings::Settings;
use klover_store::Store;

/// Subcommands of `klover db`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Create or upgrade the schema, then exit (`klover serve` also does it at start-up).
    Migrate {
        /// Database URL [default: as `klover serve`: sqlite://klover.db; env
        /// KLOVER_DATABASE_URL or DATABASE_URL].
        #[arg(long)]
        database_url: Option<String>,
    },
}

/// Runs `klover db ...`.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Migrate { database_url } => {
            let mut settings = Settings::load(None, std::env::vars())?;
            if let Some(url) = database_url {
                settings.database_url = url;
            }
            // The store's errors already say what to do (start PostgreSQL, upgrade klover).
            let version = Store::migrate(&settings.store_url()).await?;
            eprintln!("database schema is up to date (version {version})");
            Ok(ExitCode::SUCCESS)
        }
    }
}
