//! Coalesced deltas (issue 17): an LLM reply is relayed delta by delta but stored in a
//! handful of slices, whatever its number of deltas; a socket that resumes mid-reply
//! still gets every delta, once, in seq order.

use std::time::Duration;

use klover_fake_llm::{FakeLlm, Reply};
use serde_json::json;

use super::{LEARNER, deltas, llm_app, script};
use crate::support::{WsClient, find, session_id};

/// Write transactions (one commit each) of one LLM turn whose reply has `n` deltas
/// `interval` apart, and the most it may take: ten, plus one per slice the timer adds when
/// a loaded machine makes the turn last longer than the five timed slices cover (100 ms,
/// then doubling to 1.6 s: 3.1 s; then one every 1.6 s, see `slices.rs`). Checks the reply
/// arrived and was stored whole.
async fn commits_for_a_reply_of(n: usize, interval: Duration) -> (u64, u64) {
    let words: Vec<String> = (0..n).map(|i| format!("w{i} ")).collect();
    let fake = FakeLlm::start().await;
    script(&fake, Reply::chunks(words.clone()).chunk_interval(interval));
    let app = llm_app(&fake).await;
    let mut c = app.client().await;
    let opened = c.start("async-python", None).await;
    let sid = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    let before = app.store.write_transactions();
    let started = std::time::Instant::now();
    let events = c.turn(LEARNER).await;
    let elapsed = started.elapsed();
    let commits = app.store.write_transactions() - before;
    let late = elapsed.saturating_sub(Duration::from_millis(3100));
    let allowed = 10 + late.as_millis().div_ceil(1600) as u64;
    assert_eq!(
        deltas(&events).concat(),
        words.concat(),
        "every delta, in order"
    );
    let done = find(&events, "tutor_done").unwrap();
    assert_eq!(done["status"], "complete");
    // The log holds what was sent live: same seqs, same frames.
    let live: Vec<_> = events.iter().filter(|e| e["seq"].is_u64()).collect();
    let first = live[0]["seq"].as_u64().unwrap();
    let stored = app
        .store
        .events_since(&sid, i64::try_from(first).unwrap() - 1)
        .await
        .unwrap();
    assert_eq!(stored.len(), live.len(), "one stored event per frame sent");
    for (s, l) in stored.iter().zip(&live) {
        let mut v: serde_json::Value = serde_json::from_str(&s.payload).unwrap();
        v["seq"] = json!(s.seq);
        assert_eq!(&v, *l);
    }
    let reply = app.store.turns(&sid).await.unwrap().pop().unwrap();
    assert_eq!(reply.text, words.concat());
    app.stop().await.unwrap();
    (commits, allowed)
}

#[tokio::test]
async fn a_reply_of_500_deltas_costs_at_most_ten_commits_for_the_whole_turn() {
    let (commits, allowed) = commits_for_a_reply_of(500, Duration::ZERO).await;
    assert!(commits <= allowed, "{commits} commits for one LLM turn");
}

#[tokio::test]
async fn a_reply_of_120_spaced_deltas_costs_at_most_ten_commits_for_the_whole_turn() {
    let (commits, allowed) = commits_for_a_reply_of(120, Duration::from_millis(3)).await;
    assert!(commits <= allowed, "{commits} commits for one LLM turn");
}

#[tokio::test]
async fn a_socket_resuming_mid_reply_gets_the_deltas_not_stored_yet_once_in_order() {
    let words: Vec<String> = (0..30).map(|i| format!("w{i} ")).collect();
    let fake = FakeLlm::start().await;
    script(
        &fake,
        Reply::chunks(words.clone()).chunk_interval(Duration::from_millis(20)),
    );
    let app = llm_app(&fake).await;
    let mut a = app.client().await;
    let opened = a.start("async-python", None).await;
    let sid = session_id(&opened);
    a.say(LEARNER).await;
    let upto_ack = a.until("learner_ack").await;
    let ack_seq = find(&upto_ack, "learner_ack").unwrap()["seq"]
        .as_u64()
        .unwrap();
    // A few deltas in: the first slice is not stored yet (100 ms after the reply began).
    a.until("tutor_delta").await;
    let mut b = WsClient::connect(&app.ws_url()).await.unwrap();
    b.send(json!({"type": "resume", "session_id": sid, "last_seq": ack_seq}))
        .await;
    let seen = b.until("progress").await;
    let seqs: Vec<u64> = seen.iter().filter_map(|e| e["seq"].as_u64()).collect();
    let expected: Vec<u64> = (ack_seq + 1..=ack_seq + seqs.len() as u64).collect();
    assert_eq!(
        seqs, expected,
        "contiguous from the resume point: {seen:#?}"
    );
    assert_eq!(deltas(&seen).concat(), words.concat(), "every delta once");
    let done = find(&seen, "tutor_done").unwrap();
    assert_eq!(done["text"], words.concat());
    a.until("progress").await;
    app.stop().await.unwrap();
}
