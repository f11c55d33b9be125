//! A session answered on one instance, followed, messaged and stopped from the other.

use serde_json::{Value, json};

use crate::cluster::{Cluster, learner_turns, message, reply_text, resume, start};

/// The sequenced frames among `events`, as `(seq, frame)`.
fn sequenced(events: &[Value]) -> Vec<(u64, Value)> {
    events
        .iter()
        .filter_map(|e| e["seq"].as_u64().map(|s| (s, e.clone())))
        .collect()
}

fn head(events: &[Value]) -> u64 {
    events
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .max()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_on_each_instance_sees_the_same_live_reply() {
    let cluster = Cluster::start().await;
    let mut on_a = cluster.client_on("a").await;
    let (session, opening) = start(&mut on_a).await;
    let head = head(&opening);
    let mut on_b = cluster.client_on("b").await;
    resume(&mut on_b, &session, head).await;

    on_a.say("Threads share one memory; processes each get their own.")
        .await;
    // b hears the reply while a is still streaming it: live, not after the fact.
    let mut from_b = on_b.until("tutor_delta").await;
    let turn = from_b.last().unwrap()["turn_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status,): (String,) = sqlx::query_as("SELECT status FROM turns WHERE id = $1")
        .bind(&turn)
        .fetch_one(&mut cluster.sql().await)
        .await
        .unwrap();
    assert_eq!(
        status, "streaming",
        "b followed the reply while a streamed it"
    );
    from_b.extend(on_b.until("progress").await);
    let from_a = on_a.until("progress").await;

    // The same frames, seq for seq, from the learner's ack to the closing progress.
    let (a, b) = (sequenced(&from_a), sequenced(&from_b));
    assert_eq!(b, a, "{}", cluster.logs());
    let done = from_b.iter().find(|e| e["type"] == "tutor_done").unwrap();
    assert_eq!(done["text"], reply_text());
    assert_eq!(done["status"], "complete");
    // Nothing lost or doubled on b: every seq after the resume point, once, in order.
    let expected: Vec<u64> = (head + 1..=head + b.len() as u64).collect();
    assert_eq!(on_b.seqs, expected);
    cluster.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_for_a_session_answered_elsewhere_is_not_accepted_twice() {
    let cluster = Cluster::start().await;
    let mut on_a = cluster.client_on("a").await;
    let (session, opening) = start(&mut on_a).await;
    let mut on_b = cluster.client_on("b").await;
    resume(&mut on_b, &session, head(&opening)).await;

    message(&mut on_a, "m-1", "Threads share one memory.").await;
    let acked = on_b.until("learner_ack").await;
    let first = acked.last().unwrap()["turn_id"].clone();
    // While a answers, b refuses a new message for the session: nothing stored.
    message(&mut on_b, "m-2", "Processes do not share it.").await;
    let refused = on_b.until("error").await;
    assert_eq!(refused.last().unwrap()["code"], "reply_in_progress");
    // The same message sent again through b is acknowledged as the one stored.
    message(&mut on_b, "m-1", "Threads share one memory.").await;
    let again = on_b.until("learner_ack").await;
    assert_eq!(again.last().unwrap()["turn_id"], first);
    on_a.until("progress").await;
    on_b.until("progress").await;
    let mut sql = cluster.sql().await;
    let turns = learner_turns(&mut sql, &session).await;
    assert_eq!(turns, vec![("m-1".to_owned(), "answered".to_owned())]);

    // Once a's reply is closed, b takes the next message and answers it.
    message(&mut on_b, "m-2", "Processes do not share it.").await;
    let answered = on_b.until("progress").await;
    let done = answered.iter().find(|e| e["type"] == "tutor_done").unwrap();
    assert_eq!(done["status"], "complete", "{}", cluster.logs());
    let turns = learner_turns(&mut sql, &session).await;
    let ids: Vec<&str> = turns.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["m-1", "m-2"]);
    cluster.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_from_the_other_instance_stops_the_reply() {
    let cluster = Cluster::start().await;
    let mut on_a = cluster.client_on("a").await;
    let (session, opening) = start(&mut on_a).await;
    let mut on_b = cluster.client_on("b").await;
    resume(&mut on_b, &session, head(&opening)).await;

    on_a.say("Threads share one memory.").await;
    on_b.until("tutor_delta").await;
    let sent = std::time::Instant::now();
    on_b.send(json!({"type": "stop"})).await;
    let on_b_done = on_b.until("tutor_done").await;
    // A figure for docs/benchmarks.md ("Several instances"), never asserted.
    eprintln!(
        "stop across instances: tutor_done on b {} ms after stop was sent there",
        sent.elapsed().as_millis()
    );
    for events in [on_a.until("tutor_done").await, on_b_done] {
        let done = events.last().unwrap();
        assert_eq!(done["status"], "partial", "{}", cluster.logs());
        let said = done["text"].as_str().unwrap();
        assert!(said.len() < reply_text().len(), "the reply was cut: {said}");
    }
    cluster.finish().await;
}
