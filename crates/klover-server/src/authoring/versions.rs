//! The versions of a curriculum over the authoring API: history, one version's files, a
//! readable diff between two versions, revert, and importing a folder's files. Every new
//! version (publish, revert, import) goes through `store_version`: validated, checked
//! for ids that disappear ([`super::renames`]), stored with learner data re-keyed, and
//! taught to new sessions at once.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use klover_domain::CurriculumId;
use klover_domain::curriculum::SourceFile;
use klover_store::{NewVersion, StoredFile, VersionInfo};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::renames::{self, Mapping, Refused};
use super::{Author, CheckResult, FileIn, check_files};
use crate::curricula::{self, load_version};
use crate::error::Error;
use crate::state::AppState;

/// The curriculum id of a path, or 404.
pub(crate) fn curriculum_id(id: &str) -> Result<CurriculumId, Error> {
    CurriculumId::parse(id).map_err(|_| Error::NotFound(format!("curriculum `{id}`")))
}

/// `GET /api/author/curricula/{id}/versions`: every version, oldest first.
pub async fn history(
    State(app): State<AppState>,
    _author: Author,
    Path(id): Path<String>,
) -> Result<Json<Vec<VersionInfo>>, Error> {
    let id = curriculum_id(&id)?;
    let list = app.store.versions(&id).await?;
    if list.is_empty() {
        return Err(Error::NotFound(format!("no stored version of `{id}`")));
    }
    Ok(Json(list))
}

/// A version with its files.
#[derive(Debug, Serialize)]
pub struct VersionView {
    /// Its description.
    #[serde(flatten)]
    pub info: VersionInfo,
    /// Its files, sorted by path.
    pub files: Vec<StoredFile>,
}

/// `GET /api/author/curricula/{id}/versions/{n}`: the version's files.
pub async fn version(
    State(app): State<AppState>,
    _author: Author,
    Path((id, n)): Path<(String, i64)>,
) -> Result<Json<VersionView>, Error> {
    let id = curriculum_id(&id)?;
    let v = app
        .store
        .version(&id, n)
        .await?
        .ok_or_else(|| Error::NotFound(format!("version {n} of `{id}`")))?;
    Ok(Json(VersionView {
        info: v.info,
        files: v.files.iter().map(StoredFile::from).collect(),
    }))
}

/// Query of the diff route.
#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    /// The older version.
    pub from: i64,
    /// The newer version.
    pub to: i64,
}

/// One file's change between two versions.
#[derive(Debug, Serialize)]
pub struct FileDiff {
    /// The file.
    pub path: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    /// A unified diff (`--- a/path`, `+++ b/path`, three lines of context).
    pub diff: String,
}

