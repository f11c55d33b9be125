//! Plain HTTP routes: health, readiness, metrics, and part of the learner-scoped JSON API
//! (the caller's sessions, session export; curricula and due reviews are in
//! [`crate::api`]). Handlers are thin: they resolve the caller and call the store.

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use klover_domain::export::{ExportOptions, Format, FrontMatter};
use klover_store::SessionId;
use serde::{Deserialize, Serialize};

use crate::auth::{self, Identity};
use crate::error::Error;
use crate::state::AppState;
use crate::telemetry;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers (its migrations ran when the store connected).
pub async fn readyz(State(app): State<AppState>) -> Response {
    match app.store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ready", "database": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            let body = serde_json::json!({"status": "not ready", "database": "unreachable"});
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text format. With auth on, only for an operator: a token
/// with role `admin` (`klover token create --role admin`); 401 without one, 403 for others.
pub async fn metrics(State(app): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if app.settings.auth {
        let grant = match auth::bearer(&headers) {
            Some(token) => app.store.verify_api_token(&token).await,
            None => Ok(None),
        };
        match grant {
            Ok(Some(g)) if g.role == klover_store::Role::Admin => {}
            Ok(Some(g)) => {
                return Error::RoleNeeded {
                    needed: "admin",
                    has: g.role,
                    how: "--role admin --label prometheus",
                }
                .into_response();
            }
            Ok(None) => return Error::Unauthorized.into_response(),
            Err(e) => return Error::from(e).into_response(),
        }
    }
    metrics::counter!(telemetry::STORE_COMMITS).absolute(app.store.write_transactions());
    metrics::counter!(telemetry::STORE_GROUPED_WRITES).absolute(app.store.grouped_writes());
    match &app.metrics {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "another metrics recorder was installed in this process",
        )
            .into_response(),
    }
}

/// The caller of an API route: the local learner, or the learner of the bearer or
/// `?token=` token.
impl FromRequestParts<AppState> for Identity {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Error> {
        let token = auth::bearer(&parts.headers).or_else(|| query_token(parts.uri.query()));
        auth::resolve(&app.settings, &app.store, token.as_deref())
            .await?
            .ok_or(Error::Unauthorized)
    }
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .map(str::to_owned)
}

/// A session in `GET /api/sessions`.
#[derive(Debug, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Session id.
    pub id: String,
    /// Curriculum id.
    pub curriculum: String,
    /// Current concept id.
    pub concept: String,
    /// The current concept's title (the id when the curriculum no longer has it), so a
    /// client can list sessions before it has loaded any curriculum.
    #[serde(default)]
    pub title: String,
    /// `offline` or `llm`.
    pub voice: String,
    /// `learn` or `review`.
    pub mode: String,
    /// Turns so far.
    pub turns: i64,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// RFC 3339, when it ended.
    pub ended_at: Option<String>,
}

/// `GET /api/sessions`: the caller's sessions, newest first.
pub async fn sessions(
    State(app): State<AppState>,
    who: Identity,
) -> Result<Json<Vec<SessionInfo>>, Error> {
    let list = app.store.list_sessions(&who.learner).await?;
    Ok(Json(
        list.into_iter()
            .map(|s| SessionInfo {
                id: s.id.to_string(),
                curriculum: s.curriculum.to_string(),
                title: app
                    .catalog
                    .get(s.curriculum.as_str())
                    .and_then(|c| c.concept(&s.current_concept).map(|k| k.title.clone()))
                    .unwrap_or_else(|| s.current_concept.to_string()),
                concept: s.current_concept.to_string(),
                voice: s.mode.as_str().to_owned(),
                mode: s.kind.as_str().to_owned(),
                turns: s.turn_count,
                started_at: s.started_at.to_rfc3339(),
                updated_at: s.updated_at.to_rfc3339(),
                ended_at: s.ended_at.map(|t| t.to_rfc3339()),
            })
            .collect(),
    ))
}

/// Query of the export route.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// `md` (default) or `html`.
    pub format: Option<String>,
    /// `devto`, `hugo`, `jekyll` or `none` (default); Markdown only.
    pub front_matter: Option<String>,
    /// The post's title instead of the derived one.
    pub title: Option<String>,
    /// A byline; without it the learner's name appears nowhere.
    pub author: Option<String>,
    /// Turn ids to leave out, comma-separated.
    pub omit: Option<String>,
}

impl ExportQuery {
    /// The export options the query asks for; an unknown value is a bad request naming
    /// the values allowed.
    fn options(self) -> Result<ExportOptions, Error> {
        let format = match self.format.as_deref() {
            None | Some("" | "md" | "markdown") => Format::Markdown,
            Some("html") => Format::Html,
            Some(other) => {
                return Err(Error::BadRequest(format!(
                    "unknown format `{other}`: use md or html"
                )));
            }
        };
        let front_matter = match self.front_matter.as_deref() {
            None | Some("" | "none") => FrontMatter::None,
            Some("devto") => FrontMatter::Devto,
            Some("hugo") => FrontMatter::Hugo,
            Some("jekyll") => FrontMatter::Jekyll,
            Some(other) => {
                return Err(Error::BadRequest(format!(
                    "unknown front_matter `{other}`: use devto, hugo, jekyll or none"
                )));
            }
        };
        let omit = self
            .omit
            .iter()
            .flat_map(|list| list.split(','))
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect();
        let nonempty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        Ok(ExportOptions {
            format,
            front_matter,
            author: nonempty(self.author),
            title: nonempty(self.title),
            omit,
        })
    }
}

/// `GET /api/sessions/{id}/export?format=md|html&front_matter=…&title=…&author=…&omit=…`:
/// the session as a blog post.
pub async fn export(
    State(app): State<AppState>,
    who: Identity,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, Error> {
    let id = SessionId::parse(&id).ok_or_else(|| Error::NotFound(format!("session `{id}`")))?;
    let row = app.store.get_session(&who.learner, &id).await?;
    let options = q.options()?;
    let html = options.format == Format::Html;
    let (body, file_name) = crate::export::render(&app, &row, &options).await?;
    let content_type = if html {
        "text/html; charset=utf-8"
    } else {
        "text/markdown; charset=utf-8"
    };
    let disposition = format!("attachment; filename=\"{file_name}\"");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
