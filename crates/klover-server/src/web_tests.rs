//! Tests for the embedded web client routes.

use super::*;
use axum::body::{Body, to_bytes};
use axum::http::Request;
use tower::ServiceExt;

async fn get(path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let app: Router = crate::http_layers::security_headers(router());
    let response = app
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn the_root_serves_the_learner_view_with_a_strict_policy() {
    let (status, headers, body) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(body.contains(r#"<script type="module" src="/assets/js/main.js">"#));
}

#[tokio::test]
async fn every_asset_has_its_content_type() {
    for (path, kind) in [
        ("/assets/app.css", "text/css; charset=utf-8"),
        ("/assets/js/main.js", "text/javascript; charset=utf-8"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ] {
        let (status, headers, body) = get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], kind, "{path}");
        assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
        assert!(!body.is_empty());
    }
}

#[tokio::test]
async fn unknown_assets_and_path_tricks_are_not_found() {
    for path in [
        "/assets/nope.js",
        "/assets/../src/web.rs",
        "/assets/js/../../Cargo.toml",
        "/assets/",
    ] {
        let (status, _, _) = get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[test]
fn every_file_in_the_web_folder_is_embedded() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut on_disk = Vec::new();
    collect(&root, &root, &mut on_disk);
    on_disk.retain(|p| p != "index.html");
    on_disk.retain(|p| !p.starts_with("author/")); // embedded by authoring::page
    on_disk.sort();
    let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.path.to_owned()).collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);
}

#[test]
fn every_module_import_names_an_embedded_asset() {
    for module in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
        let text = std::str::from_utf8(module.body).unwrap();
        for line in text.lines().filter(|l| l.starts_with("import ")) {
            let target = line.split('\'').nth(1).unwrap();
            let path = format!("js/{}", target.trim_start_matches("./"));
            assert!(
                ASSETS.iter().any(|a| a.path == path),
                "{} imports {target}, which is not embedded",
                module.path
            );
        }
    }
}

#[test]
fn no_module_writes_html_from_strings() {
    for module in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
        let text = std::str::from_utf8(module.body).unwrap();
        for forbidden in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} uses {forbidden}",
                module.path
            );
        }
    }
}

fn collect(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
        }
    }
}

/// The web routes inside every layer the server puts around them.
async fn get_with(path: &str, headers: &[(header::HeaderName, &str)]) -> axum::response::Response {
    let app: Router = crate::http_layers::observed(crate::http_layers::security_headers(router()));
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    app.oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_asset_has_an_etag_and_a_revalidation_with_it_is_a_bodiless_304() {
    let first = get_with("/assets/js/main.js", &[]).await;
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert_eq!(first.headers()[header::CACHE_CONTROL], "no-cache");
    let again = get_with("/assets/js/main.js", &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[header::ETAG], etag.as_str());
    let body = to_bytes(again.into_body(), 1 << 20).await.unwrap();
    assert!(body.is_empty());
    let other = get_with("/assets/app.css", &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(
        other.status(),
        StatusCode::OK,
        "another file's tag does not match"
    );
}

#[tokio::test]
async fn assets_are_gzipped_for_clients_that_accept_it_and_carry_a_request_id() {
    let plain = get_with("/assets/js/main.js", &[]).await;
    assert!(!plain.headers().contains_key(header::CONTENT_ENCODING));
    let size = to_bytes(plain.into_body(), 1 << 20).await.unwrap().len();
    let zipped = get_with("/assets/js/main.js", &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(zipped.headers().contains_key("x-request-id"));
    assert!(
        zipped
            .headers()
            .contains_key(header::CONTENT_SECURITY_POLICY)
    );
    let small = to_bytes(zipped.into_body(), 1 << 20).await.unwrap().len();
    assert!(small < size, "{small} bytes gzipped, {size} plain");
    let kept = get_with("/", &[("x-request-id".parse().unwrap(), "from-the-proxy")]).await;
    assert_eq!(kept.headers()["x-request-id"], "from-the-proxy");
}
