//! Many writers at once: every turn and event lands once, in its own session, in order.

use std::collections::BTreeSet;

use klover_store::{TurnRole, TurnStatus};

use crate::common::{TestDb, learner, session};

const SESSIONS: usize = 8;
const EXCHANGES: usize = 15;

pub async fn concurrent_sessions_lose_and_mix_no_turns(db: &TestDb) {
    let mut tasks = Vec::new();
    for n in 0..SESSIONS {
        let store = db.store.clone();
        let who = learner(&store, &format!("learner-{n}")).await;
        let s = session(&store, &who).await;
        tasks.push(tokio::spawn(async move {
            for i in 0..EXCHANGES {
                store
                    .append_learner_turn(&s.id, &format!("c-{i}"), &format!("s{n} learner {i}"))
                    .await
                    .unwrap();
                let reply = store.begin_tutor_turn(&s.id).await.unwrap();
                for part in ["s", &n.to_string(), " tutor ", &i.to_string()] {
                    store.append_tutor_text(&reply.id, part).await.unwrap();
                    tokio::task::yield_now().await;
                }
                store
                    .finish_tutor_turn(&reply.id, TurnStatus::Complete, None, None)
                    .await
                    .unwrap();
            }
            (n, s.id)
        }));
    }
    for task in tasks {
        let (n, id) = task.await.unwrap();
        let turns = db.store.turns(&id).await.unwrap();
        assert_eq!(turns.len(), 2 * EXCHANGES, "session {n}");
        for (k, t) in turns.iter().enumerate() {
            let i = k / 2;
            assert_eq!(
                t.seq,
                k as i64 + 1,
                "session {n}: seqs 1, 2, 3 … without gaps"
            );
            let expected = if k % 2 == 0 {
                (TurnRole::Learner, format!("s{n} learner {i}"))
            } else {
                (TurnRole::Tutor, format!("s{n} tutor {i}"))
            };
            assert_eq!(
                (t.role, t.text.clone()),
                expected,
                "session {n}, turn {}",
                k + 1
            );
            assert_eq!(t.status, TurnStatus::Complete);
        }
    }
}

pub async fn concurrent_retries_of_one_message_store_one_turn(db: &TestDb) {
    let ada = learner(&db.store, "ada").await;
    let s = session(&db.store, &ada).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, id) = (db.store.clone(), s.id.clone());
        tasks.push(tokio::spawn(async move {
            store
                .append_learner_turn(&id, "c-same", "Everything else pauses.")
                .await
                .unwrap()
        }));
    }
    let mut new = 0;
    let mut ids = BTreeSet::new();
    for task in tasks {
        let appended = task.await.unwrap();
        new += usize::from(appended.new);
        ids.insert(appended.turn.id);
    }
    assert_eq!(
        (new, ids.len()),
        (1, 1),
        "one writer stored it, the others found it"
    );
    assert_eq!(db.store.turns(&s.id).await.unwrap().len(), 1);
}

pub async fn concurrent_events_get_gapless_seqs(db: &TestDb) {
    let ada = learner(&db.store, "ada").await;
    let s = session(&db.store, &ada).await;
    let mut tasks = Vec::new();
    for w in 0..6 {
        let (store, id) = (db.store.clone(), s.id.clone());
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..10 {
                seqs.push(
                    store
                        .append_event(&id, &format!(r#"{{"w":{w},"i":{i}}}"#))
                        .await
                        .unwrap(),
                );
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        let seqs = task.await.unwrap();
        assert!(
            seqs.windows(2).all(|p| p[0] < p[1]),
            "each writer sees its seqs increase"
        );
        all.extend(seqs);
    }
    all.sort_unstable();
    assert_eq!(all, (1..=60).collect::<Vec<i64>>());
    let stored = db.store.events_since(&s.id, 0).await.unwrap();
    assert_eq!(stored.iter().map(|e| e.seq).collect::<Vec<_>>(), all);
}

/// Group commit: the writes of many sessions share commits, and a write refused inside a
/// batch (here a stale engine-state save, after its fence check already wrote) undoes only
/// itself; every acknowledged write is stored, in order.
pub async fn group_commit_shares_commits_and_a_refused_write_undoes_only_itself(db: &TestDb) {
    const SESSIONS: usize = 16;
    const MESSAGES: usize = 6;
    let mut sessions = Vec::new();
    for n in 0..SESSIONS {
        let who = learner(&db.store, &format!("group-{n}")).await;
        sessions.push(session(&db.store, &who).await.id);
    }
    let concept = klover_domain::ConceptId::parse("sync-vs-async").unwrap();
    let before = db.store.write_transactions();
    let go = std::sync::Arc::new(tokio::sync::Barrier::new(SESSIONS));
    let mut tasks = Vec::new();
    for (n, id) in sessions.iter().cloned().enumerate() {
        let (store, go, concept) = (db.store.clone(), go.clone(), concept.clone());
        tasks.push(tokio::spawn(async move {
            go.wait().await;
            for i in 0..MESSAGES {
                let text = format!("s{n} learner {i}");
                store
                    .append_learner_turn(&id, &format!("c-{i}"), &text)
                    .await
                    .unwrap();
                let stale = store.save_engine_state(&id, &concept, "{}", 99).await;
                assert!(
                    matches!(stale, Err(klover_store::StoreError::StaleState(_))),
                    "a save over a version that is not stored is refused: {stale:?}"
                );
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let commits = db.store.write_transactions() - before;
    let writes = (SESSIONS * MESSAGES) as u64;
    if db.store.backend() == klover_store::Backend::Sqlite {
        assert!(
            commits < writes,
            "{writes} acknowledged writes of {SESSIONS} sessions took {commits} commits: none was shared"
        );
    } else {
        // PostgreSQL: each writer commits its own batch, in parallel (group.rs).
        assert_eq!(commits, writes, "one commit per write on PostgreSQL");
    }
    for (n, id) in sessions.iter().enumerate() {
        let texts: Vec<String> = db
            .store
            .turns(id)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.text)
            .collect();
        let expected: Vec<String> = (0..MESSAGES).map(|i| format!("s{n} learner {i}")).collect();
        assert_eq!(texts, expected, "session {n}: every write stored, in order");
        assert_eq!(
            db.store.state_version(id).await.unwrap(),
            0,
            "no stale save stored"
        );
    }
}
