//! Restarting after a crash, and refusing a database from the future.

use std::time::Duration;

use klover_store::{Lease, Store, StoreError, TurnStatus};
use sqlx::Executor;

use crate::common::{TestDb, learner, raw_connection, session};

pub async fn a_reply_cut_by_a_crash_is_closed_as_partial_on_restart(db: &TestDb) {
    let ada = learner(&db.store, "ada").await;
    let s = session(&db.store, &ada).await;
    let cut = {
        // The "previous process": its reply is streaming when it dies (the store is dropped
        // with the turn unfinished; nothing closes it).
        let before = Store::connect(&db.url).await.unwrap();
        before
            .append_learner_turn(&s.id, "c-1", "Why is the GIL there?")
            .await
            .unwrap();
        let reply = before.begin_tutor_turn(&s.id).await.unwrap();
        before
            .append_tutor_text(&reply.id, "Python objects carry a reference ")
            .await
            .unwrap();
        reply.id
    };
    let restarted = Store::connect(&db.url).await.unwrap();
    // Another instance starting now must not cut a reply that was written to just now.
    assert_eq!(
        restarted
            .recover_streaming_turns_idle_for(Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    assert_eq!(restarted.recover_streaming_turns().await.unwrap(), 1);
    assert_eq!(
        restarted.recover_streaming_turns().await.unwrap(),
        0,
        "recovery is idempotent"
    );
    let turns = restarted.turns(&s.id).await.unwrap();
    assert_eq!(turns.len(), 2);
    assert_eq!(turns[1].id, cut);
    assert_eq!(turns[1].status, TurnStatus::Partial);
    assert_eq!(turns[1].text, "Python objects carry a reference ");
    restarted.close().await;
}

pub async fn a_schema_newer_than_the_binary_is_refused(db: &TestDb) {
    // Pretend a newer klover migrated this database.
    let mut conn = raw_connection(&db.url).await;
    let sql = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
               VALUES ($1, $2, $3, $4, $5)";
    conn.execute(
        sqlx::query(sql)
            .bind(99_990_101_000_000_i64)
            .bind("from the future")
            .bind(true)
            .bind(vec![0_u8; 48])
            .bind(0_i64),
    )
    .await
    .unwrap();
    let err = Store::connect(&db.url).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SchemaTooNew {
                applied: 99_990_101_000_000,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("newer than this klover binary"),
        "{message}"
    );
    assert!(message.contains("upgrade klover"), "{message}");
}

/// Instance `a` streams a tutor turn under its live lease on the session; instance `b`
/// starts and sweeps for turns a crash left streaming. The turn looks quiet to `b` (its
/// last write is older than the sweep's idle time: a long silence upstream, or `b`'s
/// clock running ahead), but `a`'s lease is live: the turn is `a`'s, and `b` leaves it.
/// Once `a`'s lease has run out (it died), the sweep closes the turn as partial.
pub async fn a_reply_streaming_under_a_live_lease_survives_another_instances_start(db: &TestDb) {
    let (a, b) = (db.store.clone(), Store::connect(&db.url).await.unwrap());
    let ada = learner(&a, "ada").await;
    let s = session(&a, &ada).await;
    let lease = Lease {
        owner: "a",
        ttl: Duration::from_secs(3600),
    };
    let ack = |_: &klover_store::TurnId| r#"{"type":"learner_ack"}"#.to_owned();
    a.acknowledge_learner_turn(&s.id, "c-1", "Why the GIL?", lease, ack)
        .await
        .unwrap();
    let streaming = a.begin_tutor_turn(&s.id).await.unwrap();
    a.append_tutor_text(&streaming.id, "Reference counts ")
        .await
        .unwrap();
    let mut raw = raw_connection(&db.url).await;
    let look_quiet = "UPDATE turns SET updated_at = 0 WHERE id = $1";
    raw.execute(sqlx::query(look_quiet).bind(streaming.id.as_str()))
        .await
        .unwrap();

    let idle = Duration::from_secs(600);
    assert_eq!(
        b.recover_streaming_turns_idle_for(idle).await.unwrap(),
        0,
        "a's live lease keeps its turn"
    );
    a.append_tutor_text(&streaming.id, "keep objects alive.")
        .await
        .unwrap();
    let turn = a.turn(&s.id, &streaming.id).await.unwrap().unwrap();
    assert_eq!(turn.status, TurnStatus::Streaming);

    // a dies: its lease runs out and nothing writes any more.
    let expire = "UPDATE sessions SET owner_until = 0 WHERE id = $1";
    raw.execute(sqlx::query(expire).bind(s.id.as_str()))
        .await
        .unwrap();
    raw.execute(sqlx::query(look_quiet).bind(streaming.id.as_str()))
        .await
        .unwrap();
    assert_eq!(b.recover_streaming_turns_idle_for(idle).await.unwrap(), 1);
    let turn = b.turn(&s.id, &streaming.id).await.unwrap().unwrap();
    assert_eq!(turn.status, TurnStatus::Partial);
    assert_eq!(turn.text, "Reference counts keep objects alive.");
    b.close().await;
}
