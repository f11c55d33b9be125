//! A streamed reply stored in slices (migration 0008): seqs reserved ahead of storing are
//! released when the live reply ends, filled when a crash cut it, and never handed out to
//! another event.

use std::time::Duration;

use klover_domain::CheckpointId;
use klover_store::{
    CheckpointScore, Lease, MasteryUpdate, ReplyEnd, ReplySlice, ReplyState, Reserved, StoreError,
    TurnAssessment, TurnStatus,
};

use crate::common::{TestDb, learner, session};

fn deltas(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| format!(r#"{{"d":"{t}"}}"#)).collect()
}

pub async fn a_sliced_reply_stores_its_slices_and_releases_its_reservation(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let asked = store
        .append_learner_turn(&s.id, "c-1", "Why?")
        .await
        .unwrap();
    let h = store.append_event(&s.id, "{}").await.unwrap();
    let (turn, head, reserved) = store
        .begin_sliced_reply(&s.id, &asked.turn.id, 4)
        .await
        .unwrap();
    assert_eq!((head, reserved), (h, h + 4));
    assert_eq!(
        store.head_seq(&s.id).await.unwrap(),
        h + 4,
        "a client may have seen it"
    );
    let first = deltas(&["a", "b"]);
    let slice = ReplySlice {
        first_seq: h + 1,
        payloads: &first,
        text: "ab",
        reserve_through: h + 6,
    };
    store
        .store_reply_slice(&s.id, &turn.id, slice)
        .await
        .unwrap();
    let again = store.store_reply_slice(&s.id, &turn.id, slice).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let last = deltas(&["c"]);
    let end = ReplyEnd {
        status: TurnStatus::Complete,
        move_json: None,
        usage: None,
        last_slice: Some(ReplySlice {
            first_seq: h + 3,
            payloads: &last,
            text: "c",
            reserve_through: h + 3,
        }),
        reserved: Reserved::Release,
    };
    let (row, seqs) = store
        .finish_reply_turn(&s.id, &turn.id, end, |_| "{\"done\":1}".into())
        .await
        .unwrap();
    assert_eq!(row.text, "abc");
    assert_eq!(seqs, vec![h + 4], "the unused reservation is released");
    assert_eq!(store.head_seq(&s.id).await.unwrap(), h + 4);
    let log = store.events_since(&s.id, h).await.unwrap();
    let got: Vec<(i64, &str)> = log.iter().map(|e| (e.seq, e.payload.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (h + 1, r#"{"d":"a"}"#),
            (h + 2, r#"{"d":"b"}"#),
            (h + 3, r#"{"d":"c"}"#),
            (h + 4, r#"{"done":1}"#)
        ]
    );
}

pub async fn a_reply_cut_by_a_crash_fills_the_seqs_it_reserved(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let asked = store
        .append_learner_turn(&s.id, "c-1", "Why?")
        .await
        .unwrap();
    let (turn, h, _) = store
        .begin_sliced_reply(&s.id, &asked.turn.id, 4)
        .await
        .unwrap();
    let first = deltas(&["a"]);
    let slice = ReplySlice {
        first_seq: h + 1,
        payloads: &first,
        text: "a",
        reserve_through: h + 5,
    };
    store
        .store_reply_slice(&s.id, &turn.id, slice)
        .await
        .unwrap();
    // The process dies here; whoever finishes the turn does not know what was sent.
    let end = ReplyEnd {
        status: TurnStatus::Partial,
        move_json: None,
        usage: None,
        last_slice: None,
        reserved: Reserved::Fill("{}"),
    };
    let (row, seqs) = store
        .finish_reply_turn(&s.id, &turn.id, end, |_| "{\"done\":1}".into())
        .await
        .unwrap();
    assert_eq!(row.text, "a", "what the slice stored stands");
    assert_eq!(seqs, (h + 2..=h + 6).collect::<Vec<_>>());
    let log = store.events_since(&s.id, h).await.unwrap();
    let got: Vec<i64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(got, (h + 1..=h + 6).collect::<Vec<_>>(), "no gap");
    assert_eq!(store.append_event(&s.id, "{}").await.unwrap(), h + 7);
}

pub async fn an_event_appended_during_a_reservation_never_reuses_a_reserved_seq(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let asked = store
        .append_learner_turn(&s.id, "c-1", "Why?")
        .await
        .unwrap();
    let (_, h, reserved) = store
        .begin_sliced_reply(&s.id, &asked.turn.id, 3)
        .await
        .unwrap();
    assert_eq!(reserved, h + 3);
    assert_eq!(store.append_event(&s.id, "{}").await.unwrap(), h + 4);
}

/// An LLM turn's assessment begins its reply in the same transaction (one commit before
/// the first token): the acknowledged turn goes straight to `replying` with its decision
/// stored and the begun streaming turn named, the seqs after the ack are reserved, and the
/// engine state and learner model are stored with it.
pub async fn an_assessment_can_begin_the_reply_in_its_transaction(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let lease = Lease {
        owner: "a",
        ttl: Duration::from_secs(3600),
    };
    let ack = |_: &klover_store::TurnId| r#"{"type":"learner_ack"}"#.to_owned();
    let (asked, ack_seq) = store
        .acknowledge_learner_turn(&s.id, "c-1", "Everything else pauses.", lease, ack)
        .await
        .unwrap();
    let ack_seq = ack_seq.expect("a new turn logs its ack");
    assert_eq!(store.head_seq(&s.id).await.unwrap(), ack_seq);
    assert_eq!(
        asked.state_version,
        Some(s.state_version),
        "the ack reads the version"
    );
    let cp = CheckpointId::parse("one-task-blocks-loop").unwrap();
    let a = TurnAssessment {
        scores: vec![CheckpointScore {
            checkpoint: cp.clone(),
            score: 1.0,
            evidence: Some((0, 23)),
        }],
        // The same checkpoint twice: one row, the higher mastery.
        mastery: vec![
            MasteryUpdate {
                checkpoint: cp.clone(),
                mastery: 0.5,
                stated_by_tutor: false,
            },
            MasteryUpdate {
                checkpoint: cp.clone(),
                mastery: 0.95,
                stated_by_tutor: false,
            },
        ],
        ..TurnAssessment::default()
    };
    let concept = klover_domain::ConceptId::parse("event-loop").unwrap();
    // Over a version that is not the stored one: refused, and nothing of it stored.
    let stale = store
        .record_assessment_for_reply(
            &s.id,
            &asked.turn.id,
            &a,
            &concept,
            r#"{"n":0}"#,
            s.state_version + 7,
            r#"{"plan":0}"#,
            Some(4),
            klover_store::Grading::default(),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::StaleState(_))), "{stale:?}");
    let pending = store.unfinished_replies(&s.id).await.unwrap();
    assert_eq!(pending[0].state, ReplyState::Acknowledged);
    assert_eq!(
        store.head_seq(&s.id).await.unwrap(),
        ack_seq,
        "no seq reserved"
    );
    let (version, begun) = store
        .record_assessment_for_reply(
            &s.id,
            &asked.turn.id,
            &a,
            &concept,
            r#"{"n":1}"#,
            s.state_version,
            r#"{"plan":1}"#,
            Some(4),
            klover_store::Grading::default(),
        )
        .await
        .unwrap();
    assert_eq!(version, s.state_version + 1);
    let (turn, head, reserved) = begun.expect("the reply was begun");
    assert_eq!((head, reserved), (ack_seq, ack_seq + 4));
    assert_eq!(turn.status, TurnStatus::Streaming);
    assert_eq!(turn.seq, asked.turn.seq + 1);
    let pending = store.unfinished_replies(&s.id).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].state, ReplyState::Replying);
    assert_eq!(pending[0].outcome.as_deref(), Some(r#"{"plan":1}"#));
    assert_eq!(pending[0].reply_turn.as_ref(), Some(&turn.id));
    let curriculum = klover_domain::CurriculumId::parse("async-python").unwrap();
    let model = store.learner_model(&ada.id, &curriculum).await.unwrap();
    assert_eq!(model.mastery.len(), 1);
    assert!((model.mastery[0].mastery - 0.95).abs() < 1e-9);
    let row = store.get_session(&ada.id, &s.id).await.unwrap();
    assert_eq!(row.engine_state.as_deref(), Some(r#"{"n":1}"#));
    assert_eq!(
        (row.state_version, &row.current_concept),
        (version, &concept)
    );
    // An event appended now goes after the reservation, never into it.
    let next = store.append_event(&s.id, "{}").await.unwrap();
    assert_eq!(next, ack_seq + 5);
}

/// The LLM voice begins its reply while the judge thinks, before the turn's assessment is
/// stored: the assessment then keeps the reply (replying, its turn, its seqs) and adds the
/// outcome; a crash between the two leaves a replying turn without an outcome, which the
/// recovery assesses again (a second assessment of the same turn is refused).
pub async fn an_assessment_after_its_reply_began_keeps_the_reply(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let lease = Lease {
        owner: "a",
        ttl: Duration::from_secs(3600),
    };
    let ack = |_: &klover_store::TurnId| r#"{"type":"learner_ack"}"#.to_owned();
    let (asked, ack_seq) = store
        .acknowledge_learner_turn(&s.id, "c-1", "Everything else pauses.", lease, ack)
        .await
        .unwrap();
    let ack_seq = ack_seq.unwrap();
    let (turn, head, reserved) = store
        .begin_sliced_reply(&s.id, &asked.turn.id, 4)
        .await
        .unwrap();
    assert_eq!((head, reserved), (ack_seq, ack_seq + 4));
    let pending = store.unfinished_replies(&s.id).await.unwrap();
    assert_eq!(pending[0].state, ReplyState::Replying);
    assert_eq!(
        pending[0].outcome, None,
        "begun, not assessed: a crash here"
    );
    assert_eq!(pending[0].reply_turn.as_ref(), Some(&turn.id));

    let a = TurnAssessment::default();
    let concept = klover_domain::ConceptId::parse("event-loop").unwrap();
    let record = |n: i64| {
        store.record_assessment_for_reply(
            &s.id,
            &asked.turn.id,
            &a,
            &concept,
            r#"{"n":1}"#,
            s.state_version + n,
            r#"{"plan":1}"#,
            None,
            klover_store::Grading::default(),
        )
    };
    let (version, begun) = record(0).await.unwrap();
    assert_eq!(version, s.state_version + 1);
    assert!(begun.is_none(), "no second reply");
    let pending = store.unfinished_replies(&s.id).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].state, ReplyState::Replying, "still replying");
    assert_eq!(pending[0].outcome.as_deref(), Some(r#"{"plan":1}"#));
    assert_eq!(
        pending[0].reply_turn.as_ref(),
        Some(&turn.id),
        "the same reply"
    );
    assert_eq!(
        store.head_seq(&s.id).await.unwrap(),
        ack_seq + 4,
        "the reply's reservation stands, no seq taken"
    );
    let again = record(1).await;
    assert!(again.is_err(), "assessed once: {again:?}");
    let pending = store.unfinished_replies(&s.id).await.unwrap();
    assert_eq!(pending[0].outcome.as_deref(), Some(r#"{"plan":1}"#));
    let row = store.get_session(&ada.id, &s.id).await.unwrap();
    assert_eq!(row.state_version, version, "the refused one saved nothing");
}
