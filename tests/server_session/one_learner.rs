//! One learner in several sessions at once (with auth off every connection is the one
//! local learner): each session's turns update the same learner-model rows, and every
//! reply still ends `complete`. On SQLite and on PostgreSQL, where rows locked in
//! different orders by concurrent turns once meant "deadlock detected" and a failed reply.
//! This run over sockets is the end-to-end guard; it did not hit the deadlock in five runs
//! before the fix (the offline engine lists rows in nearly one order). The store's story
//! `learner_model` is the one that reproduces it: turns listing the same rows in rotating
//! orders, 10-15 of 48 failed before the fix.

use serde_json::{Value, json};

use super::db;
use super::support::{TestApp, seed_lines, spawn_app, spawn_app_on};

const SESSIONS: usize = 6;

/// One session from scratch through the seed's learner lines, begun at line `from` (so
/// the sessions are at different points and their turns touch the rows in different
/// combinations): the `status` of every `tutor_done`, and any `error` (which ends the
/// session's run).
async fn one_session(app: &TestApp, from: usize) -> (Vec<String>, Vec<Value>) {
    let mut c = app.client().await;
    c.send(json!({"type": "start", "curriculum": "async-python", "fresh": true}))
        .await;
    c.until("progress").await;
    let (mut statuses, mut errors) = (Vec::new(), Vec::new());
    let mut lines = seed_lines();
    let from = from % lines.len();
    lines.rotate_left(from);
    for line in lines {
        c.say(&line).await;
        loop {
            let e = c.next().await;
            match e["type"].as_str() {
                Some("tutor_done") => statuses.push(e["status"].as_str().unwrap_or("").to_owned()),
                Some("error") => errors.push(e),
                Some("progress") => break,
                _ => {}
            }
            if !errors.is_empty() {
                return (statuses, errors);
            }
        }
    }
    (statuses, errors)
}

async fn every_reply_of_one_learners_concurrent_sessions_is_complete(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let runs: Vec<_> = (0..SESSIONS)
        .map(|n| {
            let app = app.clone();
            tokio::spawn(async move { one_session(&app, n * 3).await })
        })
        .collect();
    let mut replies = 0;
    for (n, run) in runs.into_iter().enumerate() {
        let (statuses, errors) = run.await.unwrap();
        assert!(errors.is_empty(), "session {n}: {errors:?}");
        assert!(
            statuses.iter().all(|s| s == "complete"),
            "session {n}: {statuses:?}"
        );
        replies += statuses.len();
    }
    assert!(
        replies >= SESSIONS * seed_lines().len(),
        "{replies} replies"
    );
    let app = std::sync::Arc::into_inner(app).unwrap();
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_every_reply_of_one_learners_concurrent_sessions_is_complete() {
    every_reply_of_one_learners_concurrent_sessions_is_complete(spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_every_reply_of_one_learners_concurrent_sessions_is_complete() {
    let fresh = db::FreshDb::new(db::Backend::Postgres).await;
    every_reply_of_one_learners_concurrent_sessions_is_complete(spawn_app_on(&fresh.url).await)
        .await;
    fresh.finish().await;
}
