//! `klover curriculum import` and `klover curriculum export`: a curriculum folder into the
//! store as a new version (when it changed), and a stored version back out as a folder,
//! byte for byte. Both honour the global settings (`--config`, `KLOVER_DATABASE_URL`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use klover_domain::CurriculumId;
use klover_server::curricula::{Imported, import};

use super::config::Global;

/// Flags of `klover curriculum import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The curriculum folder (holding curriculum.toml and concepts/).
    pub dir: PathBuf,
    /// Why this version (shown in the history).
    #[arg(long, default_value = "")]
    pub message: String,
    /// Database URL [default: the settings' database_url].
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Flags of `klover curriculum export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The curriculum's id (`async-python`).
    pub name: String,
    /// The folder to write (created if missing; files of the version are overwritten).
    pub dir: PathBuf,
    /// Which stored version [default: the latest published].
    #[arg(long, value_name = "N")]
    pub version: Option<i64>,
    /// Database URL [default: the settings' database_url].
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Runs `klover curriculum import`.
#[allow(clippy::print_stdout)]
pub async fn run_import(args: ImportArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let files = klover_store::curriculum_files::read_dir(&args.dir)?;
    let store = open(global, args.database_url).await?;
    let done = import(&store, files, "import", &args.message).await;
    store.close().await;
    match done? {
        Imported::Created(v) => {
            println!("{}: version {} stored", v.curriculum, v.number);
            Ok(ExitCode::SUCCESS)
        }
        Imported::Unchanged(v) => {
            println!(
                "{}: unchanged since version {}: nothing stored",
                v.curriculum, v.number
            );
            Ok(ExitCode::SUCCESS)
        }
        Imported::Invalid(e) => {
            eprintln!("{}: not imported: {e}", args.dir.display());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Runs `klover curriculum export`.
#[allow(clippy::print_stdout)]
pub async fn run_export(args: ExportArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let id = CurriculumId::parse(&args.name)
        .map_err(|e| anyhow::anyhow!("`{}` is not a curriculum id: {e}", args.name))?;
    let store = open(global, args.database_url).await?;
    let number = match args.version {
        Some(n) => Some(n),
        None => store.latest_published_number(&id).await?,
    };
    let version = match number {
        Some(n) => store.version(&id, n).await?,
        None => None,
    };
    store.close().await;
    let Some(version) = version else {
        anyhow::bail!(
            "no stored version {} of curriculum `{id}`: `klover curriculum import <dir>` stores one",
            args.version.map(|n| n.to_string()).unwrap_or_default()
        );
    };
    write_folder(&args.dir, &version.files)?;
    println!(
        "{id}: version {} written to {} ({} files)",
        version.info.number,
        args.dir.display(),
        version.files.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes `files` under `dir`, refusing paths that would leave it.
fn write_folder(dir: &Path, files: &[klover_domain::curriculum::SourceFile]) -> anyhow::Result<()> {
    for f in files {
        let rel = Path::new(&f.path);
        let inside = rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        anyhow::ensure!(
            inside,
            "refusing to write `{}` outside {}",
            f.path,
            dir.display()
        );
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, &f.text)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

async fn open(global: &Global, url: Option<String>) -> anyhow::Result<klover_store::Store> {
    let sources = global.sources().flag("database_url", "--database-url", url);
    let loaded = super::config::load(sources)?;
    super::config::open_store(&loaded).await
}
