//! What the web editor asks of the server besides drafts: apply a fine-grained [`Edit`]
//! to posted files (`klover_domain::curriculum::edit`), test a learner sentence against a
//! concept's cues (what it credits and which cues matched), and preview learner lines
//! through the offline engine (`klover replay`). Stateless: each request carries the
//! files it works on (or names a curriculum the server teaches); nothing is stored.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use klover_domain::Curriculum;
use klover_domain::assess::AssessRequest;
use klover_domain::assess::explain::{Explained, explain};
use klover_domain::curriculum::edit::{Edit, apply};
use klover_domain::curriculum::{SourceFile, load_sources};
use klover_domain::engine::replay::{ReplayTurn, replay};
use klover_domain::ids::ConceptId;
use serde::{Deserialize, Serialize};

use super::{
    Author, CheckResult, CurriculumView, FileIn, MAX_CHECK_BODY, ProblemView, check_files,
};
use crate::error::Error;
use crate::state::AppState;

/// Routes: `POST /api/author/edit`, `POST /api/author/try`, `POST /api/author/preview`,
/// `POST /api/author/view`.
pub fn router() -> Router<AppState> {
    let limit = || DefaultBodyLimit::max(MAX_CHECK_BODY);
    Router::new()
        .route("/api/author/edit", post(edit).layer(limit()))
        .route("/api/author/try", post(try_sentence).layer(limit()))
        .route("/api/author/preview", post(preview).layer(limit()))
        .route("/api/author/view", post(view).layer(limit()))
}

/// The curriculum a request works on: posted `files`, or a `curriculum` the server
/// teaches (its published version).
#[derive(Debug, Default, Deserialize)]
pub struct Source {
    /// The folder's files (a draft's).
    #[serde(default)]
    pub files: Option<Vec<FileIn>>,
    /// The id of a curriculum the server teaches.
    #[serde(default)]
    pub curriculum: Option<String>,
}

fn source_files(files: Vec<FileIn>) -> Vec<SourceFile> {
    files
        .into_iter()
        .map(|f| SourceFile {
            path: f.path,
            text: f.text,
        })
        .collect()
}

