//! The owner of a session killed with SIGKILL in the middle of a reply: once its lease runs
//! out, the other instance finishes the acknowledged message and the session carries on
//! there, through the same balancer.

use crate::cluster::{Cluster, learner_turns, message, resume, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_killed_mid_reply_the_other_instance_answers_and_carries_on() {
    let mut cluster = Cluster::start().await;
    let mut on_a = cluster.client_on("a").await;
    let (session, opening) = start(&mut on_a).await;
    let head = opening
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .max()
        .unwrap();
    let mut on_b = cluster.client_on("b").await;
    resume(&mut on_b, &session, head).await;

    message(&mut on_a, "m-1", "Threads share one memory.").await;
    // a is in the middle of its reply (b has seen part of it), and dies.
    on_b.until("tutor_delta").await;
    cluster.kill9("a");
    drop(on_a);

    // b takes the session over and closes the acknowledged message's reply.
    let closing = on_b.until("progress").await;
    let done = closing.iter().find(|e| e["type"] == "tutor_done").unwrap();
    assert_eq!(done["status"], "partial", "{}", cluster.logs());
    // Nothing lost or doubled on b's socket.
    let expected: Vec<u64> = (head + 1..=head + on_b.seqs.len() as u64).collect();
    assert_eq!(on_b.seqs, expected);

    // The learner reconnects through the balancer (only b is left) and carries on.
    let mut again = cluster.client().await;
    resume(&mut again, &session, 0).await;
    let next = again.turn("Processes each get their own.").await;
    let done = next.iter().find(|e| e["type"] == "tutor_done").unwrap();
    assert_eq!(done["status"], "complete", "{}", cluster.logs());
    let turns = learner_turns(&mut cluster.sql().await, &session).await;
    let states: Vec<&str> = turns.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(states, ["partial", "answered"]);
    cluster.finish().await;
}
