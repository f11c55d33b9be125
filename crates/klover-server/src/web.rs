//! The web client: hand-written HTML, CSS and JavaScript modules from `web/`, embedded
//! in the binary so `klover serve` works from any folder. Serves `/` and `/assets/...`
//! with exact content types, an `ETag` per file (a revalidation answers 304 without a
//! body) and, from [`crate::http_layers`], gzip and a strict Content-Security-Policy
//! (scripts and styles from this origin only, no inline code), so even a rendering bug
//! cannot run injected script.

use axum::{
    Router,
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

/// The policy of every page and asset (set by [`crate::http_layers::security_headers`]).
pub use crate::http_layers::CONTENT_SECURITY_POLICY;

/// One embedded file: its path under `/assets/`, content type and bytes.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $type:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!("../web/", $path)),
        }
    };
}

const JS_TYPE: &str = "text/javascript; charset=utf-8";

/// Every file of `web/` except `index.html` (a test checks none is forgotten).
static ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("js/announce.js", JS_TYPE),
    asset!("js/api.js", JS_TYPE),
    asset!("js/cards.js", JS_TYPE),
    asset!("js/chrome.js", JS_TYPE),
    asset!("js/connection.js", JS_TYPE),
    asset!("js/dom.js", JS_TYPE),
    asset!("js/export.js", JS_TYPE),
    asset!("js/graph.js", JS_TYPE),
    asset!("js/icons.js", JS_TYPE),
    asset!("js/main.js", JS_TYPE),
    asset!("js/markup.js", JS_TYPE),
    asset!("js/progress.js", JS_TYPE),
    asset!("js/review.js", JS_TYPE),
    asset!("js/sessions.js", JS_TYPE),
    asset!("js/session.js", JS_TYPE),
    asset!("js/storage.js", JS_TYPE),
    asset!("js/transcript.js", JS_TYPE),
    asset!("js/welcome.js", JS_TYPE),
];

const INDEX_HTML: &str = include_str!("../web/index.html");

/// Routes for the web client: `GET /` (the learner view) and `GET /assets/{*path}`.
/// Generic over the app state so the server can merge it into its own router.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{*path}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    respond(&headers, "text/html; charset=utf-8", INDEX_HTML.as_bytes())
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(found) => respond(&headers, found.content_type, found.body),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// An embedded file, or 304 when the browser's copy (`If-None-Match`) is this one.
pub(crate) fn respond(
    request: &HeaderMap,
    content_type: &'static str,
    body: &'static [u8],
) -> Response {
    let etag = etag(body);
    // The assets change only with the binary; `no-cache` makes the browser revalidate
    // (the ETag makes that a 304) so an upgraded server never runs with a stale mix of
    // old and new modules.
    let cache = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    let fresh = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == etag.to_str().unwrap_or("") || tag.trim() == "*");
    if fresh {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let kind = [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))];
    (cache, kind, body).into_response()
}

/// A strong validator of an embedded file: a hash of its bytes (FNV-1a, 64 bits; stable
/// across runs and builds, unlike `DefaultHasher`).
fn etag(body: &[u8]) -> HeaderValue {
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    HeaderValue::from_str(&format!("\"{hash:016x}-{}\"", body.len()))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

#[cfg(test)]
#[path = "web_tests.rs"]
mod tests;
