//! The author page: `GET /author` and its assets under `/author/`, embedded in the
//! binary and served with the web client's Content-Security-Policy (scripts and styles
//! from this origin only, no inline code). `editor.js` is the draft editor (graph,
//! concept form, cue tester, preview, publish) over the drafts API; `analytics.js` the
//! analytics section and the inbox of unrecognised answers.

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;

use crate::web::respond;

const INDEX_HTML: &str = include_str!("../../web/author/index.html");
const AUTHOR_JS: &str = include_str!("../../web/author/author.js");
const AUTHOR_CSS: &str = include_str!("../../web/author/author.css");
const EDITOR_JS: &str = include_str!("../../web/author/editor.js");
const ANALYTICS_JS: &str = include_str!("../../web/author/analytics.js");

/// Routes: `GET /author`, `GET /author/author.js`, `GET /author/editor.js`,
/// `GET /author/analytics.js`, `GET /author/author.css`, with an `ETag` each like the
/// web client's assets.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let file = |kind: &'static str, body: &'static str| {
        get(move |h: HeaderMap| async move { respond(&h, kind, body.as_bytes()) })
    };
    Router::new()
        .route("/author", file(HTML, INDEX_HTML))
        .route("/author/", file(HTML, INDEX_HTML))
        .route(
            "/author/author.js",
            file("text/javascript; charset=utf-8", AUTHOR_JS),
        )
        .route(
            "/author/editor.js",
            file("text/javascript; charset=utf-8", EDITOR_JS),
        )
        .route(
            "/author/analytics.js",
            file("text/javascript; charset=utf-8", ANALYTICS_JS),
        )
        .route(
            "/author/author.css",
            file("text/css; charset=utf-8", AUTHOR_CSS),
        )
}

const HTML: &str = "text/html; charset=utf-8";
