//! Auth over real sockets: a public bind without auth refuses to start, wrong tokens and
//! foreign origins are refused, and learners only ever see their own sessions and events.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use support::{Closed, WsClient, find, session_id, spawn_app, spawn_app_with, test_settings};
use tokio_tungstenite::tungstenite;

fn with_auth() -> klover_server::Settings {
    let mut s = test_settings();
    s.auth = true;
    s
}

fn http_status(e: tungstenite::Error) -> u16 {
    match e {
        tungstenite::Error::Http(resp) => resp.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

#[test]
fn klover_serve_on_a_public_address_without_auth_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_klover"))
        .args(["serve", "--bind", "0.0.0.0:0", "--curriculum-dir"])
        .arg(support::curriculum_dir())
        .arg("--database-url")
        .arg(format!("sqlite://{}/k.db", dir.path().display()))
        .env_remove("KLOVER_AUTH")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("without auth"), "{err}");
    assert!(
        err.contains("klover token create"),
        "says what to do: {err}"
    );
}

#[tokio::test]
async fn run_refuses_a_public_bind_without_auth_too() {
    let mut s = test_settings();
    s.bind = "0.0.0.0:0".parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/k.db?mode=rwc", dir.path().display());
    let store = klover_store::Store::connect(&url).await.unwrap();
    let catalog = klover_server::Catalog::load(&s.curriculum_dir).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = klover_server::AppState::new(s, store, catalog, klover_server::TutorVoice::Offline);
    let result = klover_server::run(listener, app, std::future::pending()).await;
    assert!(result.unwrap_err().to_string().contains("without auth"));
}

#[tokio::test]
async fn wrong_or_missing_tokens_are_refused() {
    let app = spawn_app_with(with_auth(), klover_server::TutorVoice::Offline).await;
    let good = app.token_for("ada").await;
    // In the URL: refused at the handshake.
    let err = WsClient::connect(&format!("{}?token=klv_wrong", app.ws_url()))
        .await
        .err()
        .unwrap();
    assert_eq!(http_status(err), 401);
    // In a hello frame: an error, then 1008.
    let mut c = app.client().await;
    c.send(json!({"type": "hello", "version": 1, "token": "klv_wrong"}))
        .await;
    assert_eq!(c.next().await["code"], "unauthorized");
    assert!(matches!(c.closed().await, Closed::Code(1008, _)));
    // No hello at all: the first real frame is refused.
    let mut c = app.client().await;
    c.send(json!({"type": "start", "curriculum": "async-python"}))
        .await;
    assert_eq!(c.next().await["code"], "unauthorized");
    assert!(matches!(c.closed().await, Closed::Code(1008, _)));
    // The right token in hello works.
    let mut c = app.client().await;
    c.send(json!({"type": "hello", "version": 1, "token": good}))
        .await;
    assert_eq!(c.next().await["type"], "welcome");
    assert!(find(&c.start("async-python", None).await, "session").is_some());
    // HTTP too.
    let resp = reqwest::get(app.http("/api/sessions")).await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = reqwest::Client::new()
        .get(app.http("/api/sessions"))
        .bearer_auth(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_foreign_origin_is_refused_at_the_handshake() {
    let app = spawn_app().await;
    let err = WsClient::connect_with_origin(&app.ws_url(), "https://evil.example")
        .await
        .err()
        .unwrap();
    assert_eq!(http_status(err), 403);
    let own = format!("http://{}", app.addr);
    let mut c = WsClient::connect_with_origin(&app.ws_url(), &own)
        .await
        .unwrap();
    c.send(json!({"type": "ping"})).await;
    assert_eq!(c.next().await["type"], "pong");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn learner_a_cannot_resume_list_or_export_learner_b_session() {
    let app = spawn_app_with(with_auth(), klover_server::TutorVoice::Offline).await;
    let a = app.token_for("ada").await;
    let b = app.token_for("bob").await;
    let mut bob = WsClient::connect(&format!("{}?token={b}", app.ws_url()))
        .await
        .unwrap();
    let opened = bob.start("async-python", None).await;
    bob.turn("Sync waits for each call to finish before moving on.")
        .await;
    let bobs = session_id(&opened);

    let mut ada = WsClient::connect(&format!("{}?token={a}", app.ws_url()))
        .await
        .unwrap();
    ada.send(json!({"type": "resume", "session_id": bobs, "last_seq": 0}))
        .await;
    let e = ada.next().await;
    assert_eq!(e["code"], "forbidden", "{e}");
    assert!(ada.seqs.is_empty(), "not one of bob's events reached ada");

    let http = reqwest::Client::new();
    let export = http
        .get(app.http(&format!("/api/sessions/{bobs}/export?format=md")))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 403);
    let own = http
        .get(app.http(&format!("/api/sessions/{bobs}/export?format=md")))
        .bearer_auth(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    assert!(
        own.text()
            .await
            .unwrap()
            .contains("Sync waits for each call")
    );
    let list: Vec<Value> = http
        .get(app.http("/api/sessions"))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list.is_empty(), "ada sees none of bob's sessions: {list:?}");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn two_learners_at_once_each_see_only_their_own_events() {
    let app = spawn_app_with(with_auth(), klover_server::TutorVoice::Offline).await;
    let lines = support::seed_lines();
    let mut handles = Vec::new();
    for name in ["ada", "bob"] {
        let url = format!("{}?token={}", app.ws_url(), app.token_for(name).await);
        let lines = lines.clone();
        handles.push(tokio::spawn(async move {
            let mut c = WsClient::connect(&url).await.unwrap();
            let mut events = c.start("async-python", None).await;
            for line in lines.iter().take(5) {
                events.extend(c.turn(&format!("{line} ({name})")).await);
            }
            (events, c.seqs.clone())
        }));
    }
    let mut sessions = Vec::new();
    let mut all_turns = Vec::new();
    for h in handles {
        let (events, seqs) = h.await.unwrap();
        support::assert_contiguous(&seqs);
        let sid = session_id(&events);
        let turns: Vec<String> = events
            .iter()
            .filter_map(|e| e["turn_id"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(events.iter().filter(|e| e["type"] == "session").count(), 1);
        sessions.push(sid);
        all_turns.push(turns);
    }
    assert_ne!(sessions[0], sessions[1]);
    for t in &all_turns[0] {
        assert!(!all_turns[1].contains(t), "turn {t} reached both learners");
    }
    app.stop().await.unwrap();
}
