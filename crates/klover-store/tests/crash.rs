//! A process writing turns is killed with SIGKILL; on reopening, every learner turn it
//! acknowledged is there, in order, and its unfinished replies are closed as partial.
//! Runs on SQLite (a temp file) and PostgreSQL (a fresh database; required, never skipped).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use common::{TestDb, learner, session};
use klover_store::{Store, TurnRole, TurnStatus};
use tokio::io::{AsyncBufReadExt, BufReader};

/// How many acks to wait for before pulling the plug.
const ACKS_BEFORE_KILL: usize = 40;

async fn every_acknowledged_turn_survives_sigkill(db: TestDb) {
    let ada = learner(&db.store, "ada").await;
    let s = session(&db.store, &ada).await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_klover-store-turn-writer"))
        .arg(&db.url)
        .arg(s.id.as_str())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = Vec::new();
    while acked.len() < ACKS_BEFORE_KILL {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the writer died before the kill");
        acked.push(line.strip_prefix("ack ").unwrap().to_owned());
    }
    child.start_kill().unwrap(); // SIGKILL: no destructor, no flush, no goodbye
    // Acks already in the pipe were printed after their commit: they count too.
    while let Some(line) = lines.next_line().await.unwrap() {
        acked.push(line.strip_prefix("ack ").unwrap().to_owned());
    }
    let status = child.wait().await.unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "the writer was killed by SIGKILL: {status:?}"
    );

    let reopened = Store::connect(&db.url).await.unwrap();
    reopened.recover_streaming_turns().await.unwrap();
    let turns = reopened.turns(&s.id).await.unwrap();
    let stored: Vec<&str> = turns
        .iter()
        .filter(|t| t.role == TurnRole::Learner)
        .filter_map(|t| t.client_message_id.as_deref())
        .collect();
    assert!(
        stored.len() >= acked.len(),
        "{} stored, {} acked",
        stored.len(),
        acked.len()
    );
    assert_eq!(
        stored[..acked.len()],
        acked,
        "every acked turn, in order, none missing"
    );
    assert!(
        turns.iter().enumerate().all(|(k, t)| t.seq == k as i64 + 1),
        "seqs without gaps"
    );
    assert!(
        turns.iter().all(|t| t.status != TurnStatus::Streaming),
        "no reply left dangling"
    );
    assert!(
        turns.iter().any(|t| t.status == TurnStatus::Partial),
        "the cut replies became partial"
    );
    reopened.close().await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_every_acknowledged_turn_survives_sigkill() {
    every_acknowledged_turn_survives_sigkill(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_every_acknowledged_turn_survives_sigkill() {
    every_acknowledged_turn_survives_sigkill(TestDb::postgres().await).await;
}
