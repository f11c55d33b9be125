//! Drafts over the authoring API: made from a version, edited file by file with
//! optimistic concurrency (`ETag: "<revision>"`, `If-Match` required: 428 without it,
//! 412 when another write came first) or by fine-grained edits
//! (`klover_domain::curriculum::edit`), checked on every response with the same checker
//! as `klover curriculum check`, and published into a new version. Renames made by edits
//! are remembered by the draft and carried into its publish.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{ETAG, IF_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use klover_domain::curriculum::SourceFile;
use klover_domain::curriculum::edit::{Edit, apply, compose_renames};
use klover_store::{Draft, StoreError, StoredFile};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::versions::{Publish, curriculum_id, store_version};
use super::{Author, CheckResult, MAX_CHECK_FILES, check_files};
use crate::error::Error;
use crate::state::AppState;

/// Body of `POST /api/author/curricula/{id}/drafts`.
#[derive(Debug, Default, Deserialize)]
pub struct NewDraft {
    /// The version to start from [default: the latest published].
    pub from: Option<i64>,
}

/// A draft as every draft route answers it (with its `ETag` header).
#[derive(Debug, Serialize)]
pub struct DraftView {
    /// Its id.
    pub id: String,
    /// The curriculum.
    pub curriculum: String,
    /// The version it was made from.
    pub base: i64,
    /// The ETag's number: send it back in `If-Match`.
    pub revision: i64,
    /// Who made it.
    pub author: String,
    /// RFC 3339.
    pub updated_at: String,
    /// The version it became, once published.
    pub published_as: Option<i64>,
    /// New id → old id of the renames its edits made (its publish re-keys learner data).
    pub renamed_from: std::collections::BTreeMap<String, String>,
    /// Its files, sorted by path.
    pub files: Vec<StoredFile>,
    /// The checker's findings on the files (as `POST /api/author/check`).
    pub check: CheckResult,
}

fn sources(files: &[StoredFile]) -> Vec<SourceFile> {
    files.iter().cloned().map(SourceFile::from).collect()
}

/// The draft's answer: its view with the checker's findings, and its ETag.
async fn respond(draft: Draft, status: StatusCode) -> Result<Response, Error> {
    let files = sources(&draft.files);
    let check = tokio::task::spawn_blocking(move || check_files(&files))
        .await
        .map_err(|e| Error::Internal(format!("check task failed: {e}")))?;
    let etag = etag(draft.revision);
    let view = DraftView {
        id: draft.id,
        curriculum: draft.curriculum.to_string(),
        base: draft.base,
        revision: draft.revision,
        author: draft.author,
        updated_at: draft.updated_at.to_rfc3339(),
        published_as: draft.published_as,
        renamed_from: draft.renamed_from,
        files: draft.files,
        check,
    };
    Ok((status, [(ETAG, etag)], Json(view)).into_response())
}

