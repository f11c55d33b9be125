//! A turn that panics, and an upstream that sends `Retry-After: inf`: the turn ends as
//! failed, visibly (a `tutor_done` and an error the learner can quote), and the session
//! keeps working.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use klover_fake_llm::{Failure, FakeLlm, Reply};
use serde_json::{Value, json};

use crate::child::Server;
use crate::db::{Backend, FreshDb};
use crate::log::{Conversation, check_log, replay};
use crate::support::WsClient;

/// Starts a session; returns the connection.
async fn started(server: &Server, conv: &mut Conversation) -> WsClient {
    let mut ws = WsClient::connect(&server.ws_url()).await.unwrap();
    ws.send(json!({"type": "start", "curriculum": "async-python"}))
        .await;
    conv.until(&mut ws, "progress").await;
    ws
}

fn last_done(conv: &Conversation) -> Value {
    conv.frames
        .iter()
        .rev()
        .find(|e| e["type"] == "tutor_done")
        .cloned()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_a_turn_fails_that_turn_visibly_and_the_session_keeps_working() {
    let db = FreshDb::new(Backend::Sqlite).await;
    // Streamed offline replies: a reply said whole in the same concept is stored with its
    // message in the ws handler, not in a turn task (`turn::at_once`).
    let panics = [
        ("KLOVER_FAULT_PANIC", "after_assess".to_owned()),
        ("KLOVER_OFFLINE_DELTA_DELAY_MS", "10".to_owned()),
    ];
    let mut server = Server::start(&db.url, &panics).await;
    let mut conv = Conversation::default();
    let mut ws = started(&server, &mut conv).await;

    let first = conv.say(&mut ws, "the loop waits for the network").await;
    conv.until_closed(&mut ws, &first).await;
    assert_eq!(last_done(&conv)["status"], "failed");
    let error = conv.frames.last().unwrap().clone();
    assert_eq!(error["type"], "error", "the failure is in the log: {error}");
    assert_eq!(error["code"], "internal");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("reference"), "{message}");
    let reference = message
        .split("reference ")
        .nth(1)
        .unwrap()
        .get(..8)
        .unwrap();
    server.wait_line(reference).await; // the log line carries the same reference

    let second = conv
        .say(&mut ws, "the loop runs other tasks meanwhile")
        .await;
    conv.until_closed(&mut ws, &second).await;
    assert_eq!(last_done(&conv)["status"], "complete", "the slot was freed");
    check_log(
        &replay(&server.ws_url(), &conv.session_id).await,
        &conv.sent,
    );
    drop(server);
    db.finish().await;
}

/// A fake LLM that answers the first request of each kind (judge, stream) with a 429 and
/// `Retry-After: inf`, and the rest normally.
async fn hostile_llm() -> FakeLlm {
    let fake = FakeLlm::start().await;
    let streams = Arc::new(AtomicUsize::new(0));
    let judges = Arc::new(AtomicUsize::new(0));
    fake.set_responder(move |req| {
        let seen = if req.is_stream() { &streams } else { &judges };
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::chunks(Vec::<String>::new()).fail(Failure::StatusRawRetryAfter {
                code: 429,
                retry_after: "inf".into(),
            });
        }
        if req.is_stream() {
            Reply::text("And what does the loop do meanwhile?")
        } else {
            Reply::text(crate::crash::VERDICT)
        }
    });
    fake
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_retry_after_of_infinity_fails_one_reply_not_the_session() {
    let db = FreshDb::new(Backend::Sqlite).await;
    let fake = hostile_llm().await;
    let envs = [
        ("KLOVER_LLM_BASE_URL", fake.base_url()),
        ("KLOVER_LLM_API_KEY", "sk-fake".to_owned()),
        ("KLOVER_LLM_MODEL", "fake-model".to_owned()),
    ];
    let server = Server::start(&db.url, &envs).await;
    let mut conv = Conversation::default();
    let mut ws = started(&server, &mut conv).await;

    let first = conv.say(&mut ws, "the loop waits for the network").await;
    conv.until_closed(&mut ws, &first).await;
    assert_eq!(
        last_done(&conv)["status"],
        "failed",
        "not retried for ever, not a panic"
    );

    let second = conv
        .say(&mut ws, "the loop runs other tasks meanwhile")
        .await;
    conv.until_closed(&mut ws, &second).await;
    let done = last_done(&conv);
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(done["text"], "And what does the loop do meanwhile?");
    assert!(!server.log().contains("panicked"), "{}", server.log());
    check_log(
        &replay(&server.ws_url(), &conv.session_id).await,
        &conv.sent,
    );
    drop(server);
    db.finish().await;
}
