//! The authoring API over real sockets: authors (and the local user on a loopback server
//! without auth) read whole curricula, learners are refused, and posted curriculum files
//! are checked with the loader's validator without anything being written.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod support;

#[path = "authoring/editor.rs"]
mod editor;

// A fresh database per test (the fault suite's), for the tests on both backends.
#[allow(dead_code)]
#[path = "faults/db.rs"]
mod db;

#[path = "authoring/analytics.rs"]
mod analytics;

use klover_server::builtin::FILES;
use serde_json::{Value, json};
use support::{TestApp, spawn_app, spawn_app_with, test_settings};

async fn spawn_with_auth() -> TestApp {
    let mut s = test_settings();
    s.auth = true;
    spawn_app_with(s, klover_server::TutorVoice::Offline).await
}

async fn author_token(app: &TestApp, name: &str) -> String {
    let learner = app.store.create_learner(name).await.unwrap();
    app.store
        .create_api_token(klover_store::Role::Author, Some(&learner.id), "test")
        .await
        .unwrap()
}

fn reference_files() -> Vec<Value> {
    FILES
        .iter()
        .map(|(path, text)| json!({"path": path, "text": text}))
        .collect()
}

async fn post_check(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(app.http("/api/author/check"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn an_author_token_reads_the_whole_curriculum_in_prerequisite_order() {
    let app = spawn_with_auth().await;
    let token = author_token(&app, "ada").await;
    let r = reqwest::Client::new()
        .get(app.http("/api/author/curricula/async-python"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let concepts = body["concepts"].as_array().unwrap();
    assert_eq!(concepts.len(), 7);
    assert_eq!(concepts[0]["id"], "sync-vs-async");
    let ids: Vec<&str> = concepts.iter().map(|k| k["id"].as_str().unwrap()).collect();
    for k in concepts {
        for pre in k["prerequisites"].as_array().unwrap() {
            let (at_pre, at_k) = (
                ids.iter().position(|i| i == pre).unwrap(),
                ids.iter().position(|i| *i == k["id"]).unwrap(),
            );
            assert!(at_pre < at_k, "{pre} comes before {}", k["id"]);
        }
    }
    let io = concepts.iter().find(|k| k["id"] == "io-vs-cpu").unwrap();
    let cp = &io["checkpoints"][0];
    assert_eq!(cp["id"], "async-helps-io-bound");
    assert!(
        cp["statement"]
            .as_str()
            .unwrap()
            .starts_with("Async makes sense")
    );
    assert!(cp["hints"].as_array().unwrap().len() >= 2);
    assert!(!cp["cues"].as_array().unwrap().is_empty());
    assert_eq!(
        io["misconceptions"][0]["id"],
        "async-makes-everything-faster"
    );
    assert!(!body["edges"].as_array().unwrap().is_empty());
    let missing = reqwest::Client::new()
        .get(app.http("/api/author/curricula/no-such"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn learners_get_403_and_callers_without_a_token_401() {
    let app = spawn_with_auth().await;
    let learner = app.token_for("bea").await;
    let client = reqwest::Client::new();
    let r = client
        .get(app.http("/api/author/curricula/async-python"))
        .bearer_auth(&learner)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let said: serde_json::Value = r.json().await.unwrap();
    let said = said["error"].as_str().unwrap();
    assert!(
        said.contains("author") && said.contains("learner role") && said.contains("--role author"),
        "the refusal names the role needed, not another learner: {said}"
    );
    let body = json!({"files": reference_files()});
    let (status, _) = post_check(&app, &learner, &body).await;
    assert_eq!(status, 403, "a learner may not use the checker either");
    let r = client
        .get(app.http("/api/author/curricula/async-python"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client
        .post(app.http("/api/author/check"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn an_admin_token_without_a_learner_lists_and_reads_curricula() {
    let app = spawn_with_auth().await;
    let admin = app
        .store
        .create_api_token(klover_store::Role::Admin, None, "test")
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let list: Value = client
        .get(app.http("/api/author/curricula"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["id"], "async-python");
    assert_eq!(list[0]["title"], "Async in Python, from the ground up");
    let r = client
        .get(app.http(&format!("/api/author/curricula/async-python?token={admin}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the token may come as ?token=");
    let learner = app.token_for("cy").await;
    let r = client
        .get(app.http("/api/author/curricula"))
        .bearer_auth(&learner)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = client
        .get(app.http("/api/author/curricula"))
        .bearer_auth("klv_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_local_user_of_a_loopback_server_without_auth_is_an_author() {
    let app = spawn_app().await;
    let r = reqwest::get(app.http("/api/author/curricula/async-python"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["id"], "async-python");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_valid_copy_of_the_reference_curriculum_checks_ok() {
    let app = spawn_with_auth().await;
    let token = author_token(&app, "ada").await;
    let (status, body) = post_check(&app, &token, &json!({"files": reference_files()})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["summary"]["id"], "async-python");
    assert_eq!(body["summary"]["concepts"], 7);
    assert_eq!(body["summary"]["order"][0], "sync-vs-async");
    assert!(body["summary"]["checkpoints"].as_u64().unwrap() >= 7);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_broken_copy_reports_every_problem_with_its_line() {
    let app = spawn_with_auth().await;
    let token = author_token(&app, "ada").await;
    let path = "concepts/03-event-loop.toml";
    let original = FILES.iter().find(|(p, _)| *p == path).unwrap().1;
    let broken = original
        .replacen(
            r#"prerequisites = ["io-vs-cpu"]"#,
            r#"prerequisites = ["io-vs-cpu", "no-such-concept"]"#,
            1,
        )
        .replacen(
            "hints = [\n    \"How many chefs are in the kitchen?\",\n",
            "hints = [\n",
            1,
        );
    assert_ne!(broken, original);
    let files: Vec<Value> = FILES
        .iter()
        .map(|(p, t)| json!({"path": p, "text": if *p == path { broken.as_str() } else { t }}))
        .collect();
    let (status, body) = post_check(&app, &token, &json!({"files": files})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], false, "{body}");
    let problems = body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{body}");
    let unknown = problems
        .iter()
        .find(|p| p["message"].as_str().unwrap().contains("no-such-concept"))
        .unwrap_or_else(|| panic!("no unknown-prerequisite problem: {body}"));
    assert_eq!(unknown["file"], path);
    assert_eq!(unknown["line"], 3);
    let hint = problems
        .iter()
        .find(|p| p["key"].as_str().unwrap_or("").contains("hints"))
        .unwrap_or_else(|| panic!("no hints problem: {body}"));
    assert_eq!(hint["file"], path);
    // The line of the broken `hints = [` in the file as authored (it moves as examples
    // are added above it).
    let hints_at = original
        .find("hints = [\n    \"How many chefs")
        .expect("the event-loop hints in the reference curriculum");
    let hints_line = original[..hints_at].lines().count() + 1;
    assert_eq!(hint["line"], hints_line, "{body}");
    assert!(!hint["fix"].as_str().unwrap().is_empty());
    app.stop().await.unwrap();
}

#[tokio::test]
async fn an_oversize_check_body_gets_413() {
    let app = spawn_with_auth().await;
    let token = author_token(&app, "ada").await;
    let big = "#".repeat(klover_server::authoring::MAX_CHECK_BODY + 1);
    let body = json!({"files": [{"path": "curriculum.toml", "text": big}]});
    let (status, answer) = post_check(&app, &token, &body).await;
    assert_eq!(status, 413);
    assert!(
        answer["error"].as_str().unwrap().contains("1024 KiB"),
        "{answer}"
    );
    let r = reqwest::Client::new()
        .post(app.http("/api/author/check"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"files\": 3}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "not the expected JSON");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_author_page_is_served_with_the_content_security_policy() {
    let app = spawn_with_auth().await;
    for (path, kind) in [
        ("/author", "text/html"),
        ("/author/author.js", "text/javascript"),
        ("/author/analytics.js", "text/javascript"),
        ("/author/author.css", "text/css"),
    ] {
        let r = reqwest::get(app.http(path)).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert_eq!(csp, klover_server::web::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("script-src 'self'"));
        let ctype = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ctype.starts_with(kind), "{path}: {ctype}");
        let text = r.text().await.unwrap();
        if path == "/author" {
            assert!(text.contains(r#"<script type="module" src="/author/author.js">"#));
            assert!(text.contains(r#"<script type="module" src="/author/analytics.js">"#));
            assert!(!text.contains("<script>"), "no inline script");
            assert!(!text.contains("style="), "no inline style");
        }
        if path.ends_with(".js") {
            assert!(!text.contains("innerHTML"), "data goes in with textContent");
        }
    }
    app.stop().await.unwrap();
}

#[path = "authoring/versions.rs"]
mod versions;

#[path = "authoring/imports.rs"]
mod imports;
