//! LLM mode against the fake OpenAI-compatible server: deltas arrive in order and the
//! reply is stored whole; a stop closes the upstream request and keeps the partial text;
//! an upstream failure tells the learner and keeps what was said.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "server_llm/inbox.rs"]
mod inbox;
#[path = "server_llm/long.rs"]
mod long;
#[path = "server_llm/slices.rs"]
mod slices;
#[path = "server_llm/speculate.rs"]
mod speculate;
mod support;

use std::time::Duration;

use klover_fake_llm::{Failure, FakeLlm, Reply};
use klover_llm::{ApiKey, LlmConfig};
use serde_json::{Value, json};
use support::{find, session_id, spawn_app_with, test_settings};

const CHUNKS: [&str; 7] = [
    "Good ",
    "instinct. ",
    "What ",
    "decides ",
    "which ",
    "task ",
    "runs?",
];
const LEARNER: &str = "Sounds like something delegates the tasks to a worker.";

async fn llm_app(fake: &FakeLlm) -> support::TestApp {
    let config = LlmConfig::new(fake.base_url(), ApiKey::from(""), "fake-model");
    let voice = klover_server::TutorVoice::llm(config).unwrap();
    spawn_app_with(test_settings(), voice).await
}

/// Judge requests (not streamed) get a verdict the judge cannot use, so the rubric
/// decides; streamed requests get `voice`.
fn script(fake: &FakeLlm, voice: Reply) {
    fake.set_responder(move |req| {
        if req.is_stream() {
            voice.clone()
        } else {
            Reply::text("not a verdict")
        }
    });
}

fn deltas(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["type"] == "tutor_delta")
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect()
}

/// With the LLM voice a concept's closing makes its review cards while the reply streams
/// (its first token does not wait for them); they are stored before the closing events
/// (`concept_advanced`) go out, as with the offline voice.
#[tokio::test]
async fn a_concepts_review_cards_are_stored_before_its_closing_events() {
    let fake = FakeLlm::start().await;
    script(
        &fake,
        Reply::chunks(CHUNKS).chunk_interval(Duration::from_millis(20)),
    );
    let app = llm_app(&fake).await;
    let mut c = app.client().await;
    c.start("async-python", None).await;
    let learner = app
        .store
        .find_learner_by_name("local")
        .await
        .unwrap()
        .unwrap()
        .id;
    for line in support::seed_lines().iter().take(3) {
        let events = c.turn(line).await;
        let Some(advanced) = events.iter().position(|e| e["type"] == "concept_advanced") else {
            assert!(app.store.review_cards(&learner).await.unwrap().is_empty());
            continue;
        };
        let done = events
            .iter()
            .position(|e| e["type"] == "tutor_done")
            .unwrap();
        assert!(done < advanced, "the reply ends before the closing events");
        let cards = app.store.review_cards(&learner).await.unwrap();
        let aha = cards
            .iter()
            .find(|c| c.checkpoint.as_str() == "io-leaves-cpu-idle")
            .expect("the aha moment is a card by the time concept_advanced arrives");
        assert_eq!(aha.source, klover_store::CardSource::Aha);
        app.stop().await.unwrap();
        return;
    }
    panic!("the first three seed lines finish the first concept");
}

