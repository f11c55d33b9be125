//! Group commit under SIGKILL: many learners talk at once, so one commit holds the writes
//! of several sessions (the server's own counters say so before the kill); the server is
//! killed with SIGKILL in the middle of that load, with no fault point, then restarted.
//! Every frame a client received — each `learner_ack` and every sequenced event — must be
//! in the store exactly as received: group commit acknowledges nothing before its commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::child::Server;
use crate::db::{Backend, FreshDb};
use crate::log::replay;
use crate::support::{WsClient, seed_lines};

/// Learners talking at once.
const LEARNERS: usize = 24;
/// Acknowledged messages (over all learners) before the kill.
const ACKS_BEFORE_KILL: usize = 4 * LEARNERS;

/// What one learner received before its socket died.
struct Received {
    session_id: String,
    /// Sequenced frames, in the order received (contiguous from 1).
    frames: Vec<Value>,
}

/// One learner: starts a session, then sends messages one after another (the next after
/// the previous turn's closing `progress`) until the socket dies.
async fn learner(url: String, n: usize, acks: Arc<AtomicUsize>) -> Received {
    let mut got = Received {
        session_id: String::new(),
        frames: Vec::new(),
    };
    let mut ws = WsClient::connect(&url).await.unwrap();
    ws.send(json!({"type": "start", "curriculum": "async-python"}))
        .await;
    let lines = seed_lines();
    let mut sent = 0;
    // The turn under way: `None` when the next message may go (after the opening's, then
    // each turn's closing `progress`, which follows its `tutor_done`).
    let mut turn: Option<Stage> = Some(Stage::Done);
    loop {
        if turn.is_none() {
            let id = format!("g{n}-{sent}");
            let text = &lines[(n + sent) % lines.len()];
            ws.send(json!({"type": "message", "client_id": id, "text": text}))
                .await;
            sent += 1;
            turn = Some(Stage::Sent);
        }
        let Some(v) = ws.next_within(Duration::from_secs(10)).await else {
            return got;
        };
        if let Some(seq) = v["seq"].as_u64() {
            assert_eq!(
                seq,
                got.frames.len() as u64 + 1,
                "learner {n}: seqs arrive contiguous: {v}"
            );
            got.frames.push(v.clone());
        }
        match v["type"].as_str().unwrap_or("") {
            "session" => got.session_id = v["session_id"].as_str().unwrap().to_owned(),
            "learner_ack" => {
                acks.fetch_add(1, Ordering::Relaxed);
            }
            "tutor_done" => turn = Some(Stage::Done),
            "progress" if turn == Some(Stage::Done) => turn = None,
            "error" => panic!("learner {n}: {v}"),
            _ => {}
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Sent,
    Done,
}

/// The value of a counter in a Prometheus text page.
fn counter(page: &str, name: &str) -> u64 {
    page.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no `{name}` in /metrics:\n{page}")) as u64
}

pub async fn every_received_ack_is_stored_after_a_kill_under_load(backend: Backend) {
    let db = FreshDb::new(backend).await;
    let server = Server::start(&db.url, &[]).await;
    let acks = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..LEARNERS)
        .map(|n| tokio::spawn(learner(server.ws_url(), n, acks.clone())))
        .collect();
    let waited = tokio::time::timeout(crate::child::HANG_GUARD, async {
        while acks.load(Ordering::Relaxed) < ACKS_BEFORE_KILL {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "no load: {:?} acks",
        acks.load(Ordering::Relaxed)
    );
    let page = reqwest::get(format!("http://{}/metrics", server.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let killed = server.kill9();
    let commits = counter(&page, "klover_store_commits_total");
    let grouped = counter(&page, "klover_store_grouped_writes_total");
    eprintln!(
        "group commit: {backend:?} {grouped} grouped writes in {commits} commits before the kill"
    );
    if backend == Backend::Sqlite {
        assert!(
            grouped > commits,
            "with {LEARNERS} learners at once a commit holds several writes: \
             {grouped} grouped writes, {commits} commits\n{killed}"
        );
    } else {
        // PostgreSQL: each writer commits its own batch, in parallel (group.rs).
        assert!(grouped > 0, "writes went through the write path\n{killed}");
    }

    let mut received = Vec::new();
    for t in tasks {
        received.push(t.await.unwrap());
    }
    let server = Server::start(&db.url, &[]).await;
    let store = klover_store::Store::connect(&db.url).await.unwrap();
    let mut checked = 0;
    for (n, got) in received.iter().enumerate() {
        if got.session_id.is_empty() {
            continue;
        }
        let log = replay(&server.ws_url(), &got.session_id).await;
        for f in &got.frames {
            let seq = f["seq"].as_u64().unwrap() as usize;
            assert_eq!(
                log.get(seq - 1),
                Some(f),
                "learner {n}: a frame received before the kill is stored as received"
            );
        }
        let session = klover_store::SessionId::parse(&got.session_id).unwrap();
        let turns = store.turns(&session).await.unwrap();
        for ack in got.frames.iter().filter(|f| f["type"] == "learner_ack") {
            let id = ack["client_id"].as_str().unwrap();
            assert!(
                turns
                    .iter()
                    .any(|t| t.client_message_id.as_deref() == Some(id)),
                "learner {n}: acknowledged message {id} is stored"
            );
            checked += 1;
        }
    }
    assert!(checked >= ACKS_BEFORE_KILL, "{checked} acks checked");
    store.close().await;
    drop(server);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_group_commit_acknowledges_nothing_before_its_commit() {
    every_received_ack_is_stored_after_a_kill_under_load(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_group_commit_acknowledges_nothing_before_its_commit() {
    every_received_ack_is_stored_after_a_kill_under_load(Backend::Postgres).await;
}
