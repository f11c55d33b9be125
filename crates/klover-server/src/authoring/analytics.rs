//! Author analytics and the inbox of unrecognised answers over HTTP (issue 15, item 7):
//! `GET /api/author/curricula/{id}/analytics`, `GET …/inbox`,
//! `POST …/inbox/{item}/dismiss` and `POST …/inbox/{item}/example`. Handlers gather rows
//! from the store and hand them to `klover_domain::analytics`; titles come from the
//! curriculum the server teaches, so the page shows names, not ids.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Duration, Utc};
use klover_domain::analytics::{self, Analytics};
use klover_domain::assess::COVERED;
use klover_domain::curriculum::SourceFile;
use klover_domain::curriculum::edit::{Edit, Target, apply, compose_renames};
use klover_domain::{CheckpointId, Curriculum, CurriculumId};
use klover_store::{InboxAction, InboxRow, StoreError, TurnId};
use serde::{Deserialize, Serialize};

use super::Author;
use crate::error::Error;
use crate::state::AppState;

/// A session with no turn for this long (and not finished) counts as stopped.
pub const DEFAULT_IDLE_MINUTES: i64 = 30;

/// Routes of this module (merged into [`super::router`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/author/curricula/{id}/analytics", get(analytics))
        .route("/api/author/curricula/{id}/inbox", get(inbox))
        .route(
            "/api/author/curricula/{id}/inbox/{item}/dismiss",
            post(dismiss),
        )
        .route(
            "/api/author/curricula/{id}/inbox/{item}/example",
            post(example),
        )
}

/// Query of `GET …/analytics`.
#[derive(Debug, Deserialize)]
pub struct AnalyticsQuery {
    /// Minutes without a turn after which an unfinished session counts as stopped
    /// (default [`DEFAULT_IDLE_MINUTES`]).
    pub idle_minutes: Option<i64>,
}

/// Answer of `GET …/analytics`.
#[derive(Debug, Serialize)]
pub struct AnalyticsView {
    /// Curriculum id.
    pub curriculum: String,
    /// Its title.
    pub title: String,
    /// The idle limit used for `stops`.
    pub idle_minutes: i64,
    /// The figures.
    #[serde(flatten)]
    pub analytics: Analytics,
}

fn taught(app: &AppState, id: &str) -> Result<std::sync::Arc<Curriculum>, Error> {
    app.catalog
        .get(id)
        .ok_or_else(|| Error::NotFound(format!("no curriculum `{id}`")))
}

fn curriculum_id(c: &Curriculum) -> Result<CurriculumId, Error> {
    CurriculumId::parse(c.id.as_str()).map_err(|e| Error::Internal(e.to_string()))
}