#[tokio::test]
async fn in_llm_mode_deltas_stream_in_order_and_the_reply_is_stored_whole() {
    let fake = FakeLlm::start().await;
    script(
        &fake,
        Reply::chunks(CHUNKS)
            .chunk_interval(Duration::from_millis(30))
            .usage(120, 9),
    );
    let app = llm_app(&fake).await;
    let mut c = app.client().await;
    let opened = c.start("async-python", None).await;
    assert_eq!(find(&opened, "session").unwrap()["voice"], "llm");
    let sid = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    let events = c.turn(LEARNER).await;
    let got = deltas(&events).concat();
    assert_eq!(got, CHUNKS.concat(), "every delta, in order");
    assert!(deltas(&events).len() >= 2, "streamed, not sent at once");
    let done = find(&events, "tutor_done").unwrap();
    assert_eq!(done["text"], CHUNKS.concat());
    assert_eq!(done["status"], "complete");
    let last = app.store.turns(&sid).await.unwrap().pop().unwrap();
    assert_eq!(last.text, CHUNKS.concat());
    assert_eq!(last.status, klover_store::TurnStatus::Complete);
    assert_eq!(last.usage.map(|u| u.completion_tokens), Some(9));
    // The learner's words went to the model only inside a user message.
    let stream = fake.requests().into_iter().find(|r| r.is_stream()).unwrap();
    let msgs = stream.messages();
    assert!(
        msgs.iter()
            .any(|(role, text)| role == "user" && text.contains(LEARNER))
    );
    assert!(
        !msgs
            .iter()
            .any(|(role, text)| role == "system" && text.contains(LEARNER))
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_stop_while_the_judge_is_thinking_ends_the_turn_and_drops_the_judge_request() {
    let fake = FakeLlm::start().await;
    fake.set_responder(move |req| {
        if req.is_stream() {
            Reply::chunks(CHUNKS)
        } else {
            Reply::text("{}").fail(Failure::HangBeforeHeaders)
        }
    });
    let app = llm_app(&fake).await;
    let mut c = app.client().await;
    c.start("async-python", None).await;
    c.say(LEARNER).await;
    let judge = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(r) = fake.requests().into_iter().find(|r| !r.is_stream()) {
                break r;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the judge was asked");
    c.send(json!({"type": "stop"})).await;
    // Without the stop reaching the judge, this waits for the 30 s first-token timeout.
    let events = tokio::time::timeout(Duration::from_secs(10), c.until("progress"))
        .await
        .expect("the turn ended after the stop");
    let done = find(&events, "tutor_done").unwrap();
    assert_ne!(done["status"], "complete", "{done}");
    tokio::time::timeout(Duration::from_secs(5), fake.wait_disconnect(judge.index))
        .await
        .expect("the judge's upstream request was dropped");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn stop_mid_llm_reply_closes_the_upstream_request_and_keeps_the_partial_text() {
    let fake = FakeLlm::start().await;
    script(
        &fake,
        Reply::chunks(CHUNKS).chunk_interval(Duration::from_millis(400)),
    );
    let app = llm_app(&fake).await;
    let mut c = app.client().await;
    c.start("async-python", None).await;
    c.say(LEARNER).await;
    let mut events = c.until("tutor_delta").await;
    c.send(json!({"type": "stop"})).await;
    events.extend(c.until("progress").await);
    let done = find(&events, "tutor_done").unwrap();
    assert_eq!(done["status"], "partial");
    let said = deltas(&events).concat();
    assert!(
        !said.is_empty() && said.len() < CHUNKS.concat().len(),
        "{said}"
    );
    assert_eq!(done["text"], Value::from(said));
    let stream = fake.requests().into_iter().find(|r| r.is_stream()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), fake.wait_disconnect(stream.index))
        .await
        .expect("the upstream request was dropped");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn an_upstream_failure_tells_the_learner_and_keeps_what_was_said() {
    let fake = FakeLlm::start().await;
    script(&fake, Reply::chunks(CHUNKS).fail(Failure::CloseAfter(2)));
    let app = llm_app(&fake).await;
    let mut c = app.client().await;
    c.start("async-python", None).await;
    let events = c.turn(LEARNER).await;
    let error = find(&events, "error").expect("the learner is told");
    assert_eq!(error["code"], "upstream_failed");
    let done = find(&events, "tutor_done").unwrap();
    assert_eq!(done["status"], "partial");
    assert_eq!(done["text"], CHUNKS[..2].concat());
    // The session goes on.
    script(
        &fake,
        Reply::text("Exactly. And what does the CPU do meanwhile?"),
    );
    let next = c.turn("The CPU has nothing to do while it waits.").await;
    assert_eq!(find(&next, "tutor_done").unwrap()["status"], "complete");
    app.stop().await.unwrap();
}
