//! `klover export`: a stored session as a blog post (Markdown with front matter, or HTML).
//!
//! Reads the session, its turns and aha moments, and the event log (which concept each
//! turn was on) from the store, maps them into the pure `klover_domain::export::Transcript`
//! and renders it. The next review date comes from the learner's review cards.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use klover_domain::export::{
    self, AhaMark, ExportOptions, Format, FrontMatter, Role, Turn, VisitedConcept,
};
use klover_domain::{ConceptId, Curriculum};
use klover_server::protocol::ServerEvent;
use klover_server::{Catalog, Settings};
use klover_store::{SessionId, SessionKind, Store, StoredEvent, TurnRole, TurnStatus};

/// Flags of `klover export`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  klover export 0193f2c4-… > post.md\n  klover export 0193f2c4-… --front-matter devto --author \"Ada\" -o posts/\n  klover export 0193f2c4-… --format html -o session.html\n  klover export --latest --learner ada --front-matter hugo -o posts/"
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
    /// Front matter for a publishing target (Markdown only).
    #[arg(long, value_enum, default_value_t = FrontMatterArg::None)]
    pub front_matter: FrontMatterArg,
    /// Byline; without it the learner's name appears nowhere in the post.
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,
    /// Title, instead of one derived from the curriculum.
    #[arg(long)]
    pub title: Option<String>,
    /// Write here instead of stdout; a folder gets the suggested `YYYY-MM-DD-slug.md`.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Database URL [default: as `klover serve`].
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Curriculum folder [default: as `klover serve`].
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
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load(None, std::env::vars())?;
    if let Some(url) = &args.database_url {
        settings.database_url.clone_from(url);
    }
    if let Some(dir) = &args.curriculum_dir {
        settings.curriculum_dir.clone_from(dir);
    }
    let store = Store::connect(&settings.store_url())
        .await
        .context("opening the database")?;
    let result = match which_session(&store, &args).await {
        Ok(id) => load(&store, &settings, &id).await,
        Err(e) => Err(e),
    };
    store.close().await;
    let (curriculum, stored, events, next_review) = result?;
    let transcript = to_export(&curriculum, &stored, &events, next_review);
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
    let learner = store
        .find_learner_by_name(&name)
        .await?
        .with_context(|| format!("no learner named `{name}`"))?;
    let latest = store.list_sessions(&learner.id).await?.into_iter().next();
    latest
        .map(|s| s.id)
        .with_context(|| format!("`{name}` has no session yet"))
}

type Loaded = (
    std::sync::Arc<Curriculum>,
    klover_store::Transcript,
    Vec<StoredEvent>,
    Option<NaiveDate>,
);

async fn load(store: &Store, settings: &Settings, id: &SessionId) -> anyhow::Result<Loaded> {
    let stored = match store.load_transcript(id).await {
        Err(klover_store::StoreError::NotFound(_)) => anyhow::bail!("no session `{id}`"),
        other => other?,
    };
    let catalog = Catalog::load(&settings.curriculum_dir)?;
    let curr_id = stored.session.curriculum.as_str();
    let curriculum = catalog.get(curr_id).with_context(|| {
        format!(
            "the session's curriculum `{curr_id}` is not in {}",
            settings.curriculum_dir.display()
        )
    })?;
    let events = store.events_since(id, 0).await?;
    let next_review = store
        .review_cards(&stored.session.learner)
        .await?
        .iter()
        .filter(|c| c.curriculum == stored.session.curriculum)
        .map(|c| c.due_at)
        .min()
        .map(|d| d.date_naive());
    Ok((curriculum, stored, events, next_review))
}

/// Maps stored rows into the export's plain transcript. Each turn's concept comes from the
/// event log (`session` and `concept_advanced` events); a tutor turn that failed before
/// saying anything is left out.
pub fn to_export(
    curr: &Curriculum,
    stored: &klover_store::Transcript,
    events: &[StoredEvent],
    next_review: Option<NaiveDate>,
) -> export::Transcript {
    let concept_of = concepts_by_turn(events);
    let session = &stored.session;
    let mut current = concept_of
        .first()
        .map(|(_, c)| c.clone())
        .unwrap_or_else(|| session.current_concept.clone());
    let mut concepts: Vec<VisitedConcept> = Vec::new();
    let mut turns = Vec::new();
    for t in &stored.turns {
        if let Some((_, c)) = concept_of.iter().find(|(id, _)| id == t.turn.id.as_str()) {
            current = c.clone();
        }
        if t.turn.text.trim().is_empty() && t.turn.status != TurnStatus::Complete {
            continue;
        }
        if !concepts.iter().any(|v| v.id == current) {
            let title = curr
                .concept(&current)
                .map_or_else(|| current.to_string(), |c| c.title.clone());
            concepts.push(VisitedConcept {
                id: current.clone(),
                title,
            });
        }
        let aha = t
            .aha
            .iter()
            .filter_map(|a| {
                let id = a.checkpoint.clone()?;
                let (_, cp) = curr.checkpoint(&id)?;
                Some(AhaMark {
                    checkpoint: id,
                    note: cp.statement.clone(),
                })
            })
            .collect();
        turns.push(Turn {
            role: match t.turn.role {
                TurnRole::Learner => Role::Learner,
                TurnRole::Tutor => Role::Tutor,
            },
            text: t.turn.text.clone(),
            concept: current.clone(),
            aha,
        });
    }
    export::Transcript {
        curriculum_title: curr.title.clone(),
        description: curr.description.clone(),
        tags: curr.tags.clone(),
        code_language: curr.code_language.clone(),
        persona: "Klover".into(),
        concepts,
        turns,
        date: session.started_at.date_naive(),
        kind: match session.kind {
            SessionKind::Learn => export::SessionKind::FirstExposure,
            SessionKind::Review => export::SessionKind::Review,
        },
        next_review,
    }
}

/// (turn id, concept) in log order: a turn is on the concept of the last `session` or
/// `concept_advanced` event before its ack.
fn concepts_by_turn(events: &[StoredEvent]) -> Vec<(String, ConceptId)> {
    let mut out = Vec::new();
    let mut current: Option<ConceptId> = None;
    for ev in events {
        let Ok(event) = serde_json::from_str::<ServerEvent>(&ev.payload) else {
            continue;
        };
        match event {
            ServerEvent::Session { concept, .. }
            | ServerEvent::ConceptAdvanced { to: concept, .. } => {
                current = ConceptId::parse(&concept).ok();
            }
            ServerEvent::LearnerAck { turn_id, .. } | ServerEvent::TutorDone { turn_id, .. } => {
                if let Some(c) = &current {
                    out.push((turn_id, c.clone()));
                }
            }
            _ => {}
        }
    }
    out
}
