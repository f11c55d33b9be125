//! One learner, many sessions at once (with auth off every connection is the one local
//! learner): their turns update the same learner-model rows, and none of them may fail.

use klover_domain::{CheckpointId, MisconceptionId};
use klover_store::{MasteryUpdate, TurnAssessment};

use crate::common::{TestDb, learner, session};

const SESSIONS: usize = 6;
const TURNS: usize = 8;
const CHECKPOINTS: [&str; 5] = [
    "loop-runs-until-wait",
    "cpu-task-blocks-loop",
    "await-yields",
    "io-waits",
    "threads-share-memory",
];
const MISCONCEPTIONS: [&str; 4] = [
    "async-is-parallel",
    "await-blocks-thread",
    "loop-preempts",
    "gil-removed-by-async",
];

/// The rows of `names` in an order that differs from turn to turn and session to session
/// (rotated, and reversed every other time): the order the engine lists them in is not
/// the store's business.
fn shuffled(names: &[&str], n: usize, i: usize) -> Vec<String> {
    let mut order: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    order.rotate_left((n + i) % names.len());
    if (n + i) % 2 == 1 {
        order.reverse();
    }
    order
}

fn assessment(n: usize, i: usize) -> TurnAssessment {
    let mastery = shuffled(&CHECKPOINTS, n, i)
        .iter()
        .enumerate()
        .map(|(k, c)| MasteryUpdate {
            checkpoint: CheckpointId::parse(c).unwrap(),
            mastery: ((i * 5 + k) % 10) as f64 / 10.0,
            stated_by_tutor: false,
        })
        .collect();
    let mis: Vec<MisconceptionId> = shuffled(&MISCONCEPTIONS, n, i)
        .iter()
        .map(|m| MisconceptionId::parse(m).unwrap())
        .collect();
    // Two shown, the other two resolved, which two changing with the turn: the same rows
    // are upserted by some turns and updated by others.
    let (shown, resolved) = mis.split_at(2);
    TurnAssessment {
        mastery,
        misconceptions_shown: shown.to_vec(),
        misconceptions_resolved: resolved.to_vec(),
        ..TurnAssessment::default()
    }
}

pub async fn one_learners_concurrent_turns_update_the_learner_model_without_failing(db: &TestDb) {
    let ada = learner(&db.store, "local").await;
    let mut tasks = Vec::new();
    for n in 0..SESSIONS {
        let store = db.store.clone();
        let s = session(&store, &ada).await;
        tasks.push(tokio::spawn(async move {
            let mut failed = Vec::new();
            for i in 0..TURNS {
                let turn = store
                    .append_learner_turn(&s.id, &format!("c-{i}"), &format!("s{n} answer {i}"))
                    .await
                    .unwrap()
                    .turn;
                if let Err(e) = store.record_assessment(&turn.id, &assessment(n, i)).await {
                    failed.push(format!("session {n}, turn {i}: {e}"));
                }
            }
            failed
        }));
    }
    let mut failed = Vec::new();
    for task in tasks {
        failed.extend(task.await.unwrap());
    }
    assert!(failed.is_empty(), "every turn is recorded: {failed:#?}");
    assert_eq!(
        db.store.transient_retries(),
        0,
        "rows are locked in one order: no deadlock forms, nothing had to run again"
    );
    let curriculum = klover_domain::CurriculumId::parse("async-python").unwrap();
    let model = db.store.learner_model(&ada.id, &curriculum).await.unwrap();
    assert_eq!(model.mastery.len(), CHECKPOINTS.len());
    for row in &model.mastery {
        let highest = (0..SESSIONS)
            .flat_map(|n| (0..TURNS).map(move |i| assessment(n, i)))
            .flat_map(|a| a.mastery)
            .filter(|m| m.checkpoint == row.checkpoint)
            .map(|m| m.mastery)
            .fold(0.0, f64::max);
        assert_eq!(row.mastery, highest, "the highest mastery reached is kept");
    }
    let seen: i64 = model.misconceptions.iter().map(|m| m.times_seen).sum();
    assert_eq!(
        seen,
        (SESSIONS * TURNS * 2) as i64,
        "every showing counted once"
    );
}

/// PostgreSQL only: another transaction (not the store's) holds one row of the learner
/// model and then asks for one the turn holds. PostgreSQL breaks the deadlock by rolling
/// the turn's transaction back (40P01; it waited first, so its check finds the cycle): the
/// store runs the turn's transaction again, and the turn is recorded.
pub async fn a_turn_rolled_back_to_break_a_deadlock_runs_again(db: &TestDb) {
    let ada = learner(&db.store, "local").await;
    let s = session(&db.store, &ada).await;
    // The turn locks its rows in checkpoint order: `first`, then `last`.
    let (first, last) = ("cpu-task-blocks-loop", "loop-runs-until-wait");
    let mastery = move |v: f64| TurnAssessment {
        mastery: [first, last]
            .iter()
            .map(|c| MasteryUpdate {
                checkpoint: CheckpointId::parse(c).unwrap(),
                mastery: v,
                stated_by_tutor: false,
            })
            .collect(),
        ..TurnAssessment::default()
    };
    let turn = |n: usize| {
        let store = db.store.clone();
        let s = s.id.clone();
        async move {
            store
                .append_learner_turn(&s, &format!("c-{n}"), "an answer")
                .await
                .unwrap()
                .turn
        }
    };
    let earlier = turn(0).await;
    db.store
        .record_assessment(&earlier.id, &mastery(0.2))
        .await
        .unwrap();
    let answer = turn(1).await;

    // The other transaction holds `last`; it never runs the deadlock check itself.
    let mut other = crate::common::raw_connection(&db.url).await;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut other)
        .await
        .unwrap();
    for sql in ["SET deadlock_timeout = '1h'", "BEGIN"] {
        sqlx::query(sql).execute(&mut other).await.unwrap();
    }
    let hold = "UPDATE checkpoint_mastery SET mastery = 0.5 WHERE checkpoint_id = $1";
    sqlx::query(hold)
        .bind(last)
        .execute(&mut other)
        .await
        .unwrap();
    let store = db.store.clone();
    let recording =
        tokio::spawn(async move { store.record_assessment(&answer.id, &mastery(0.6)).await });
    // Once the turn waits for `last` (holding `first`), the other asks for `first`.
    let mut watch = crate::common::raw_connection(&db.url).await;
    loop {
        let blocked: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
        )
        .bind(pid)
        .fetch_one(&mut watch)
        .await
        .unwrap();
        if blocked > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    sqlx::query(hold)
        .bind(first)
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();

    recording
        .await
        .unwrap()
        .expect("the turn is recorded, on its second run");
    assert_eq!(db.store.transient_retries(), 1, "it ran twice");
    let curriculum = klover_domain::CurriculumId::parse("async-python").unwrap();
    let model = db.store.learner_model(&ada.id, &curriculum).await.unwrap();
    let got: Vec<f64> = model.mastery.iter().map(|m| m.mastery).collect();
    assert_eq!(got, [0.6, 0.6], "the turn's mastery, over the other's 0.5");
}
