//! `klover replay`: learner lines through the offline engine, one JSON object per turn.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use klover_domain::ConceptId;
use klover_domain::engine::replay::replay;
use klover_store::curriculum_files::load_dir;

/// Flags of `klover replay`.
#[derive(clap::Args)]
#[command(
    after_help = "Script format: one learner utterance per line; `@concept <id>` moves the \
session to that concept; `> text` sets the tutor's last words (the question the next line \
answers) instead of the engine's own reply; lines starting with `#` are comments.\n\n\
Example:\n  klover replay --curriculum curriculum/async-python --concept event-loop dialogue.txt"
)]
pub struct Args {
    /// The curriculum folder [default: the curricula of the settings, as `klover serve`
    /// finds them (the built-in one without a folder), when there is just one].
    #[arg(long, value_name = "DIR")]
    curriculum: Option<PathBuf>,
    /// The concept to start at (default: the first of the path).
    #[arg(long)]
    concept: Option<String>,
    /// The script of learner lines (`-` for standard input).
    file: PathBuf,
}

/// Runs `klover replay`.
pub async fn run(args: Args, global: &super::config::Global) -> anyhow::Result<ExitCode> {
    let curriculum = match &args.curriculum {
        Some(dir) => std::sync::Arc::new(
            load_dir(dir)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("cannot load {}", dir.display()))?,
        ),
        None => {
            let catalog = super::config::catalog(&super::config::load(global.sources())?)?;
            let ids: Vec<String> = catalog.describe().into_iter().map(|c| c.id).collect();
            match ids.as_slice() {
                [one] => catalog.get(one).context("the curriculum just listed")?,
                _ => anyhow::bail!(
                    "the settings name several curricula ({}): pick one with --curriculum DIR",
                    ids.join(", ")
                ),
            }
        }
    };
    let concept = args
        .concept
        .as_deref()
        .map(ConceptId::parse)
        .transpose()
        .context("--concept")?;
    let script = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?
    };
    let turns = replay(&curriculum, concept.as_ref(), &script)?;
    let mut out = std::io::stdout().lock();
    for turn in turns {
        writeln!(out, "{}", serde_json::to_string(&turn)?)?;
    }
    Ok(ExitCode::SUCCESS)
}
