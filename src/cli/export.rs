//! `klover export`: a stored session as a blog post (Markdown with front matter, or HTML).
//!
//! Finds the session and its curriculum, builds the transcript with
//! `klover_server::export::transcript` (the same mapping the HTTP export uses: turns,
//! concepts from the event log, aha marks, next review from the learner's cards) and
//! renders it with the flags' options.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use klover_domain::export::{self, ExportOptions, Format, FrontMatter};
use klover_server::Catalog;
use klover_store::{SessionId, Store};

use super::config::Global;

/// Flags of `klover export`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  klover export 0193f2c4-… > post.md\n  klover export 0193f2c4-… --front-matter devto --author \"Ada\" -o posts/\n  klover export 0193f2c4-… --format html -o session.html\n  klover export 0193f2c4-… --list-turns\n  klover export 0193f2c4-… --omit 7,8 > post.md\n  klover export --latest --learner ada --front-matter hugo -o posts/"
)]
pub struct Args {
    /// The session id (the web client and `klover chat` show it); or use `--latest`.
    #[arg(required_unless_present = "latest")]
    pub session: Option<String>,
    /// Export the learner's most recent session instead.
    #[arg(long, conflicts_with = "session")]
    pub latest: bool,
    /// With `--latest`: whose [default: `local`, the learner of a server without auth].
    #[arg(long, value_name = "NAME", requires = "latest")]
    pub learner: Option<String>,
    /// Markdown or a standalone HTML page.
    #[arg(long, value_enum, default_value_t = FormatArg::Md)]
    pub format: FormatArg,
    /// Front matter for a publishing target (Markdown only: refused with `--format html`).
    #[arg(long, value_enum, default_value_t = FrontMatterArg::None)]
    pub front_matter: FrontMatterArg,
    /// Byline; without it the learner's name appears nowhere in the post.
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,
    /// Title, instead of one derived from the curriculum.
    #[arg(long)]
    pub title: Option<String>,
    /// Turns to leave out (an off-topic exchange), comma-separated: numbers as
    /// `--list-turns` shows them, or turn ids.
    #[arg(long, value_name = "TURNS", value_delimiter = ',')]
    pub omit: Vec<String>,
    /// List the session's turns with their numbers and ids (for `--omit`) instead of
    /// exporting.
    #[arg(long)]
    pub list_turns: bool,
    /// Write here instead of stdout; a folder gets the suggested `YYYY-MM-DD-slug.md`.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Database URL [default: the `database_url` setting, as `klover serve`].
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Curriculum folder [default: the `curriculum_dir` setting; without one and without
    /// ./curriculum, the built-in curriculum, as `klover serve`].
    #[arg(long, value_name = "DIR")]
    pub curriculum_dir: Option<PathBuf>,
}

/// `--format`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// Markdown.
    Md,
    /// Standalone HTML page.
    Html,
}

/// `--front-matter`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum FrontMatterArg {
    /// dev.to (YAML, `published: false`).
    Devto,
    /// Hugo (TOML, `draft = true`).
    Hugo,
    /// Jekyll (YAML, `layout: post`).
    Jekyll,
    /// None: the post starts with its `# Title`.
    None,
}

