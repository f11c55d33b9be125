//! Curricula in the store (issue 15): importing a folder as a new version when its content
//! changed, building the [`Catalog`] from the latest published versions, and finding the
//! version a session is pinned to.
//!
//! A folder that fails validation creates no version: at start-up the last good published
//! version keeps being taught (with a warning); only a curriculum never stored stops
//! `serve`, as before the store kept curricula.

use std::path::Path;
use std::sync::Arc;

use klover_domain::curriculum::{CurriculumError, SourceFile, load_sources};
use klover_domain::{Curriculum, CurriculumId};
use klover_store::{Store, VersionInfo};

use crate::catalog::{Catalog, Taught};
use crate::error::Error;

/// A curriculum folder read from disk (or built in), not validated yet.
#[derive(Debug, Clone)]
pub struct Folder {
    /// Where it came from, for messages (`curriculum/async-python`, `built-in`).
    pub label: String,
    /// Its files.
    pub files: Vec<SourceFile>,
}

/// Reads the curriculum folders of the `curriculum_dir` setting like
/// [`Catalog::load_or_builtin`]: the folder's curricula, or the built-in reference one
/// when the setting is at its default (`explicit` false) and the folder does not exist.
/// A folder that cannot be read is an error; validation comes later.
pub fn read_folders(dir: &Path, explicit: bool) -> Result<Vec<Folder>, Error> {
    if !explicit && !dir.exists() {
        tracing::info!(
            folder = %dir.display(),
            "no curriculum folder here: teaching the built-in reference curriculum (async-python)"
        );
        let files = crate::builtin::FILES
            .iter()
            .map(|(path, text)| SourceFile {
                path: (*path).to_owned(),
                text: (*text).to_owned(),
            })
            .collect();
        return Ok(vec![Folder {
            label: "built-in".into(),
            files,
        }]);
    }
    Catalog::folders(dir)?
        .into_iter()
        .map(|sub| {
            let files = klover_store::curriculum_files::read_dir(&sub)
                .map_err(|e| Error::Curriculum(format!("{}: {e}", sub.display())))?;
            Ok(Folder {
                label: sub.display().to_string(),
                files,
            })
        })
        .collect()
}

/// What an import did.
#[derive(Debug)]
pub enum Imported {
    /// A new published version.
    Created(VersionInfo),
    /// The files are the latest version's, byte for byte: nothing stored.
    Unchanged(VersionInfo),
    /// The files are not a valid curriculum: nothing stored.
    Invalid(CurriculumError),
}

/// Validates `files` off the async threads (the loader compiles every cue).
pub async fn validate(
    files: Vec<SourceFile>,
) -> Result<Result<Curriculum, CurriculumError>, Error> {
    tokio::task::spawn_blocking(move || load_sources(&files))
        .await
        .map_err(|e| Error::Internal(format!("curriculum validation failed: {e}")))
}

/// Stores `files` as a new published version of the curriculum they declare, unless they
/// are invalid or unchanged since the latest version.
pub async fn import(
    store: &Store,
    files: Vec<SourceFile>,
    author: &str,
    message: &str,
) -> Result<Imported, Error> {
    let curriculum = match validate(files.clone()).await? {
        Ok(c) => c,
        Err(e) => return Ok(Imported::Invalid(e)),
    };
    let (info, created) = store
        .import_version(&curriculum.id, &files, author, message)
        .await?;
    Ok(if created {
        Imported::Created(info)
    } else {
        Imported::Unchanged(info)
    })
}

