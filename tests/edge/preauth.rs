//! Before authentication (auth on) any frame but `hello` gets `unauthorized` and 1008,
//! and wrong tokens from one address are throttled.

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Closed, WsClient, spawn_app_with, test_settings};

fn with_auth() -> klover_server::Settings {
    let mut s = test_settings();
    s.auth = true;
    s
}

#[tokio::test]
async fn pre_auth_garbage_is_answered_unauthorized_and_closed_with_1008() {
    let app = spawn_app_with(with_auth(), klover_server::TutorVoice::Offline).await;
    let garbage = [
        Message::text("{not json"),
        Message::text(r#"{"type":"dance"}"#),
        Message::text(r#"{"type":"hello","version":99,"token":"x"}"#),
        Message::binary(vec![1u8, 2, 3]),
        Message::text(r#"{"type":"ping"}"#),
    ];
    for frame in garbage {
        let shown = format!("{frame:?}");
        let mut c = app.client().await;
        c.send_raw(frame).await;
        assert_eq!(c.next().await["code"], "unauthorized", "{shown}");
        assert!(matches!(c.closed().await, Closed::Code(1008, _)), "{shown}");
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_socket_that_never_says_hello_is_closed_with_1008() {
    let mut settings = with_auth();
    settings.limits.hello_timeout_secs = 1;
    let app = spawn_app_with(settings, klover_server::TutorVoice::Offline).await;
    let mut c = app.client().await;
    assert!(matches!(c.closed().await, Closed::Code(1008, _)));
    app.stop().await.unwrap();
}

#[tokio::test]
async fn wrong_tokens_are_throttled_per_address_even_a_right_one_after() {
    let mut settings = with_auth();
    settings.limits.failed_auth_per_minute_per_ip = 5;
    let app = spawn_app_with(settings, klover_server::TutorVoice::Offline).await;
    let good = app.token_for("ada").await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..8 {
        let status = http
            .get(app.http("/api/sessions"))
            .bearer_auth(format!("klv_wrong{i}"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        statuses.push(status);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
    // While blocked, even the right token gets 429, and so does the handshake.
    let status = http
        .get(app.http("/api/sessions"))
        .bearer_auth(&good)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 429);
    match WsClient::connect(&app.ws_url()).await.err().unwrap() {
        tokio_tungstenite::tungstenite::Error::Http(resp) => {
            assert_eq!(resp.status().as_u16(), 429);
        }
        other => panic!("expected 429, got {other:?}"),
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn wrong_hello_tokens_count_as_failures_too() {
    let mut settings = with_auth();
    settings.limits.failed_auth_per_minute_per_ip = 2;
    let app = spawn_app_with(settings, klover_server::TutorVoice::Offline).await;
    for _ in 0..2 {
        let mut c = app.client().await;
        c.send(json!({"type": "hello", "version": 1, "token": "klv_wrong"}))
            .await;
        assert_eq!(c.next().await["code"], "unauthorized");
        assert!(matches!(c.closed().await, Closed::Code(1008, _)));
    }
    let err = WsClient::connect(&app.ws_url()).await.err().unwrap();
    assert!(
        matches!(&err, tokio_tungstenite::tungstenite::Error::Http(r) if r.status().as_u16() == 429),
        "{err:?}"
    );
    app.stop().await.unwrap();
}