/// Runs `klover export`.
pub async fn run(args: Args, global: &Global) -> anyhow::Result<ExitCode> {
    if matches!(args.format, FormatArg::Html) && !matches!(args.front_matter, FrontMatterArg::None)
    {
        anyhow::bail!(
            "--front-matter is for Markdown posts; --format html writes a standalone page. \
             Drop --front-matter, or use --format md"
        );
    }
    let sources = global
        .sources()
        .flag("database_url", "--database-url", args.database_url.clone())
        .flag(
            "curriculum_dir",
            "--curriculum-dir",
            args.curriculum_dir.clone(),
        );
    let loaded = super::config::load(sources)?;
    let catalog = super::config::catalog(&loaded)?;
    let store = super::config::open_store(&loaded).await?;
    let result = match which_session(&store, &args).await {
        Ok(id) => load(&store, &catalog, &id).await,
        Err(e) => Err(e),
    };
    store.close().await;
    let transcript = result?;
    if args.list_turns {
        print_turns(&transcript)?;
        return Ok(ExitCode::SUCCESS);
    }
    let omit = omitted_ids(&transcript, &args.omit)?;
    let options = ExportOptions {
        format: match args.format {
            FormatArg::Md => Format::Markdown,
            FormatArg::Html => Format::Html,
        },
        front_matter: match args.front_matter {
            FrontMatterArg::Devto => FrontMatter::Devto,
            FrontMatterArg::Hugo => FrontMatter::Hugo,
            FrontMatterArg::Jekyll => FrontMatter::Jekyll,
            FrontMatterArg::None => FrontMatter::None,
        },
        author: args.author,
        title: args.title,
        omit,
    };
    let post = export::render(&transcript, &options)?;
    match args.output {
        None => std::io::stdout().lock().write_all(post.as_bytes())?,
        Some(path) => {
            let path = if path.is_dir() {
                path.join(export::suggested_file_name(&transcript, &options))
            } else {
                path
            };
            std::fs::write(&path, post)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--list-turns`: number, id, speaker and the start of each turn.
fn print_turns(t: &export::Transcript) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for (i, turn) in t.turns.iter().enumerate() {
        let who = match turn.role {
            export::Role::Learner => "Me",
            export::Role::Tutor => t.persona.as_str(),
        };
        let line = turn.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let short: String = line.chars().take(60).collect();
        let more = if short.len() < line.len() { "…" } else { "" };
        writeln!(out, "{:>3}  {}  {who}: {short}{more}", i + 1, turn.id)?;
    }
    Ok(())
}

/// `--omit` values as turn ids: a number is the turn `--list-turns` shows under it.
fn omitted_ids(t: &export::Transcript, omit: &[String]) -> anyhow::Result<Vec<String>> {
    omit.iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(|v| match v.parse::<usize>() {
            Ok(n) => t
                .turns
                .get(n.wrapping_sub(1))
                .map(|turn| turn.id.clone())
                .with_context(|| {
                    format!(
                        "--omit {n}: the session has turns 1 to {}; see --list-turns",
                        t.turns.len()
                    )
                }),
            Err(_) => Ok(v.to_owned()),
        })
        .collect()
}

/// The session named on the command line, or the learner's latest with `--latest`.
async fn which_session(store: &Store, args: &Args) -> anyhow::Result<SessionId> {
    if let Some(text) = &args.session {
        return SessionId::parse(text)
            .with_context(|| format!("`{text}` is not a session id (expected a UUID)"));
    }
    let name = args
        .learner
        .clone()
        .unwrap_or_else(|| klover_server::auth::LOCAL_LEARNER.to_owned());
    let learner = store.find_learner_by_name(&name).await?.with_context(|| {
        format!(
            "no learner named `{name}` in this database: a learner appears with their \
                 first session (`klover chat` or the web client); another learner: --learner NAME"
        )
    })?;
    let latest = store.list_sessions(&learner.id).await?.into_iter().next();
    latest.map(|s| s.id).with_context(|| {
        format!("`{name}` has no session yet: start one with `klover chat` or the web client")
    })
}

async fn load(
    store: &Store,
    catalog: &Catalog,
    id: &SessionId,
) -> anyhow::Result<export::Transcript> {
    let row = store
        .find_session(id)
        .await?
        .with_context(|| format!("no session `{id}`"))?;
    let curr_id = row.curriculum.as_str();
    // The version the session ran on: stored with it, or the folder's for an older session.
    let curriculum = klover_server::curricula::for_session(store, catalog, &row)
        .await
        .with_context(|| {
            format!(
                "the session's curriculum `{curr_id}` is neither stored nor among the curricula \
                 loaded: point `curriculum_dir` (--curriculum-dir, KLOVER_CURRICULUM_DIR) at the \
                 folder that holds it"
            )
        })?;
    Ok(klover_server::export::transcript(store, &curriculum, &row.learner, id).await?)
}