/// `serve`'s start-up: imports each folder (a new version only when its content
/// changed), then teaches the latest published version of every stored curriculum. A
/// folder that fails validation is skipped with a warning when its curriculum has a
/// stored version; otherwise start-up fails with its problems.
pub async fn import_at_start(store: &Store, folders: Vec<Folder>) -> Result<Catalog, Error> {
    for folder in folders {
        let declared = declared_id(&folder.files);
        match import(store, folder.files, "import", "imported at start-up").await? {
            Imported::Created(v) => tracing::info!(
                curriculum = %v.curriculum, version = v.number, folder = %folder.label,
                "curriculum imported as a new version"
            ),
            Imported::Unchanged(v) => tracing::debug!(
                curriculum = %v.curriculum, version = v.number, "curriculum unchanged"
            ),
            Imported::Invalid(e) => {
                let stored = match &declared {
                    Some(id) => store.latest_published_number(id).await?,
                    None => None,
                };
                let Some(number) = stored else {
                    return Err(Error::Curriculum(format!("{}: {e}", folder.label)));
                };
                tracing::warn!(
                    folder = %folder.label,
                    version = number,
                    problems = %e,
                    "the curriculum folder is not valid: nothing imported, the last good \
                     published version keeps being taught (run `klover curriculum check` \
                     on the folder)"
                );
            }
        }
    }
    catalog_from_store(store).await
}

/// The id a folder's manifest declares, if its `id` can be read (even when the folder as
/// a whole is not valid).
fn declared_id(files: &[SourceFile]) -> Option<CurriculumId> {
    let manifest = files.iter().find(|f| f.path == "curriculum.toml")?;
    let table: toml::Table = toml::from_str(&manifest.text).ok()?;
    CurriculumId::parse(table.get("id")?.as_str()?).ok()
}

/// A catalog of the latest published version of every curriculum in the store.
pub async fn catalog_from_store(store: &Store) -> Result<Catalog, Error> {
    let catalog = Catalog::default();
    for id in store.stored_curricula().await? {
        let Some(number) = store.latest_published_number(&id).await? else {
            continue;
        };
        match load_version(store, &id, number).await {
            Ok(c) => catalog.install(number, c),
            Err(e) => tracing::error!(curriculum = %id, version = number, error = %e,
                "a stored curriculum version does not load: it is not taught"),
        }
    }
    Ok(catalog)
}

/// Loads stored version `number` of `id`.
pub async fn load_version(
    store: &Store,
    id: &CurriculumId,
    number: i64,
) -> Result<Arc<Curriculum>, Error> {
    let version = store
        .version(id, number)
        .await?
        .ok_or_else(|| Error::NotFound(format!("version {number} of curriculum `{id}`")))?;
    let curriculum = validate(version.files).await?.map_err(|e| {
        Error::Internal(format!(
            "stored version {number} of `{id}` does not load: {e}"
        ))
    })?;
    Ok(Arc::new(curriculum))
}

/// What a new session on `id` is taught: the latest published version, asking the store
/// whether another instance published a newer one since this one loaded its own.
pub async fn for_new_session(store: &Store, catalog: &Catalog, id: &str) -> Result<Taught, Error> {
    let taught = catalog
        .latest(id)
        .ok_or_else(|| Error::NotFound(format!("curriculum `{id}`")))?;
    let Some(known) = taught.number else {
        return Ok(taught);
    };
    let stored = store.latest_published_number(&taught.curriculum.id).await?;
    match stored {
        Some(n) if n > known => {
            let c = load_version(store, &taught.curriculum.id, n).await?;
            catalog.install(n, c.clone());
            Ok(Taught {
                curriculum: c,
                number: Some(n),
            })
        }
        _ => Ok(taught),
    }
}

/// The curriculum a stored session is taught: the version it is pinned to, else the
/// latest.
pub async fn for_session(
    store: &Store,
    catalog: &Catalog,
    row: &klover_store::SessionRow,
) -> Result<Arc<Curriculum>, Error> {
    let id = row.curriculum.as_str();
    let Some(number) = row.curriculum_number else {
        return catalog
            .get(id)
            .ok_or_else(|| Error::NotFound(format!("curriculum `{id}`")));
    };
    if let Some(c) = catalog.version(id, number) {
        return Ok(c);
    }
    let c = load_version(store, &row.curriculum, number).await?;
    catalog.keep_version(number, c.clone());
    Ok(c)
}
