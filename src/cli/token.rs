//! `klover token`: API tokens. Only a token's SHA-256 is stored; the token itself is
//! printed once, at creation.

use std::io::Write;
use std::process::ExitCode;

use klover_store::{Role, Store};

use super::config::Global;

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
        /// Lifetime, after which the token stops working: `90m`, `12h`, `30d` [default:
        /// none].
        #[arg(long, value_name = "DURATION", value_parser = parse_lifetime)]
        expires: Option<chrono::Duration>,
        /// Database URL [default: the `database_url` setting, as `klover serve`].
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// List tokens: id, role, learner, label, created, revoked (never the tokens).
    List {
        /// Database URL [default: the `database_url` setting, as `klover serve`].
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Revoke a token (its open sockets close within a second).
    #[command(after_help = "Example: klover token revoke klv_3f9c…")]
    Revoke {
        /// The token to revoke.
        token: String,
        /// Database URL [default: the `database_url` setting, as `klover serve`].
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
}

/// Runs `klover token ...`.
pub async fn run(command: Command, global: &Global) -> anyhow::Result<ExitCode> {
    match command {
        Command::Create {
            learner,
            role,
            label,
            expires,
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
            let store = open(global, database_url).await?;
            let who = match learner.as_deref() {
                None => None,
                Some(name) => Some(match store.find_learner_by_name(name).await? {
                    Some(l) => l,
                    None => store.create_learner(name).await?,
                }),
            };
            let expires_at = expires.map(|d| chrono::Utc::now() + d);
            let token = store
                .create_api_token_expiring(role, who.as_ref().map(|w| &w.id), &label, expires_at)
                .await?;
            store.close().await;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{token}")?;
            let whom = learner.as_deref().unwrap_or("no learner");
            eprintln!("token for {whom} ({role}); it is shown only now: keep it safe");
            Ok(ExitCode::SUCCESS)
        }
        Command::List { database_url } => {
            let store = open(global, database_url).await?;
            let tokens = store.list_api_tokens().await?;
            store.close().await;
            let mut out = std::io::stdout().lock();
            writeln!(out, "id\trole\tlearner\tlabel\tcreated\texpires\trevoked")?;
            for t in tokens {
                let revoked = t.revoked_at.map(|r| r.to_rfc3339()).unwrap_or_default();
                let expires = t.expires_at.map(|r| r.to_rfc3339()).unwrap_or_default();
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{expires}\t{revoked}",
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
            let store = open(global, database_url).await?;
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

/// `30d`, `12h`, `90m` or `45s` as a duration.
fn parse_lifetime(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (number, unit) = (
        text.get(..split).unwrap_or(""),
        text.get(split..).unwrap_or(""),
    );
    let n: i64 = number
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}`: say a positive number and a unit, such as 30d"))?;
    match unit {
        "d" => Ok(chrono::Duration::days(n)),
        "h" => Ok(chrono::Duration::hours(n)),
        "m" => Ok(chrono::Duration::minutes(n)),
        "s" => Ok(chrono::Duration::seconds(n)),
        _ => Err(format!("`{text}`: the unit is d, h, m or s (30d, 12h)")),
    }
}

async fn open(global: &Global, url: Option<String>) -> anyhow::Result<Store> {
    let sources = global.sources().flag("database_url", "--database-url", url);
    super::config::open_store(&super::config::load(sources)?).await
}
