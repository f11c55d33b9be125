//! Restarting after a crash, and refusing a database from the future.

use std::time::Duration;

use klover_store::{Store, StoreError, TurnStatus};
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
