//! The web client: hand-written HTML, CSS and JavaScript modules from `web/`, embedded
//! in the binary so `klover serve` works from any folder. Serves `/` and `/assets/...`
//! with exact content types and a strict Content-Security-Policy (scripts and styles
//! from this origin only, no inline code), so even a rendering bug cannot run injected
//! script.

use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

/// The policy sent with every page and asset. `connect-src 'self'` admits the page's own
/// websocket (`ws:`/`wss:` on the same host); nothing else may be fetched or framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; \
manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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
    asset!("js/chrome.js", JS_TYPE),
    asset!("js/connection.js", JS_TYPE),
    asset!("js/dom.js", JS_TYPE),
    asset!("js/graph.js", JS_TYPE),
    asset!("js/icons.js", JS_TYPE),
    asset!("js/main.js", JS_TYPE),
    asset!("js/markup.js", JS_TYPE),
    asset!("js/progress.js", JS_TYPE),
    asset!("js/review.js", JS_TYPE),
    asset!("js/session.js", JS_TYPE),
    asset!("js/storage.js", JS_TYPE),
    asset!("js/transcript.js", JS_TYPE),
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

async fn index() -> Response {
    respond("text/html; charset=utf-8", INDEX_HTML.as_bytes())
}

async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(found) => respond(found.content_type, found.body),
        None => {
            let mut response = (StatusCode::NOT_FOUND, "no such asset").into_response();
            add_security_headers(&mut response);
            response
        }
    }
}

fn respond(content_type: &'static str, body: &'static [u8]) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The assets change only with the binary; `no-cache` makes the browser revalidate
    // so an upgraded server never runs with a stale mix of old and new modules.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    add_security_headers(&mut response);
    response
}

/// CSP, nosniff, no referrer, no framing: for every page and asset we serve.
pub(crate) fn add_security_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

#[cfg(test)]
#[path = "web_tests.rs"]
mod tests;
