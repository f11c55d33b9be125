//! Replies that are cut: a disconnect mid-reply then resume (nothing lost, nothing
//! doubled), a stop mid-reply (partial kept), a reload (resume from 0), and shutdown
//! (running replies kept as partial, sockets closed with 1001, a message sent meanwhile
//! refused with `shutting_down`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use support::{Closed, WsClient, find, session_id, spawn_app, spawn_app_with, test_settings};

fn paced(ms: u64) -> klover_server::Settings {
    let mut s = test_settings();
    s.offline_delta_delay_ms = ms;
    s
}

fn deltas(events: &[Value], turn: &str) -> String {
    events
        .iter()
        .filter(|e| e["type"] == "tutor_delta" && e["turn_id"] == turn)
        .map(|e| e["text"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_disconnect_mid_reply_then_resume_delivers_the_rest_without_loss_or_duplicates() {
    let app = spawn_app_with(paced(150), klover_server::TutorVoice::Offline).await;
    let mut first = app.client().await;
    let mut seen = first.start("async-python", None).await;
    let session = session_id(&seen);
    first
        .say("Sync waits for the call to finish before moving on; async does other work meanwhile.")
        .await;
    seen.extend(first.until("tutor_delta").await);
    let last_seq = *first.seqs.last().unwrap();
    let mut seqs = first.seqs.clone();
    first.drop_connection();

    let mut second = app.client().await;
    second
        .send(json!({"type": "resume", "session_id": session, "last_seq": last_seq}))
        .await;
    let mut rest = second.until("resumed").await;
    if rest.last().unwrap()["reply_in_progress"] == true {
        rest.extend(second.until("progress").await);
    }
    seqs.extend(second.seqs.iter().copied());
    support::assert_contiguous(&seqs);
    seen.extend(rest.iter().filter(|e| !e["seq"].is_null()).cloned());
    let done = seen
        .iter()
        .rfind(|e| e["type"] == "tutor_done")
        .expect("the reply ended");
    let turn = done["turn_id"].as_str().unwrap();
    assert_eq!(
        done["status"], "complete",
        "the reply kept running while nobody listened"
    );
    assert_eq!(
        done["text"].as_str().unwrap(),
        deltas(&seen, turn),
        "no delta lost or doubled"
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_reload_resumes_from_zero_with_the_whole_transcript() {
    let app = spawn_app().await;
    let mut c = app.client().await;
    c.start("async-python", None).await;
    c.turn("Sync waits for each call to complete before it moves on.")
        .await;
    let head = *c.seqs.last().unwrap();
    let sid = app.store.list_sessions(&local(&app).await).await.unwrap()[0]
        .id
        .to_string();
    drop(c);
    let mut reloaded = app.client().await;
    reloaded
        .send(json!({"type": "resume", "session_id": sid, "last_seq": 0}))
        .await;
    let replay = reloaded.until("resumed").await;
    support::assert_contiguous(&reloaded.seqs);
    assert_eq!(*reloaded.seqs.last().unwrap(), head);
    assert_eq!(replay[0]["type"], "session");
    let ack = find(&replay, "learner_ack").unwrap();
    assert_eq!(
        ack["text"],
        "Sync waits for each call to complete before it moves on."
    );
    assert_eq!(replay.last().unwrap()["head_seq"], head);
    // And the conversation goes on from there.
    let next = reloaded
        .turn("Async lets the worker attend to other tasks while it waits.")
        .await;
    assert!(find(&next, "tutor_done").is_some());
    app.stop().await.unwrap();
}

async fn local(app: &support::TestApp) -> klover_store::LearnerId {
    app.store
        .find_learner_by_name("local")
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn stop_mid_reply_keeps_the_partial_text_and_the_session_goes_on() {
    let app = spawn_app_with(paced(300), klover_server::TutorVoice::Offline).await;
    let mut c = app.client().await;
    let opened = c.start("async-python", None).await;
    let sid = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    c.say("Sync waits for the call to finish before moving on; async does other work meanwhile.")
        .await;
    let mut events = c.until("tutor_delta").await;
    c.send(json!({"type": "stop"})).await;
    events.extend(c.until("progress").await);
    let done = events.iter().find(|e| e["type"] == "tutor_done").unwrap();
    assert_eq!(done["status"], "partial");
    let turn = done["turn_id"].as_str().unwrap();
    let said = deltas(&events, turn);
    assert!(!said.is_empty());
    assert_eq!(done["text"].as_str().unwrap(), said);
    let stored = app.store.turns(&sid).await.unwrap();
    let last = stored.last().unwrap();
    assert_eq!(last.status, klover_store::TurnStatus::Partial);
    assert_eq!(last.text, said);
    let next = c
        .turn("The CPU has nothing to do while it waits for the network.")
        .await;
    assert_eq!(find(&next, "tutor_done").unwrap()["status"], "complete");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn shutdown_keeps_a_running_reply_as_partial_and_closes_sockets_with_1001() {
    let mut settings = paced(2000);
    settings.shutdown_grace_ms = 100;
    let app = spawn_app_with(settings, klover_server::TutorVoice::Offline).await;
    let mut c: WsClient = app.client().await;
    let opened = c.start("async-python", None).await;
    let sid = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    c.say("Sync waits for the call to finish before moving on; async does other work meanwhile.")
        .await;
    c.until("tutor_delta").await;
    let stopping = tokio::spawn(app.stop_keeping_db());
    let done = c.until("tutor_done").await.pop().unwrap();
    assert_eq!(done["status"], "partial");
    assert!(matches!(c.closed().await, Closed::Code(1001, _)));
    let (result, db) = stopping.await.unwrap();
    result.unwrap();
    let turns = db.reopen().await.turns(&sid).await.unwrap();
    let last = turns.last().unwrap();
    assert_eq!(last.status, klover_store::TurnStatus::Partial);
    assert_eq!(last.text, done["text"].as_str().unwrap());
}

#[tokio::test]
async fn a_message_sent_while_the_server_shuts_down_is_refused_and_not_stored() {
    let mut settings = paced(500);
    settings.shutdown_grace_ms = 5000;
    let app = spawn_app_with(settings, klover_server::TutorVoice::Offline).await;
    let addr = app.addr;
    let (mut busy, mut other): (WsClient, WsClient) = (app.client().await, app.client().await);
    busy.start("async-python", None).await;
    let opened = other.start("async-python", None).await;
    let sid = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    // A running reply holds the shutdown in its grace period.
    busy.say(
        "Sync waits for the call to finish before moving on; async does other work meanwhile.",
    )
    .await;
    busy.until("tutor_delta").await;
    let stopping = tokio::spawn(app.stop_keeping_db());
    // The shutdown has begun once the listener refuses connections.
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    other.say("Async does other work while it waits.").await;
    let refused = other.until("error").await.pop().unwrap();
    assert_eq!(refused["code"], "shutting_down", "{refused}");
    assert!(refused["seq"].is_null());
    // The running reply still ends, then every socket closes with 1001.
    assert_eq!(
        busy.until("tutor_done").await.pop().unwrap()["status"],
        "complete"
    );
    assert!(matches!(other.closed().await, Closed::Code(1001, _)));
    let (result, db) = stopping.await.unwrap();
    result.unwrap();
    let stored = db.reopen().await.turns(&sid).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|t| t.role != klover_store::TurnRole::Learner),
        "nothing of the refused message is stored: {stored:?}"
    );
}

/// Closes I/O-bound vs CPU-bound (the seed's fourth line), which moves on to the next
/// concept unlocked.
const CLOSES_IO_VS_CPU: &str = "Async makes sense when it is I/O-bound. Since it is waiting on \
    something, it can attend to something else. Async would not help the other as it is \
    literally doing the job itself and has to take time to crunch out the numbers.";

#[tokio::test]
async fn stop_during_a_concepts_closing_still_leaves_the_next_question() {
    let app = spawn_app_with(paced(300), klover_server::TutorVoice::Offline).await;
    let mut c = app.client().await;
    let opened = c.start("async-python", Some("io-vs-cpu")).await;
    let sid = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    c.say(CLOSES_IO_VS_CPU).await;
    let mut events = c.until("tutor_delta").await;
    c.send(json!({"type": "stop"})).await;
    events.extend(c.until("progress").await);
    let dones: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "tutor_done")
        .collect();
    assert_eq!(dones.len(), 2, "the closing and the opening: {events:?}");
    assert_eq!(dones[0]["move"], "advance");
    assert_eq!(dones[0]["status"], "partial", "the stop cut the closing");
    assert_eq!(dones[1]["move"], "ask");
    assert_eq!(
        dones[1]["status"], "complete",
        "the next question is never cut"
    );
    let question = dones[1]["text"].as_str().unwrap();
    assert!(question.ends_with('?'), "{question}");
    let stored = app.store.turns(&sid).await.unwrap();
    assert_eq!(
        stored.last().unwrap().text,
        question,
        "stored as its own turn"
    );
    app.stop().await.unwrap();
}
