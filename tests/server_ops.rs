//! Operations over real sockets: an idle connection is pinged then closed, and
//! `/metrics` counts connections, turns, moves and errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use serde_json::json;
use support::{Closed, spawn_app, spawn_app_with, test_settings};

#[tokio::test]
async fn a_silent_connection_is_pinged_then_closed_after_the_idle_timeout() {
    let mut settings = test_settings();
    settings.limits.ping_interval_secs = 1;
    settings.limits.idle_timeout_secs = 3;
    let app = spawn_app_with(settings, klover_server::TutorVoice::Offline).await;
    // A client that never reads never answers the pings: it goes silent.
    let mut silent = app.client().await;
    // A client that keeps talking stays open.
    let mut lively = app.client().await;
    for _ in 0..20 {
        lively.send(json!({"type": "ping"})).await;
        assert_eq!(lively.next().await["type"], "pong");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The server closed it: a close frame (1000, idle timeout) if the client reads it
    // before its queued pongs hit the closed socket, else the end of the stream.
    match silent.closed().await {
        Closed::Code(code, reason) => assert!(code == 1000 && reason.contains("idle")),
        Closed::Eof => {}
    }
    lively.send(json!({"type": "ping"})).await;
    assert_eq!(lively.next().await["type"], "pong");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn metrics_count_connections_turns_moves_and_errors() {
    let app = spawn_app().await;
    let mut c = app.client().await;
    c.start("async-python", None).await;
    c.turn("Sync waits for each call to finish before moving on.")
        .await;
    c.send(json!({"type": "dance"})).await;
    c.until("error").await;
    let text = reqwest::get(app.http("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "klover_ws_connections",
        "klover_turns_total",
        "klover_moves_total",
        "klover_errors_total{kind=\"unknown_type\"}",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    app.stop().await.unwrap();
}