/// The files that differ between `old` and `new` (unchanged files are left out).
pub fn diff_files(old: &[SourceFile], new: &[SourceFile]) -> Vec<FileDiff> {
    let by_path = |files: &[SourceFile]| -> BTreeMap<String, String> {
        files
            .iter()
            .map(|f| (f.path.clone(), f.text.clone()))
            .collect()
    };
    let (old, new) = (by_path(old), by_path(new));
    let mut paths: Vec<&String> = old.keys().chain(new.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut out = Vec::new();
    for path in paths {
        let (a, b) = (old.get(path), new.get(path));
        if a == b {
            continue;
        }
        let change = match (a, b) {
            (None, _) => "added",
            (_, None) => "removed",
            _ => "changed",
        };
        let (a, b) = (a.map_or("", String::as_str), b.map_or("", String::as_str));
        let diff = similar::TextDiff::from_lines(a, b)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string();
        out.push(FileDiff {
            path: path.clone(),
            change,
            diff,
        });
    }
    out
}

/// `GET /api/author/curricula/{id}/diff?from=a&to=b`: what changed, file by file.
pub async fn diff(
    State(app): State<AppState>,
    _author: Author,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, Error> {
    let id = curriculum_id(&id)?;
    let mut sides = Vec::new();
    for n in [q.from, q.to] {
        let v = app.store.version(&id, n).await?;
        sides.push(v.ok_or_else(|| Error::NotFound(format!("version {n} of `{id}`")))?);
    }
    let files = diff_files(&sides[0].files, &sides[1].files);
    Ok(Json(json!({"from": q.from, "to": q.to, "files": files})).into_response())
}

/// Body of revert and of publish: why, and what became of ids that disappear.
#[derive(Debug, Default, Deserialize)]
pub struct Publish {
    /// Why (shown in the history).
    #[serde(default)]
    pub message: String,
    /// Renames and removals.
    #[serde(flatten)]
    pub mapping: Mapping,
}

/// `POST /api/author/curricula/{id}/versions/{n}/revert`: a new version holding version
/// `n`'s files, made from the latest.
pub async fn revert(
    State(app): State<AppState>,
    author: Author,
    Path((id, n)): Path<(String, i64)>,
    body: Option<Json<Publish>>,
) -> Result<Response, Error> {
    let id = curriculum_id(&id)?;
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let v = app
        .store
        .version(&id, n)
        .await?
        .ok_or_else(|| Error::NotFound(format!("version {n} of `{id}`")))?;
    let message = if body.message.is_empty() {
        format!("revert to version {n}")
    } else {
        body.message
    };
    let name = author.name(&app).await?;
    store_version(&app, &id, v.files, &name, &message, &body.mapping, None).await
}

/// Body of `POST /api/author/curricula/{id}/import`.
#[derive(Debug, Deserialize)]
pub struct ImportRequest {
    /// The folder's files.
    pub files: Vec<FileIn>,
    /// Why.
    #[serde(default)]
    pub message: String,
    /// Renames and removals.
    #[serde(flatten)]
    pub mapping: Mapping,
}

/// `POST /api/author/curricula/{id}/import`: the posted folder as a new version when it
/// changed (200 with `created: false` when it did not).
pub async fn import(
    State(app): State<AppState>,
    author: Author,
    Path(id): Path<String>,
    Json(body): Json<ImportRequest>,
) -> Result<Response, Error> {
    let id = curriculum_id(&id)?;
    let files: Vec<SourceFile> = body
        .files
        .into_iter()
        .map(|f| SourceFile {
            path: f.path,
            text: f.text,
        })
        .collect();
    let hash = klover_store::curricula::content_hash(&files);
    if let Some(latest) = app.store.latest_version(&id, false).await?
        && latest.content_hash == hash
    {
        return Ok(Json(json!({"created": false, "version": latest})).into_response());
    }
    let name = author.name(&app).await?;
    store_version(&app, &id, files, &name, &body.message, &body.mapping, None).await
}

/// Validates `files` as curriculum `id`, checks the ids that disappear since the latest
/// published version against `mapping`, and stores a new published version (from a draft
/// at revision `draft.1` when `draft` is given). 201 with the version; 422 with the
/// checker's problems; 409 with the ids that vanish unaccounted for; 412 on a stale draft.
pub(crate) async fn store_version(
    app: &AppState,
    id: &CurriculumId,
    files: Vec<SourceFile>,
    author: &str,
    message: &str,
    mapping: &Mapping,
    draft: Option<(&str, i64)>,
) -> Result<Response, Error> {
    let check = {
        let files = files.clone();
        tokio::task::spawn_blocking(move || check_files(&files))
            .await
            .map_err(|e| Error::Internal(format!("check task failed: {e}")))?
    };
    if let CheckResult::Invalid { .. } = check {
        let body =
            json!({"error": "the curriculum has errors: nothing was published", "check": check});
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
    }
    let new = curricula::validate(files.clone())
        .await?
        .map_err(|e| Error::Internal(format!("checked files do not load: {e}")))?;
    if new.id != *id {
        return Err(Error::BadRequest(format!(
            "these files declare curriculum `{}`, not `{id}`",
            new.id
        )));
    }
    let latest = app.store.latest_published_number(id).await?;
    let rekey = match latest {
        Some(n) => {
            let old = load_version(&app.store, id, n).await?;
            match renames::plan(&app.store, &old, &new, mapping).await {
                Ok(rekey) => rekey,
                Err(Refused::Error(e)) => return Err(e),
                Err(Refused::Bad(why)) => return Err(Error::BadRequest(why)),
                Err(Refused::Vanished(list)) => {
                    let body = json!({
                        "error": "ids disappear without a word: say for each whether it was \
                                  renamed (renamed_from: {\"new id\": \"old id\"}) or removed \
                                  (remove: [\"old id\"])",
                        "vanished": list,
                    });
                    return Ok((StatusCode::CONFLICT, Json(body)).into_response());
                }
            }
        }
        None => klover_store::Rekey::default(),
    };
    let new_version = NewVersion {
        curriculum: id,
        parent: latest,
        author,
        message,
        files: &files,
        renamed_from: &mapping.renamed_from,
    };
    let stored = match draft {
        Some((draft, revision)) => {
            app.store
                .publish_draft(draft, revision, &new_version, &rekey)
                .await
        }
        None => app.store.insert_version(&new_version, &rekey).await,
    };
    let info = match stored {
        Ok(info) => info,
        Err(klover_store::StoreError::StaleRevision { current, .. }) => {
            return Ok(super::drafts::stale(current));
        }
        Err(e) => return Err(e.into()),
    };
    app.catalog.install(info.number, std::sync::Arc::new(new));
    let body = json!({"created": true, "version": info, "check": check});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
