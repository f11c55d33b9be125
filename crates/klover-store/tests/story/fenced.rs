//! Fencing on every write of a session (issue 16, item 1): an owner that was paused past
//! its lease, and replaced, writes nothing more to the session: not its turns, not its
//! events, not its engine state, not its end, not the review cards its turns produce.
//! Two store handles on one database stand for two instances.

use std::time::Duration;

use chrono::Utc;
use klover_domain::{CheckpointId, ConceptId, CurriculumId};
use klover_store::{
    CardSource, LearnerId, Lease, ReviewCard, SessionId, Store, StoreError, TurnId, TurnStatus,
};

use crate::common::{TestDb, learner, session};

const LONG: Duration = Duration::from_secs(3600);

fn lease(owner: &str, ttl: Duration) -> Lease<'_> {
    Lease { owner, ttl }
}

fn ack(_: &TurnId) -> String {
    r#"{"type":"learner_ack"}"#.to_owned()
}

fn card(learner: &LearnerId) -> ReviewCard {
    ReviewCard {
        learner: learner.clone(),
        curriculum: CurriculumId::parse("async-python").unwrap(),
        checkpoint: CheckpointId::parse("event-loop-single-chef").unwrap(),
        memory: None,
        due_at: Utc::now(),
        last_review_at: None,
        reps: 0,
        lapses: 0,
        source: CardSource::Aha,
        suspended: false,
    }
}

fn fenced<T: std::fmt::Debug>(what: &str, result: Result<T, StoreError>) {
    assert!(
        matches!(result, Err(StoreError::Fenced(_))),
        "{what} by the replaced owner: {result:?}"
    );
}

/// Everything the session holds that a write could change.
async fn snapshot(
    store: &Store,
    learner: &LearnerId,
    s: &SessionId,
) -> impl PartialEq + std::fmt::Debug {
    (
        store.get_session(learner, s).await.unwrap(),
        store.turns(s).await.unwrap(),
        store.head_seq(s).await.unwrap(),
        store.events_since(s, 0).await.unwrap().len(),
        store.review_cards(learner).await.unwrap(),
        store.session_owner(s).await.unwrap(),
    )
}

pub async fn a_replaced_owner_writes_no_turn_text_end_or_review_card(db: &TestDb) {
    let (a, b) = (db.store.clone(), Store::connect(&db.url).await.unwrap());
    let ada = learner(&a, "ada").await;
    let s = session(&a, &ada).await;
    // a owns the session and has a reply streaming into a tutor turn.
    let (asked, _) = a
        .acknowledge_learner_turn(&s.id, "c-1", "Why the GIL?", lease("a", LONG), ack)
        .await
        .unwrap();
    let reply = a.begin_reply_turn(&s.id, &asked.turn.id).await.unwrap();
    a.append_tutor_text(&reply.id, "Because ").await.unwrap();
    // a stalls; its lease runs out (a zero renewal stands for the pause), b takes over.
    assert!(
        a.renew_reply(&asked.turn.id, lease("a", Duration::ZERO))
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(
        b.claim_reply(&asked.turn.id, lease("b", LONG))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(a.held_fence(&s.id), Some(1), "a still believes it owns");
    assert_eq!(b.held_fence(&s.id), Some(2));
    let before = snapshot(&a, &ada.id, &s.id).await;

    // a wakes up: each write of the session is refused.
    fenced(
        "append_tutor_text",
        a.append_tutor_text(&reply.id, "x").await,
    );
    fenced(
        "finish_tutor_turn",
        a.finish_tutor_turn(&reply.id, TurnStatus::Complete, None, None)
            .await,
    );
    fenced(
        "append_tutor_delta",
        a.append_tutor_delta(&s.id, &reply.id, "x", "{}").await,
    );
    fenced("begin_tutor_turn", a.begin_tutor_turn(&s.id).await);
    fenced(
        "append_learner_turn",
        a.append_learner_turn(&s.id, "c-9", "late").await,
    );
    fenced("end_session", a.end_session(&s.id).await);
    fenced(
        "save_session_review_cards",
        a.save_session_review_cards(&s.id, &[card(&ada.id)], &[])
            .await,
    );
    let concept = ConceptId::parse("event-loop").unwrap();
    fenced(
        "save_engine_state",
        a.save_engine_state(&s.id, &concept, "{}", 0).await,
    );
    // … and changed nothing.
    assert_eq!(snapshot(&a, &ada.id, &s.id).await, before);

    // The same writes by b, the owner, go through: the refusals were the fence's.
    b.append_tutor_text(&reply.id, "of reference counting.")
        .await
        .unwrap();
    b.save_session_review_cards(&s.id, &[card(&ada.id)], &[])
        .await
        .unwrap();
    let done = b
        .finish_tutor_turn(&reply.id, TurnStatus::Complete, None, None)
        .await
        .unwrap();
    assert_eq!(done.text, "Because of reference counting.");
    b.end_session(&s.id).await.unwrap();
    let row = b.get_session(&ada.id, &s.id).await.unwrap();
    assert!(row.ended_at.is_some());
    assert_eq!(b.review_cards(&ada.id).await.unwrap().len(), 1);
    b.close().await;
}

pub async fn session_writes_without_a_lease_pass_only_while_nobody_holds_one(db: &TestDb) {
    let (a, b) = (db.store.clone(), Store::connect(&db.url).await.unwrap());
    let ada = learner(&a, "ada").await;
    let s = session(&a, &ada).await;
    // Nobody owns the session: a handle holding no lease may write (one process, tests).
    let reply = b.begin_tutor_turn(&s.id).await.unwrap();
    b.append_tutor_text(&reply.id, "Hello.").await.unwrap();
    // a takes the lease with a message: now b, holding none, is refused.
    a.acknowledge_learner_turn(&s.id, "c-1", "Hi", lease("a", LONG), ack)
        .await
        .unwrap();
    let before = snapshot(&b, &ada.id, &s.id).await;
    fenced(
        "append_tutor_text",
        b.append_tutor_text(&reply.id, "x").await,
    );
    fenced("end_session", b.end_session(&s.id).await);
    fenced(
        "save_session_review_cards",
        b.save_session_review_cards(&s.id, &[card(&ada.id)], &[])
            .await,
    );
    assert_eq!(snapshot(&b, &ada.id, &s.id).await, before);
    // A missing session or turn is still "not found", not "fenced".
    let missing = b.end_session(&SessionId::new()).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound("session"))),
        "{missing:?}"
    );
    let missing = b.append_tutor_text(&TurnId::new(), "x").await;
    assert!(
        matches!(missing, Err(StoreError::NotFound("turn"))),
        "{missing:?}"
    );
    b.close().await;
}
