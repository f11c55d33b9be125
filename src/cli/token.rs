//! `klover token`: API tokens. Only a token's SHA-256 is stored; the token itself is
//! printed once, at creation.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use klover_server::Settings;
use klover_store::{Role, Store};

/// Subcommands of `klover token`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a token for a learner (created if new) and print it once.
    #[command(
        after_help = "Example: klover token create --learner ada\n         klover token create --learner ada --role author\n         klover token create --role admin --label prometheus"
    )]
    Create {
        /// The learner the token speaks for (required for the learner role).
        #[arg(long)]
        learner: Option<String>,
        /// `learner` (default), `author` or `admin` (an operator: `/metrics`, authoring).
        #[arg(long, default_value = "learner")]
        role: String,
        /// A note for the operator ("laptop", "ci").
        #[arg(long, default_value = "")]
        label: String,
        /// Database URL [default: as `klover serve`].
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// List tokens: id, role, learner, label, created, revoked (never the tokens).
    List {
        /// Database URL [default: as `klover serve`].
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Revoke a token (its open sockets close within a second).
    #[command(after_help = "Example: klover token revoke klv_3f9c…")]
    Revoke {
        /// The token to revoke.
        token: String,
        /// Database URL [default: as `klover serve`].
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
}

/// Runs `klover token ...`.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Create {
            learner,
            role,
            label,
            database_url,
        } => {
            let role = match role.as_str() {
                "learner" => Role::Learner,
                "author" => Role::Author,
                "admin" => Role::Admin,
                other => anyhow::bail!("unknown role `{other}`: use learner, author or admin"),
            };
            if role == Role::Learner && learner.is_none() {
                anyhow::bail!("a learner token needs --learner NAME");
            }
            let store = open(database_url).await?;
            let who = match learner.as_deref() {
                None => None,
                Some(name) => Some(match store.find_learner_by_name(name).await? {
                    Some(l) => l,
                    None => store.create_learner(name).await?,
                }),
            };
            let token = store
                .create_api_token(role, who.as_ref().map(|w| &w.id), &label)
                .await?;
            store.close().await;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{token}")?;
            let whom = learner.as_deref().unwrap_or("no learner");
            eprintln!("token for {whom} ({role}); it is shown only now: keep it safe");
            Ok(ExitCode::SUCCESS)
        }
        Command::List { database_url } => {
            let store = open(database_url).await?;
            let tokens = store.list_api_tokens().await?;
            store.close().await;
            let mut out = std::io::stdout().lock();
            writeln!(out, "id\trole\tlearner\tlabel\tcreated\trevoked")?;
            for t in tokens {
                let revoked = t.revoked_at.map(|r| r.to_rfc3339()).unwrap_or_default();
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{revoked}",
                    t.id,
                    t.role,
                    t.learner.as_deref().unwrap_or("-"),
                    t.label,
                    t.created_at.to_rfc3339(),
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Revoke {
            token,
            database_url,
        } => {
            let store = open(database_url).await?;
            let revoked = store.revoke_api_token(&token).await?;
            store.close().await;
            if revoked {
                eprintln!("revoked");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("no such valid token");
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

async fn open(url: Option<String>) -> anyhow::Result<Store> {
    let mut settings = Settings::load(None, std::env::vars())?;
    if let Some(url) = url {
        settings.database_url = url;
    }
    Store::connect(&settings.store_url())
        .await
        .context("opening the database")
}
