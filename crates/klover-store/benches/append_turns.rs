//! Turns appended per second on SQLite and PostgreSQL (results in docs/benchmarks.md).
//!
//! `cargo bench -p klover-store --bench append_turns`
//!
//! - `learner_turn`: one `append_learner_turn` (a committed transaction) into one session.
//! - `tutor_reply`: a whole streamed reply: begin, 4 text deltas, finish (6 writes).
//! - `tutor_reply_with_events`: the same reply through `append_tutor_delta`, each delta
//!   committed together with its websocket event (what a live session does).
//! - `tutor_reply_whole`: the same reply known in full (the offline voice):
//!   `append_whole_tutor_turn` stores the finished turn, its 4 delta events, `tutor_done`
//!   and `progress` in one transaction.
//! - `learner_turn_8_sessions`: 8 sessions appending at once through one store; the time
//!   is per turn, so elements/s is the aggregate rate.
//!
//! PostgreSQL at 127.0.0.1:5432 (trust auth) is required, as for the tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use klover_store::{SessionId, Store, TurnStatus};
use tokio::runtime::Runtime;

static NEXT: AtomicU64 = AtomicU64::new(0);

fn next_id() -> String {
    format!("c-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn sessions(store: &Store, n: usize) -> Vec<SessionId> {
    let who = common::learner(store, &next_id()).await;
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(common::session(store, &who).await.id);
    }
    ids
}

fn bench_backend(c: &mut Criterion, rt: &Runtime, name: &str, db: &common::TestDb) {
    let store = &db.store;
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(8));

    let one = rt.block_on(sessions(store, 1)).remove(0);
    group.bench_function("learner_turn", |b| {
        b.iter(|| {
            rt.block_on(store.append_learner_turn(&one, &next_id(), "Everything else pauses."))
                .unwrap()
        })
    });

    let replies = rt.block_on(sessions(store, 1)).remove(0);
    group.bench_function("tutor_reply", |b| {
        b.iter(|| {
            rt.block_on(async {
                let turn = store.begin_tutor_turn(&replies).await.unwrap();
                for delta in [
                    "That's exactly why ",
                    "CPU-bound work ",
                    "blocks the ",
                    "event loop.",
                ] {
                    store.append_tutor_text(&turn.id, delta).await.unwrap();
                }
                store
                    .finish_tutor_turn(&turn.id, TurnStatus::Complete, None, None)
                    .await
                    .unwrap()
            })
        })
    });

    let with_events = rt.block_on(sessions(store, 1)).remove(0);
    group.bench_function("tutor_reply_with_events", |b| {
        b.iter(|| {
            rt.block_on(async {
                let turn = store.begin_tutor_turn(&with_events).await.unwrap();
                for delta in [
                    "That's exactly why ",
                    "CPU-bound work ",
                    "blocks the ",
                    "event loop.",
                ] {
                    let frame = format!(r#"{{"type":"tutor_delta","text":"{delta}"}}"#);
                    store
                        .append_tutor_delta(&with_events, &turn.id, delta, &frame)
                        .await
                        .unwrap();
                }
                store
                    .finish_tutor_turn(&turn.id, TurnStatus::Complete, None, None)
                    .await
                    .unwrap()
            })
        })
    });

    let whole = rt.block_on(sessions(store, 1)).remove(0);
    let deltas = [
        "That's exactly why ",
        "CPU-bound work ",
        "blocks the ",
        "event loop.",
    ];
    let mut events: Vec<String> = deltas
        .iter()
        .map(|d| format!(r#"{{"type":"tutor_delta","text":"{d}"}}"#))
        .collect();
    events.push(r#"{"type":"tutor_done"}"#.into());
    events.push(r#"{"type":"progress"}"#.into());
    let text = deltas.concat();
    group.bench_function("tutor_reply_whole", |b| {
        b.iter(|| {
            rt.block_on(store.append_whole_tutor_turn(
                &whole,
                &klover_store::TurnId::new(),
                &text,
                TurnStatus::Complete,
                None,
                &events,
            ))
            .unwrap()
        })
    });

    let many = rt.block_on(sessions(store, 8));
    group.bench_function("learner_turn_8_sessions", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let per_session = iters.div_ceil(8);
                let start = Instant::now();
                let tasks: Vec<_> = many
                    .iter()
                    .map(|s| {
                        let (store, s) = (store.clone(), s.clone());
                        tokio::spawn(async move {
                            for _ in 0..per_session {
                                store
                                    .append_learner_turn(&s, &next_id(), "Async helps I/O.")
                                    .await
                                    .unwrap();
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                // Time per turn, as if `iters` turns were appended.
                start
                    .elapsed()
                    .mul_f64(iters as f64 / (per_session * 8) as f64)
            })
        })
    });
    group.finish();
}

fn append_turns(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let sqlite = rt.block_on(common::TestDb::sqlite());
    bench_backend(c, &rt, "sqlite", &sqlite);
    rt.block_on(sqlite.finish());
    let postgres = rt.block_on(common::TestDb::postgres());
    bench_backend(c, &rt, "postgres", &postgres);
    rt.block_on(postgres.finish());
}

criterion_group!(benches, append_turns);
criterion_main!(benches);
