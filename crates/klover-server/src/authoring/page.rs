//! The author page: `GET /author` and its two assets under `/author/`, embedded in the
//! binary and served with the web client's Content-Security-Policy (scripts and styles
//! from this origin only, no inline code). The page only reads through the authoring
//! API; it never writes anything.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const INDEX_HTML: &str = include_str!("../../web/author/index.html");
const AUTHOR_JS: &str = include_str!("../../web/author/author.js");
const AUTHOR_CSS: &str = include_str!("../../web/author/author.css");

/// Routes: `GET /author`, `GET /author/author.js`, `GET /author/author.css`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/author", get(|| async { html() }))
        .route("/author/", get(|| async { html() }))
        .route(
            "/author/author.js",
            get(|| async { respond("text/javascript; charset=utf-8", AUTHOR_JS) }),
        )
        .route(
            "/author/author.css",
            get(|| async { respond("text/css; charset=utf-8", AUTHOR_CSS) }),
        )
}

fn html() -> Response {
    respond("text/html; charset=utf-8", INDEX_HTML)
}

fn respond(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    crate::web::add_security_headers(&mut response);
    response
}
