//! Bad input over real sockets: every bad frame gets a typed error or the documented
//! close code, the server keeps serving everyone else, and stored data stays intact.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use serde_json::json;
use support::{Closed, WsClient, find, session_id, spawn_app, spawn_app_with, test_settings};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

async fn error_code(c: &mut WsClient) -> String {
    let e = c.until("error").await.pop().unwrap();
    e["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn malformed_json_unknown_types_and_binary_frames_get_errors_and_the_socket_stays_open() {
    let app = spawn_app().await;
    let mut c = app.client().await;
    c.send_raw(Message::text("{not json")).await;
    assert_eq!(error_code(&mut c).await, "bad_json");
    c.send(json!({"type": "dance"})).await;
    assert_eq!(error_code(&mut c).await, "unknown_type");
    c.send(json!({"type": "message", "client_id": "x"})).await;
    assert_eq!(error_code(&mut c).await, "bad_json");
    c.send_raw(Message::binary(vec![1u8, 2, 3])).await;
    assert_eq!(error_code(&mut c).await, "binary_not_supported");
    c.send(json!({"type": "message", "client_id": "x", "text": "hello"}))
        .await;
    assert_eq!(error_code(&mut c).await, "no_session");
    // Still open and serving.
    c.send(json!({"type": "ping", "nonce": "n1"})).await;
    assert_eq!(c.until("pong").await.pop().unwrap()["nonce"], "n1");
    let events = c.start("async-python", None).await;
    assert!(find(&events, "session").is_some());
    app.stop().await.unwrap();
}

#[tokio::test]
async fn an_oversize_frame_closes_with_1009_and_others_keep_being_served() {
    let app = spawn_app().await;
    let mut bystander = app.client().await;
    bystander.start("async-python", None).await;
    let mut c = app.client().await;
    let big = "x".repeat(17 * 1024);
    c.send(json!({"type": "ping", "nonce": big})).await;
    match c.closed().await {
        Closed::Code(code, reason) => {
            assert_eq!(code, 1009);
            assert!(reason.contains("16384"), "{reason}");
        }
        other => panic!("expected a 1009 close, got {other:?}"),
    }
    let events = bystander
        .turn("Sync waits for each call to finish before moving on.")
        .await;
    assert!(find(&events, "tutor_done").is_some());
    app.stop().await.unwrap();
}

#[tokio::test]
async fn invalid_utf8_in_a_text_frame_closes_with_1007() {
    let app = spawn_app().await;
    let mut c = app.client().await;
    let frame = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    c.send_raw(Message::Frame(frame)).await;
    assert!(matches!(c.closed().await, Closed::Code(1007, _)));
    let mut other = app.client().await;
    other.send(json!({"type": "ping"})).await;
    assert_eq!(other.next().await["type"], "pong");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_flood_over_the_rate_limit_is_refused_without_storing_anything() {
    let mut settings = test_settings();
    settings.limits.rate_per_minute = 60;
    settings.limits.rate_burst = 5;
    let app = spawn_app_with(settings, klover_server::TutorVoice::Offline).await;
    let mut c = app.client().await;
    for i in 0..30 {
        c.send(json!({"type": "ping", "nonce": i.to_string()}))
            .await;
    }
    let mut limited = 0;
    let mut pongs = 0;
    for _ in 0..30 {
        let e = c.next().await;
        match e["type"].as_str().unwrap() {
            "pong" => pongs += 1,
            "error" if e["code"] == "rate_limited" => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!((5..10).contains(&pongs), "burst of 5 allowed, got {pongs}");
    assert_eq!(pongs + limited, 30);
    // A flood of messages stores nothing past the limit.
    c.send(json!({"type": "start", "curriculum": "async-python"}))
        .await;
    let reply = c.next().await;
    assert_eq!(reply["code"], "rate_limited", "still limited: {reply}");
    assert!(
        app.store
            .list_sessions(&learner(&app).await)
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await.unwrap();
}

async fn learner(app: &support::TestApp) -> klover_store::LearnerId {
    app.store
        .find_learner_by_name("local")
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn a_second_message_during_a_reply_is_refused_and_not_stored() {
    let mut settings = test_settings();
    settings.offline_delta_delay_ms = 150;
    let app = spawn_app_with(settings, klover_server::TutorVoice::Offline).await;
    let mut c = app.client().await;
    let opened = c.start("async-python", None).await;
    let session = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    c.send(
        json!({"type": "message", "client_id": "a", "text": "Sync waits for the call to finish."}),
    )
    .await;
    c.until("tutor_delta").await;
    c.send(json!({"type": "message", "client_id": "b", "text": "Interrupting!"}))
        .await;
    let events = c.until("error").await;
    assert_eq!(events.last().unwrap()["code"], "reply_in_progress");
    let rest = c.until("progress").await;
    let done = find(&rest, "tutor_done").expect("the first reply completes");
    assert_eq!(done["status"], "complete");
    let turns = app.store.turns(&session).await.unwrap();
    let learner_texts: Vec<&str> = turns
        .iter()
        .filter(|t| t.role == klover_store::TurnRole::Learner)
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(learner_texts, vec!["Sync waits for the call to finish."]);
    // Sending the same client id again is acknowledged, not stored twice.
    c.send(
        json!({"type": "message", "client_id": "a", "text": "Sync waits for the call to finish."}),
    )
    .await;
    let ack = c.until("learner_ack").await.pop().unwrap();
    assert!(
        ack["seq"].is_null(),
        "a re-acknowledgement is not a new event: {ack}"
    );
    assert!(
        c.next_within(Duration::from_millis(400)).await.is_none(),
        "no second reply"
    );
    assert_eq!(app.store.turns(&session).await.unwrap().len(), turns.len());
    app.stop().await.unwrap();
}