/// `GET /api/author/curricula/{id}/analytics[?idle_minutes=N]`.
pub async fn analytics(
    State(app): State<AppState>,
    _author: Author,
    Path(id): Path<String>,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Json<AnalyticsView>, Error> {
    let c = taught(&app, &id)?;
    let idle_minutes = q.idle_minutes.unwrap_or(DEFAULT_IDLE_MINUTES);
    if !(0..=60 * 24 * 365).contains(&idle_minutes) {
        return Err(Error::BadRequest(
            "idle_minutes must be between 0 and 525600".into(),
        ));
    }
    let idle_before = Utc::now() - Duration::minutes(idle_minutes);
    let rows = app
        .store
        .analytics_rows(&curriculum_id(&c)?, idle_before)
        .await?;
    let figures = analytics::aggregate(&c, &rows.tries, &rows.reach, &rows.shown, &rows.unfinished);
    Ok(Json(AnalyticsView {
        curriculum: c.id.to_string(),
        title: c.title.clone(),
        idle_minutes,
        analytics: figures,
    }))
}

/// One inbox item as the API shows it.
#[derive(Debug, Serialize)]
pub struct InboxItem {
    /// `<turn id>.<checkpoint id>`: the item's id in the dismiss and example routes.
    pub id: String,
    /// `stated` (no credit, then the tutor stated it) or `judge` (the LLM judge credited
    /// it, the rubric did not).
    pub reason: &'static str,
    /// The learner's words.
    pub text: String,
    /// The checkpoint, its title, its concept and the concept's title.
    pub checkpoint: String,
    /// The checkpoint's readable title.
    pub checkpoint_title: String,
    /// The concept the checkpoint belongs to.
    pub concept: String,
    /// The concept's title.
    pub concept_title: String,
    /// The stored score (the judge's for `judge`).
    pub score: f64,
    /// The rubric's score when a judge decided.
    pub rubric_score: Option<f64>,
    /// When it was said (RFC 3339).
    pub said_at: String,
    /// The session it was said in.
    pub session: String,
    /// How to add it as an example by hand: the file's key and the TOML line.
    pub example: ExampleSnippet,
}

/// Where an example goes in the curriculum files, and the TOML line to add.
#[derive(Debug, Serialize)]
pub struct ExampleSnippet {
    /// The table that holds it: `[[checkpoints]] id = "…"` in concept `…`.
    pub under: String,
    /// The array: `examples`.
    pub key: &'static str,
    /// The TOML string to append to the array.
    pub toml: String,
    /// The same as a curriculum edit (`klover_domain::curriculum::edit::Edit`, as
    /// `POST /api/author/edit` takes it).
    pub edit: Edit,
}

/// The inbox rows of a curriculum the server teaches, as API items; rows whose
/// checkpoint the curriculum no longer has are left out.
fn items(c: &Curriculum, rows: Vec<InboxRow>) -> Vec<InboxItem> {
    rows.into_iter()
        .filter_map(|r| {
            let (concept, cp) = c.concepts.iter().find_map(|k| {
                k.checkpoints
                    .iter()
                    .find(|cp| cp.id == r.checkpoint)
                    .map(|cp| (k, cp))
            })?;
            // A JSON string is a TOML basic string (same escapes).
            let toml = serde_json::to_string(&r.text).unwrap_or_default();
            Some(InboxItem {
                id: format!("{}.{}", r.turn, r.checkpoint),
                reason: r.reason.name(),
                checkpoint: cp.id.to_string(),
                checkpoint_title: cp.label(),
                concept: concept.id.to_string(),
                concept_title: concept.title.clone(),
                score: r.score,
                rubric_score: r.rubric_score,
                said_at: r.said_at.to_rfc3339(),
                session: r.session.to_string(),
                example: ExampleSnippet {
                    under: format!(
                        "[[checkpoints]] id = \"{}\" in concept \"{}\"",
                        cp.id, concept.id
                    ),
                    key: "examples",
                    toml,
                    edit: Edit::AddItem {
                        target: Target::Checkpoint {
                            id: cp.id.to_string(),
                        },
                        field: "examples".into(),
                        value: r.text.clone(),
                        index: None,
                    },
                },
                text: r.text,
            })
        })
        .collect()
}

async fn open_items(app: &AppState, c: &Curriculum) -> Result<Vec<InboxItem>, Error> {
    let rows = app.store.inbox(&curriculum_id(c)?, COVERED).await?;
    Ok(items(c, rows))
}

/// `GET /api/author/curricula/{id}/inbox`: the open items, newest first.
pub async fn inbox(
    State(app): State<AppState>,
    _author: Author,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, Error> {
    let c = taught(&app, &id)?;
    let items = open_items(&app, &c).await?;
    Ok(Json(serde_json::json!({ "items": items })))
}

/// The open item `item` of curriculum `id` (404 when it is not in the inbox: unknown, or
/// already handled).
async fn find_open(app: &AppState, id: &str, item: &str) -> Result<InboxItem, Error> {
    let c = taught(app, id)?;
    open_items(app, &c)
        .await?
        .into_iter()
        .find(|i| i.id == item)
        .ok_or_else(|| Error::NotFound(format!("no open inbox item `{item}` in `{id}`")))
}

fn keys(item: &InboxItem) -> Result<(TurnId, CheckpointId), Error> {
    let (turn, checkpoint) = item
        .id
        .split_once('.')
        .ok_or_else(|| Error::Internal(format!("inbox item id `{}`", item.id)))?;
    let turn = TurnId::parse(turn).ok_or_else(|| Error::Internal(format!("turn id `{turn}`")))?;
    let checkpoint = CheckpointId::parse(checkpoint).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((turn, checkpoint))
}

/// `POST /api/author/curricula/{id}/inbox/{item}/dismiss`: 204; the item leaves the inbox.
pub async fn dismiss(
    State(app): State<AppState>,
    _author: Author,
    Path((id, item)): Path<(String, String)>,
) -> Result<Response, Error> {
    let found = find_open(&app, &id, &item).await?;
    let (turn, checkpoint) = keys(&found)?;
    app.store
        .act_on_inbox(&turn, &checkpoint, &InboxAction::Dismissed)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Body of `POST …/inbox/{item}/example`.
#[derive(Debug, Deserialize)]
pub struct ExampleRequest {
    /// The draft to add the example to; without one the answer only says where it goes.
    pub draft: Option<String>,
}

/// `POST /api/author/curricula/{id}/inbox/{item}/example {draft}`: adds the learner's
/// words to the checkpoint's `examples` in draft `draft` (the same `add_item` edit as
/// `POST …/drafts/{d}/edits`, at the draft's current revision) and the item leaves the
/// inbox. Without a draft the answer only says where the example goes (`applied: false`)
/// and the item stays open. An unknown or published draft is 404; a draft written
/// meanwhile by someone else is 409 (try again).
pub async fn example(
    State(app): State<AppState>,
    _author: Author,
    Path((id, item)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, Error> {
    let draft = if body.is_empty() {
        None
    } else {
        serde_json::from_slice::<ExampleRequest>(&body)
            .map_err(|e| Error::BadRequest(format!("expected {{\"draft\": \"<id>\"}}: {e}")))?
            .draft
    };
    let found = find_open(&app, &id, &item).await?;
    let Some(d) = draft else {
        return Ok(Json(serde_json::json!({
            "applied": false,
            "draft": null,
            "example": found.example,
        }))
        .into_response());
    };
    let revision = add_to_draft(&app, &id, &d, found.example.edit.clone()).await?;
    let (turn, checkpoint) = keys(&found)?;
    app.store
        .act_on_inbox(
            &turn,
            &checkpoint,
            &InboxAction::Example { draft: d.clone() },
        )
        .await?;
    Ok(Json(serde_json::json!({
        "applied": true,
        "draft": d,
        "revision": revision,
        "example": found.example,
    }))
    .into_response())
}

/// Applies `edit` to draft `d` of curriculum `id` at its current revision; returns the
/// new revision.
async fn add_to_draft(app: &AppState, id: &str, d: &str, edit: Edit) -> Result<i64, Error> {
    let draft = app
        .store
        .draft(d)
        .await?
        .filter(|x| x.curriculum.as_str() == id && x.published_as.is_none())
        .ok_or_else(|| Error::NotFound(format!("no open draft `{d}` of `{id}`")))?;
    let files: Vec<SourceFile> = draft.files.iter().cloned().map(SourceFile::from).collect();
    let applied = tokio::task::spawn_blocking(move || apply(&files, &edit))
        .await
        .map_err(|e| Error::Internal(format!("edit task failed: {e}")))?
        .map_err(|e| Error::BadRequest(e.to_string()))?;
    let renamed = compose_renames(&draft.renamed_from, &applied.renamed_from);
    match app
        .store
        .save_draft(d, draft.revision, &applied.files, &renamed)
        .await
    {
        Ok(revision) => Ok(revision),
        Err(StoreError::StaleRevision { .. }) => Err(Error::Busy(format!(
            "draft `{d}` changed while the example was added: try again"
        ))),
        Err(e) => Err(e.into()),
    }
}
