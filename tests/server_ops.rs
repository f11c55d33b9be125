//! Operations over real sockets: an idle connection is pinged then closed, one that stops
//! reading is dropped after the send timeout, and `/metrics` counts connections, turns,
//! moves and errors.

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

/// The value of the error counter of `kind` in `/metrics` (0 when absent).
async fn errors_of(app: &support::TestApp, kind: &str) -> u64 {
    let text = reqwest::get(app.http("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let name = format!("klover_errors_total{{kind=\"{kind}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&name))
        .map_or(0, |v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_after_the_send_timeout() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;

    let mut settings = test_settings();
    settings.limits.send_timeout_secs = 1;
    // Neither the pings nor the idle timeout may be what ends it.
    settings.limits.ping_interval_secs = 600;
    settings.limits.idle_timeout_secs = 600;
    let app = spawn_app_with(settings, klover_server::TutorVoice::Offline).await;
    let before = errors_of(&app, "send_timeout").await;

    // A socket with a small fixed receive buffer (no autotuning) that never reads: it
    // sends pings with 15 KiB nonces, each answered by a pong carrying it back, until
    // the server's socket buffers are full and its sends wait.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(app.addr).await.unwrap();
    let (mut deaf, _) = tokio_tungstenite::client_async(app.ws_url(), tcp)
        .await
        .unwrap();
    let nonce = "n".repeat(15 * 1024);
    let flood = tokio::spawn(async move {
        for _ in 0..600 {
            let ping = json!({"type": "ping", "nonce": nonce}).to_string();
            // Once the server stops reading too, this send waits until it drops us.
            if deaf.send(Message::text(ping)).await.is_err() {
                return;
            }
        }
        // Everything sent: keep the socket open (unread) until the test ends.
        std::future::pending::<()>().await;
    });

    // Meanwhile a learner is served as usual.
    let mut learner = app.client().await;
    learner.start("async-python", None).await;
    let events = learner.turn(support::seed_lines()[0].as_str()).await;
    assert!(support::find(&events, "tutor_done").is_some());

    // The server gives up on the deaf one (hang guard only: its bound here is 1 s).
    let dropped = async {
        while errors_of(&app, "send_timeout").await == before {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), dropped)
        .await
        .expect("a connection that does not read was never dropped");
    assert_eq!(errors_of(&app, "send_timeout").await, before + 1);
    let events = learner
        .turn("an event loop runs one callback at a time")
        .await;
    assert!(support::find(&events, "tutor_done").is_some());
    flood.abort();
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
