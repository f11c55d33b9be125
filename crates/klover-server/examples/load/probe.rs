//! The disk's commit rate, measured by the same process before the table's runs.

use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};

/// Durable single-row commits per second on this disk, straight through sqlx: a plain
/// SQLite file with the store's pragmas (WAL, `synchronous = FULL`), one connection, one
/// autocommit INSERT of a small row per transaction, for about `secs` seconds. No pool,
/// no group commit: the rate the disk's fsync allows one writer.
///
/// The WAL is sized first. A new WAL grows with every commit, and an fsync that extends
/// a file also commits the file system's journal: traced here, a fresh WAL was still
/// growing after 835 commits (3.4 MB, the whole 3 s on a loaded disk) and gave a third
/// of the rate of the store's WAL, which wraps around within its first 130 KB. A
/// server's WAL is long sized; so is this one, by an 8 MB transaction checkpointed
/// before the clock starts (the next commit writes from the WAL's start again).
pub async fn sqlite_single_row_commits(secs: u64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = SqliteConnectOptions::new()
        .filename(dir.path().join("probe.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .connect()
        .await
        .unwrap();
    for sql in [
        "CREATE TABLE probe (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
        "CREATE TABLE ballast (b BLOB NOT NULL)",
        "INSERT INTO ballast (b) VALUES (zeroblob(8000000))",
        "PRAGMA wal_checkpoint(RESTART)",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    let t0 = Instant::now();
    let mut n = 0u64;
    while t0.elapsed() < Duration::from_secs(secs) {
        sqlx::query("INSERT INTO probe (body) VALUES (?)")
            .bind("{}")
            .execute(&mut conn)
            .await
            .unwrap();
        n += 1;
    }
    let rate = n as f64 / t0.elapsed().as_secs_f64();
    conn.close().await.unwrap();
    rate
}

/// Single-row commits per second through the store (one `append_event` each: a counter
/// UPDATE and an INSERT in one transaction, fsynced), for about `secs` seconds. Since
/// group commit each goes through the committer task, so alone it costs a task hop more
/// than the disk: the store path's rate, not the disk's.
pub async fn store_append_rate(secs: u64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/probe.db?mode=rwc", dir.path().display());
    let store = klover_store::Store::connect(&url).await.unwrap();
    let learner = store.create_learner("probe").await.unwrap();
    let session = store
        .create_session(&klover_store::NewSession {
            learner: learner.id.clone(),
            curriculum: klover_domain::CurriculumId::parse("async-python").unwrap(),
            curriculum_version: "1".into(),
            concept: klover_domain::ConceptId::parse("sync-vs-async").unwrap(),
            mode: klover_store::Mode::Offline,
            kind: klover_store::SessionKind::Learn,
        })
        .await
        .unwrap();
    let t0 = Instant::now();
    let mut n = 0u64;
    while t0.elapsed() < Duration::from_secs(secs) {
        store.append_event(&session.id, "{}").await.unwrap();
        n += 1;
    }
    let rate = n as f64 / t0.elapsed().as_secs_f64();
    store.close().await;
    rate
}