/// 422 with the loader's problems: the posted files do not make a curriculum.
fn invalid(problems: Vec<ProblemView>) -> Response {
    let body = serde_json::json!({
        "error": "the files do not make a valid curriculum: fix the problems first",
        "problems": problems,
    });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// The curriculum of `source`, or the response that says why there is none.
fn resolve(app: &AppState, source: Source) -> Result<Arc<Curriculum>, Box<Response>> {
    match (source.files, source.curriculum) {
        (Some(files), None) => load_sources(&source_files(files))
            .map(Arc::new)
            .map_err(|e| {
                Box::new(invalid(
                    e.problems.into_iter().map(ProblemView::from).collect(),
                ))
            }),
        (None, Some(id)) => app.catalog.get(&id).ok_or_else(|| {
            Box::new(Error::NotFound(format!("no curriculum `{id}`")).into_response())
        }),
        _ => Err(Box::new(
            Error::BadRequest(
                "send either `files` (the folder's files) or `curriculum` (an id), not both".into(),
            )
            .into_response(),
        )),
    }
}

/// Body of `POST /api/author/edit`.
#[derive(Debug, Deserialize)]
pub struct EditRequest {
    /// The folder's files before the edit.
    pub files: Vec<FileIn>,
    /// The edit (tagged JSON, see `klover_domain::curriculum::edit::Edit`).
    pub edit: Edit,
    /// Whether to run the checker on the result [default: true]; the editor skips it when
    /// the draft it writes to checks anyway.
    #[serde(default = "yes")]
    pub check: bool,
}

fn yes() -> bool {
    true
}

/// Answer of `POST /api/author/edit`.
#[derive(Debug, Serialize)]
pub struct EditAnswer {
    /// Files the edit changed or added (whole text), by path.
    pub changed: Vec<FileOut>,
    /// Paths of files the edit removed (a removed or renamed concept's old file).
    pub removed: Vec<String>,
    /// New id → old id, for a rename.
    pub renamed_from: std::collections::BTreeMap<String, String>,
    /// The checker's findings on the folder after the edit (`null` when not asked for).
    pub check: Option<CheckResult>,
}

/// One file of an answer.
#[derive(Debug, Serialize)]
pub struct FileOut {
    /// Path relative to the folder.
    pub path: String,
    /// Its text.
    pub text: String,
}

/// `POST /api/author/edit`: applies one edit to the posted files and checks the result.
/// A refused edit (unknown id, taken id, a prerequisite cycle with its path) is 400 with
/// the reason; an edit that leaves the curriculum invalid is applied and its problems
/// come back in `check`.
pub async fn edit(_author: Author, Json(req): Json<EditRequest>) -> Result<Response, Error> {
    let before = source_files(req.files);
    let answer = tokio::task::spawn_blocking(move || {
        let after = apply(&before, &req.edit).map_err(|e| Error::BadRequest(e.to_string()))?;
        let changed = after
            .files
            .iter()
            .filter(|f| !before.contains(f))
            .map(|f| FileOut {
                path: f.path.clone(),
                text: f.text.clone(),
            })
            .collect();
        let removed = before
            .iter()
            .filter(|b| !after.files.iter().any(|f| f.path == b.path))
            .map(|b| b.path.clone())
            .collect();
        Ok::<_, Error>(EditAnswer {
            changed,
            removed,
            renamed_from: after.renamed_from,
            check: req.check.then(|| check_files(&after.files)),
        })
    })
    .await
    .map_err(|e| Error::Internal(format!("edit task failed: {e}")))??;
    Ok(Json(answer).into_response())
}

/// Body of `POST /api/author/try`.
#[derive(Debug, Deserialize)]
pub struct TryRequest {
    /// The curriculum.
    #[serde(flatten)]
    pub source: Source,
    /// The concept the sentence is read in.
    pub concept: String,
    /// What a learner might write.
    pub text: String,
    /// The tutor's question the sentence answers, if any.
    #[serde(default)]
    pub last_tutor: Option<String>,
}

/// `POST /api/author/try`: the rubric's verdict on a sentence and the cues that matched.
pub async fn try_sentence(
    State(app): State<AppState>,
    _author: Author,
    Json(req): Json<TryRequest>,
) -> Result<Response, Error> {
    let c = match resolve(&app, req.source) {
        Ok(c) => c,
        Err(r) => return Ok(*r),
    };
    let id = ConceptId::parse(&req.concept).map_err(|e| Error::BadRequest(e.to_string()))?;
    if c.concept(&id).is_none() {
        return Err(Error::NotFound(format!("no concept `{id}`")));
    }
    let explained: Explained = tokio::task::spawn_blocking(move || {
        let concept = c.concept(&id).cloned();
        concept.map(|concept| {
            explain(AssessRequest {
                curriculum: &c,
                concept: &concept,
                text: &req.text,
                last_tutor: req.last_tutor.as_deref(),
            })
        })
    })
    .await
    .map_err(|e| Error::Internal(format!("try task failed: {e}")))?
    .ok_or_else(|| Error::Internal("the concept vanished".into()))?;
    Ok(Json(explained).into_response())
}

/// Body of `POST /api/author/preview`.
#[derive(Debug, Deserialize)]
pub struct PreviewRequest {
    /// The curriculum.
    #[serde(flatten)]
    pub source: Source,
    /// The concept to start at (default: the first of the path).
    #[serde(default)]
    pub concept: Option<String>,
    /// Learner lines, one a line, in `klover replay`'s script format.
    pub script: String,
}

/// Answer of `POST /api/author/preview`.
#[derive(Debug, Serialize)]
pub struct PreviewAnswer {
    /// One entry per learner line: credits, misconceptions, move, aha, the tutor's reply.
    pub turns: Vec<ReplayTurn>,
}

/// `POST /api/author/preview`: learner lines through the offline engine, as
/// `klover replay` prints them.
pub async fn preview(
    State(app): State<AppState>,
    _author: Author,
    Json(req): Json<PreviewRequest>,
) -> Result<Response, Error> {
    let c = match resolve(&app, req.source) {
        Ok(c) => c,
        Err(r) => return Ok(*r),
    };
    let concept = req
        .concept
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(ConceptId::parse)
        .transpose()
        .map_err(|e| Error::BadRequest(e.to_string()))?;
    let turns = tokio::task::spawn_blocking(move || replay(&c, concept.as_ref(), &req.script))
        .await
        .map_err(|e| Error::Internal(format!("preview task failed: {e}")))??;
    Ok(Json(PreviewAnswer { turns }).into_response())
}

/// Body of `POST /api/author/view`.
#[derive(Debug, Deserialize)]
pub struct ViewRequest {
    /// The folder's files (a draft's).
    pub files: Vec<FileIn>,
}

/// `POST /api/author/view`: the posted files as `GET /api/author/curricula/{id}` shows a
/// curriculum (concepts in prerequisite order, edges), or 422 with the problems.
pub async fn view(_author: Author, Json(req): Json<ViewRequest>) -> Result<Response, Error> {
    let files = source_files(req.files);
    let loaded = tokio::task::spawn_blocking(move || load_sources(&files))
        .await
        .map_err(|e| Error::Internal(format!("view task failed: {e}")))?;
    Ok(match loaded {
        Ok(c) => Json(CurriculumView::of(&c)).into_response(),
        Err(e) => invalid(e.problems.into_iter().map(ProblemView::from).collect()),
    })
}