fn etag(revision: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// 412: the draft moved on; the answer says its revision now.
pub(crate) fn stale(current: i64) -> Response {
    let body = json!({
        "error": format!(
            "the draft changed since you read it (it is at revision {current}): read it \
             again, redo your change on it, and send its ETag in If-Match"
        ),
        "revision": current,
    });
    (
        StatusCode::PRECONDITION_FAILED,
        [(ETAG, etag(current))],
        Json(body),
    )
        .into_response()
}

/// The revision `If-Match` names: `Err(428)` without the header, `Err(412)` when it is
/// not a revision of ours.
fn if_match(headers: &HeaderMap) -> Result<i64, Box<Response>> {
    let Some(value) = headers.get(IF_MATCH) else {
        let body = json!({"error": "send If-Match with the draft's ETag (from GET of the draft): \
                                    edits without it could overwrite another author's"});
        return Err(Box::new(
            (StatusCode::PRECONDITION_REQUIRED, Json(body)).into_response(),
        ));
    };
    let text = value.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    text.trim_matches('"').parse::<i64>().map_err(|_| {
        let body = json!({"error": format!("If-Match `{text}` is not an ETag of this draft")});
        Box::new((StatusCode::PRECONDITION_FAILED, Json(body)).into_response())
    })
}

/// The draft `d` of curriculum `id`, or 404.
async fn find(app: &AppState, id: &str, d: &str) -> Result<Draft, Error> {
    app.store
        .draft(d)
        .await?
        .filter(|draft| draft.curriculum.as_str() == id)
        .ok_or_else(|| Error::NotFound(format!("draft `{d}` of `{id}`")))
}

/// `POST /api/author/curricula/{id}/drafts` `{from: n}`: a new draft holding version
/// `n`'s files (201).
pub async fn create(
    State(app): State<AppState>,
    author: Author,
    Path(id): Path<String>,
    body: Option<Json<NewDraft>>,
) -> Result<Response, Error> {
    let id = curriculum_id(&id)?;
    let from = match body.and_then(|Json(b)| b.from) {
        Some(n) => n,
        None => app
            .store
            .latest_published_number(&id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no stored version of `{id}`")))?,
    };
    let v = app
        .store
        .version(&id, from)
        .await?
        .ok_or_else(|| Error::NotFound(format!("version {from} of `{id}`")))?;
    let name = author.name(&app).await?;
    let draft = app.store.create_draft(&id, from, &v.files, &name).await?;
    respond(draft, StatusCode::CREATED).await
}

/// `GET /api/author/curricula/{id}/drafts/{d}`: the draft's files and findings, with its
/// `ETag`.
pub async fn get(
    State(app): State<AppState>,
    _author: Author,
    Path((id, d)): Path<(String, String)>,
) -> Result<Response, Error> {
    respond(find(&app, &id, &d).await?, StatusCode::OK).await
}

/// Whether `path` may be a file of a curriculum folder.
fn allowed_path(path: &str) -> bool {
    let concept = path
        .strip_prefix("concepts/")
        .and_then(|name| name.strip_suffix(".toml"))
        .is_some_and(|stem| {
            !stem.is_empty()
                && stem
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    path == "curriculum.toml" || concept
}

/// `PUT /api/author/curricula/{id}/drafts/{d}/files/{path}` (the whole file's text, with
/// `If-Match`): writes or adds the file; answers the draft with its new `ETag`.
pub async fn put_file(
    State(app): State<AppState>,
    _author: Author,
    Path((id, d, path)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let revision = match if_match(&headers) {
        Ok(r) => r,
        Err(refused) => return Ok(*refused),
    };
    if !allowed_path(&path) {
        return Err(Error::BadRequest(format!(
            "`{path}` is not a curriculum file: use curriculum.toml or concepts/<name>.toml"
        )));
    }
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| Error::BadRequest(format!("`{path}` is not UTF-8 text")))?;
    let draft = find(&app, &id, &d).await?;
    let mut files = sources(&draft.files);
    let count = files.len();
    match files.iter_mut().find(|f| f.path == path) {
        Some(f) => f.text = text,
        None if count >= MAX_CHECK_FILES => {
            return Err(Error::BadRequest(format!(
                "a curriculum holds at most {MAX_CHECK_FILES} files"
            )));
        }
        None => files.push(SourceFile { path, text }),
    }
    save(&app, &id, &d, revision, &files, &draft.renamed_from).await
}

/// `DELETE /api/author/curricula/{id}/drafts/{d}/files/{path}` (with `If-Match`).
pub async fn delete_file(
    State(app): State<AppState>,
    _author: Author,
    Path((id, d, path)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let revision = match if_match(&headers) {
        Ok(r) => r,
        Err(refused) => return Ok(*refused),
    };
    let draft = find(&app, &id, &d).await?;
    let mut files = sources(&draft.files);
    let before = files.len();
    files.retain(|f| f.path != path);
    if files.len() == before {
        return Err(Error::NotFound(format!("file `{path}` in draft `{d}`")));
    }
    save(&app, &id, &d, revision, &files, &draft.renamed_from).await
}

/// `POST /api/author/curricula/{id}/drafts/{d}/edits` (one `Edit` as JSON, with
/// `If-Match`): applies it to the draft (untouched entries keep their bytes) and answers
/// the draft at its next revision. A refused edit (unknown or taken id, a prerequisite
/// cycle with its path) is 400; an edit leaving the draft invalid is applied and its
/// problems are in `check`.
pub async fn edits(
    State(app): State<AppState>,
    _author: Author,
    Path((id, d)): Path<(String, String)>,
    headers: HeaderMap,
    Json(edit): Json<Edit>,
) -> Result<Response, Error> {
    let revision = match if_match(&headers) {
        Ok(r) => r,
        Err(refused) => return Ok(*refused),
    };
    let draft = find(&app, &id, &d).await?;
    if draft.revision != revision || draft.published_as.is_some() {
        return Ok(stale(draft.revision));
    }
    let files = sources(&draft.files);
    let applied = tokio::task::spawn_blocking(move || apply(&files, &edit))
        .await
        .map_err(|e| Error::Internal(format!("edit task failed: {e}")))?
        .map_err(|e| Error::BadRequest(e.to_string()))?;
    let renamed = compose_renames(&draft.renamed_from, &applied.renamed_from);
    save(&app, &id, &d, revision, &applied.files, &renamed).await
}

/// Stores `files` as the draft's next revision if it is still at `revision`.
pub(crate) async fn save(
    app: &AppState,
    id: &str,
    d: &str,
    revision: i64,
    files: &[SourceFile],
    renamed_from: &std::collections::BTreeMap<String, String>,
) -> Result<Response, Error> {
    match app.store.save_draft(d, revision, files, renamed_from).await {
        Ok(_) => respond(find(app, id, d).await?, StatusCode::OK).await,
        Err(StoreError::StaleRevision { current, .. }) => Ok(stale(current)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/author/curricula/{id}/drafts/{d}/publish` `{message, renamed_from, remove}`
/// (with `If-Match`; the draft's own renames are added to `renamed_from`): a new
/// published version (201), refused with the findings when the
/// draft has errors (422), with the ids that disappear unaccounted for (409), or when the
/// draft changed (412).
pub async fn publish(
    State(app): State<AppState>,
    author: Author,
    Path((id, d)): Path<(String, String)>,
    headers: HeaderMap,
    body: Option<Json<Publish>>,
) -> Result<Response, Error> {
    let revision = match if_match(&headers) {
        Ok(r) => r,
        Err(refused) => return Ok(*refused),
    };
    let mut body = body.map(|Json(b)| b).unwrap_or_default();
    let draft = find(&app, &id, &d).await?;
    if draft.revision != revision || draft.published_as.is_some() {
        return Ok(stale(draft.revision));
    }
    // The renames the draft's edits made, unless the publish maps an id otherwise.
    for (new, old) in &draft.renamed_from {
        body.mapping
            .renamed_from
            .entry(new.clone())
            .or_insert_with(|| old.clone());
    }
    let name = author.name(&app).await?;
    let files = sources(&draft.files);
    let cid = draft.curriculum.clone();
    store_version(
        &app,
        &cid,
        files,
        &name,
        &body.message,
        &body.mapping,
        Some((&d, revision)),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_curriculum_files_may_be_written() {
        assert!(allowed_path("curriculum.toml"));
        assert!(allowed_path("concepts/08-new-one.toml"));
        assert!(!allowed_path("concepts/../../etc.toml"));
        assert!(!allowed_path("concepts/.toml"));
        assert!(!allowed_path("notes.md"));
        assert!(!allowed_path("concepts/a/b.toml"));
    }

    #[test]
    fn if_match_is_required_and_read_with_or_without_quotes() {
        let mut h = HeaderMap::new();
        let missing = if_match(&h).unwrap_err();
        assert_eq!(missing.status(), StatusCode::PRECONDITION_REQUIRED);
        h.insert(IF_MATCH, HeaderValue::from_static("\"7\""));
        assert_eq!(if_match(&h).unwrap(), 7);
        h.insert(IF_MATCH, HeaderValue::from_static("W/\"8\""));
        assert_eq!(if_match(&h).unwrap(), 8);
        h.insert(IF_MATCH, HeaderValue::from_static("*"));
        assert_eq!(
            if_match(&h).unwrap_err().status(),
            StatusCode::PRECONDITION_FAILED
        );
    }
}
