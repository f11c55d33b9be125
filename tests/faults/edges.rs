//! Protocol edges met by the fault work: NUL in a message (refused alike on both
//! backends), `resume` beyond the head (clamped, the socket keeps working), a resent
//! `client_id` (acknowledged after the original, in order), and a resend after a crash
//! (answered exactly once, whoever gets there first: the resend or the recovery).

use serde_json::json;

use crate::child::Server;
use crate::db::{Backend, FreshDb};
use crate::log::{Conversation, check_log, replay};
use crate::support::WsClient;

async fn started(server: &Server, conv: &mut Conversation) -> WsClient {
    let mut ws = WsClient::connect(&server.ws_url()).await.unwrap();
    ws.send(json!({"type": "start", "curriculum": "async-python"}))
        .await;
    conv.until(&mut ws, "progress").await;
    ws
}

async fn nul_is_refused_up_front(backend: Backend) {
    let db = FreshDb::new(backend).await;
    let server = Server::start(&db.url, &[]).await;
    let mut conv = Conversation::default();
    let mut ws = started(&server, &mut conv).await;
    ws.send(json!({"type": "message", "client_id": "nul-1", "text": "the loop\u{0} waits"}))
        .await;
    let error = conv.until(&mut ws, "error").await;
    assert_eq!(error["code"], "bad_request", "{error}");
    assert!(error["seq"].is_null(), "nothing was stored: {error}");
    assert!(
        error["message"].as_str().unwrap().contains("NUL"),
        "{error}"
    );
    let id = conv.say(&mut ws, "the loop waits for the network").await;
    conv.until_closed(&mut ws, &id).await;
    check_log(
        &replay(&server.ws_url(), &conv.session_id).await,
        &conv.sent,
    );
    drop(server);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_refuses_a_nul_in_a_message_up_front() {
    nul_is_refused_up_front(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refuses_a_nul_in_a_message_up_front() {
    nul_is_refused_up_front(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_beyond_the_head_is_clamped_and_the_socket_keeps_working() {
    let db = FreshDb::new(Backend::Sqlite).await;
    let server = Server::start(&db.url, &[]).await;
    let mut conv = Conversation::default();
    let ws = started(&server, &mut conv).await;
    drop(ws);
    let head = conv.last_seq();
    let mut ws = WsClient::connect(&server.ws_url()).await.unwrap();
    ws.send(json!({"type": "resume", "session_id": conv.session_id, "last_seq": head + 1000}))
        .await;
    let resumed = conv.until(&mut ws, "resumed").await;
    assert_eq!(
        resumed["head_seq"], head,
        "the real head, not the client's number"
    );
    let id = conv.say(&mut ws, "the loop waits for the network").await;
    conv.until_closed(&mut ws, &id).await; // its own ack, seq head + 1, and the reply
    drop(server);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_client_id_is_acknowledged_after_the_original_in_order() {
    let db = FreshDb::new(Backend::Sqlite).await;
    let server = Server::start(&db.url, &[]).await;
    let mut conv = Conversation::default();
    let mut ws = started(&server, &mut conv).await;
    let message = json!({"type": "message", "client_id": "twice", "text": "the loop waits"});
    ws.send(message.clone()).await;
    ws.send(message).await;
    conv.sent.push("twice".into());
    let mut acks = Vec::new();
    while acks.len() < 2 {
        let v = ws.next().await;
        conv.record(&v);
        if v["type"] == "learner_ack" {
            acks.push(v);
        }
    }
    assert!(acks[0]["seq"].is_u64(), "the original first: {acks:?}");
    assert!(acks[1]["seq"].is_null(), "then the repeat: {acks:?}");
    assert_eq!(acks[0]["turn_id"], acks[1]["turn_id"]);
    conv.until_closed(&mut ws, "twice").await;
    check_log(
        &replay(&server.ws_url(), &conv.session_id).await,
        &conv.sent,
    );
    drop(server);
    db.finish().await;
}

async fn resent_after_a_crash(backend: Backend) {
    let db = FreshDb::new(backend).await;
    let paused = [
        ("KLOVER_FAULT_PAUSE", "after_ack".to_owned()),
        ("KLOVER_REPLY_LEASE_MS", "1500".to_owned()),
        // Acknowledged alone before its reply (`turn::at_once`: not a reply said whole).
        ("KLOVER_OFFLINE_DELTA_DELAY_MS", "10".to_owned()),
    ];
    let mut server = Server::start(&db.url, &paused).await;
    let mut conv = Conversation::default();
    let mut ws = started(&server, &mut conv).await;
    let id = conv.say(&mut ws, "the loop waits for the network").await;
    server.wait_point("after_ack").await;
    server.kill9();
    conv.drain(&mut ws).await;

    // The restarted server's own sweeps are rare here: the resend races the start-up
    // sweep and the dead server's lease; either way the message is answered once.
    let slow_sweep = [("KLOVER_REPLY_LEASE_MS", "60000".to_owned())];
    let server = Server::start(&db.url, &slow_sweep).await;
    let (mut ws, _) = conv.resume(&server.ws_url()).await;
    for _ in 0..3 {
        ws.send(
            json!({"type": "message", "client_id": id, "text": "the loop waits for the network"}),
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    }
    conv.until_closed(&mut ws, &id).await;
    check_log(
        &replay(&server.ws_url(), &conv.session_id).await,
        &conv.sent,
    );
    drop(server);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_message_resent_after_a_crash_is_answered_once() {
    resent_after_a_crash(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_message_resent_after_a_crash_is_answered_once() {
    resent_after_a_crash(Backend::Postgres).await;
}
