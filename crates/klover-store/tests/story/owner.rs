//! One owner per session across instances: two store handles on one database stand for two
//! instances (each handle holds its own fences, as each `klover serve` does).

use std::time::Duration;

use klover_store::{Lease, Notice, ReplyState, Store, StoreError};

use crate::common::{TestDb, learner, session};

fn lease(owner: &str, ttl: Duration) -> Lease<'_> {
    Lease { owner, ttl }
}

const LONG: Duration = Duration::from_secs(3600);

/// An assessment that would store mastery of one checkpoint.
fn assessed() -> klover_store::TurnAssessment {
    klover_store::TurnAssessment {
        mastery: vec![klover_store::MasteryUpdate {
            checkpoint: klover_domain::CheckpointId::parse("loop-runs-callbacks").unwrap(),
            mastery: 0.9,
            stated_by_tutor: false,
        }],
        ..klover_store::TurnAssessment::default()
    }
}

fn ack(_: &klover_store::TurnId) -> String {
    r#"{"type":"learner_ack"}"#.to_owned()
}

pub async fn a_session_takes_messages_through_one_instance_at_a_time(db: &TestDb) {
    let (a, b) = (db.store.clone(), Store::connect(&db.url).await.unwrap());
    let ada = learner(&a, "ada").await;
    let s = session(&a, &ada).await;
    let (first, _) = a
        .acknowledge_learner_turn(&s.id, "c-1", "Threads share memory.", lease("a", LONG), ack)
        .await
        .unwrap();
    assert!(first.new);
    assert_eq!(a.held_fence(&s.id), Some(1));

    // While a's reply is in flight, b refuses a new message: nothing stored.
    let refused = b
        .acknowledge_learner_turn(&s.id, "c-2", "And processes do not.", lease("b", LONG), ack)
        .await;
    assert!(
        matches!(refused, Err(StoreError::OwnedElsewhere(_))),
        "{refused:?}"
    );
    // A retry of a's message through b finds the stored turn: accepted once.
    let (again, seq) = b
        .acknowledge_learner_turn(&s.id, "c-1", "Threads share memory.", lease("b", LONG), ack)
        .await
        .unwrap();
    assert!(!again.new && seq.is_none());
    assert_eq!(again.turn.id, first.turn.id);
    assert_eq!(a.turns(&s.id).await.unwrap().len(), 1);
    // Nor may b write the session's events while a owns it.
    let write = b.append_event(&s.id, r#"{"type":"x"}"#).await;
    assert!(matches!(write, Err(StoreError::Fenced(_))), "{write:?}");

    // Closing the reply gives the session back: now b takes the next message.
    a.close_reply(&s.id, &first.turn.id, ReplyState::Answered, &[], None)
        .await
        .unwrap();
    assert_eq!(a.session_owner(&s.id).await.unwrap().0, None);
    let (second, _) = b
        .acknowledge_learner_turn(&s.id, "c-2", "And processes do not.", lease("b", LONG), ack)
        .await
        .unwrap();
    assert!(second.new);
    assert_eq!(b.held_fence(&s.id), Some(2), "a new owner gets a new fence");
    b.close().await;
}

pub async fn a_paused_owner_cannot_write_after_another_took_over(db: &TestDb) {
    let (a, b) = (db.store.clone(), Store::connect(&db.url).await.unwrap());
    let ada = learner(&a, "ada").await;
    let s = session(&a, &ada).await;
    let (turn, _) = a
        .acknowledge_learner_turn(
            &s.id,
            "c-1",
            "Why the GIL?",
            lease("a", Duration::ZERO),
            ack,
        )
        .await
        .unwrap();
    // a stalls past its lease (zero here); b claims the reply and the session.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let claimed = b
        .claim_reply(&turn.turn.id, lease("b", LONG))
        .await
        .unwrap();
    assert!(claimed.is_some());
    let (owner, _, fence) = b.session_owner(&s.id).await.unwrap();
    assert_eq!((owner.as_deref(), fence), (Some("b"), 2));

    // a wakes up: every write it tries on the session is refused, nothing changes.
    let head = a.head_seq(&s.id).await.unwrap();
    let event = a.append_event(&s.id, r#"{"type":"x"}"#).await;
    assert!(matches!(event, Err(StoreError::Fenced(_))), "{event:?}");
    let begin = a.begin_reply_turn(&s.id, &turn.turn.id).await;
    assert!(matches!(begin, Err(StoreError::Fenced(_))), "{begin:?}");
    let close = a
        .close_reply(&s.id, &turn.turn.id, ReplyState::Answered, &[], None)
        .await;
    assert!(matches!(close, Err(StoreError::Fenced(_))), "{close:?}");
    let concept = klover_domain::ConceptId::parse("event-loop").unwrap();
    let save = a.save_engine_state(&s.id, &concept, "{}", 0).await;
    assert!(matches!(save, Err(StoreError::Fenced(_))), "{save:?}");
    // The turn path's batched writes too (one query on SQLite: refused by its first
    // statement, the rest undone).
    let assessed = a
        .record_assessment_and_state(&turn.turn.id, &assessed(), &concept, "{}", 0)
        .await;
    assert!(
        matches!(assessed, Err(StoreError::Fenced(_))),
        "{assessed:?}"
    );
    let reply = a
        .append_whole_reply(
            &s.id,
            &klover_store::TurnId::new(),
            "Let's see.",
            klover_store::TurnStatus::Complete,
            None,
            &[r#"{"type":"tutor_done"}"#.to_owned()],
            Some((&turn.turn.id, ReplyState::Answered)),
            None,
        )
        .await;
    assert!(matches!(reply, Err(StoreError::Fenced(_))), "{reply:?}");
    let model = a.learner_model(&ada.id, &s.curriculum).await.unwrap();
    assert!(model.mastery.is_empty(), "{model:?}");
    assert!(
        !a.renew_reply(&turn.turn.id, lease("a", LONG))
            .await
            .unwrap()
    );
    assert_eq!(a.head_seq(&s.id).await.unwrap(), head);
    assert_eq!(a.turns(&s.id).await.unwrap().len(), 1);

    // b, the owner, writes.
    b.append_event(&s.id, r#"{"type":"y"}"#).await.unwrap();
    b.close_reply(&s.id, &turn.turn.id, ReplyState::Answered, &[], None)
        .await
        .unwrap()
        .unwrap();
    b.close().await;
}

pub async fn a_dead_owners_session_is_taken_over_once_its_lease_ran_out(db: &TestDb) {
    let (a, b) = (db.store.clone(), Store::connect(&db.url).await.unwrap());
    let ada = learner(&a, "ada").await;
    let s = session(&a, &ada).await;
    let (turn, _) = a
        .acknowledge_learner_turn(&s.id, "c-1", "Why the GIL?", lease("a", LONG), ack)
        .await
        .unwrap();
    // a's lease is live: b can claim neither the reply nor the session.
    assert!(
        b.claim_reply(&turn.turn.id, lease("b", LONG))
            .await
            .unwrap()
            .is_none()
    );
    assert!(b.orphaned_replies(10).await.unwrap().is_empty());
    // a dies; its lease runs out (here: a's renewal with a zero lease stands for it).
    assert!(
        a.renew_reply(&turn.turn.id, lease("a", Duration::ZERO))
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(b.orphaned_replies(10).await.unwrap().len(), 1);
    let pending = b
        .claim_reply(&turn.turn.id, lease("b", LONG))
        .await
        .unwrap();
    assert_eq!(pending.unwrap().turn.id, turn.turn.id);
    assert_eq!(
        b.session_owner(&s.id).await.unwrap().0.as_deref(),
        Some("b")
    );
    b.close().await;
}

pub async fn engine_state_saves_are_compare_and_set(db: &TestDb) {
    let ada = learner(&db.store, "ada").await;
    let s = session(&db.store, &ada).await;
    assert_eq!(s.state_version, 0);
    let concept = klover_domain::ConceptId::parse("event-loop").unwrap();
    let v1 = db
        .store
        .save_engine_state(&s.id, &concept, r#"{"n":1}"#, 0)
        .await
        .unwrap();
    assert_eq!(v1, 1);
    // A save from a copy read before that one is refused.
    let stale = db
        .store
        .save_engine_state(&s.id, &concept, r#"{"n":0}"#, 0)
        .await;
    assert!(matches!(stale, Err(StoreError::StaleState(_))), "{stale:?}");
    let row = db.store.get_session(&ada.id, &s.id).await.unwrap();
    assert_eq!(row.engine_state.as_deref(), Some(r#"{"n":1}"#));
    assert_eq!(row.state_version, 1);
    assert_eq!(db.store.state_version(&s.id).await.unwrap(), 1);
}

pub async fn shutdown_hands_every_lease_back(db: &TestDb) {
    let (a, b) = (db.store.clone(), Store::connect(&db.url).await.unwrap());
    let ada = learner(&a, "ada").await;
    let s = session(&a, &ada).await;
    let (turn, _) = a
        .acknowledge_learner_turn(&s.id, "c-1", "Why the GIL?", lease("a", LONG), ack)
        .await
        .unwrap();
    assert_eq!(a.release_owner("a").await.unwrap(), 1);
    // b takes the unfinished reply at once, without waiting for the lease.
    assert_eq!(b.orphaned_replies(10).await.unwrap().len(), 1);
    assert!(
        b.claim_reply(&turn.turn.id, lease("b", LONG))
            .await
            .unwrap()
            .is_some()
    );
    b.close().await;
}

pub async fn appended_events_and_stops_are_announced_to_listeners(db: &TestDb) {
    let ada = learner(&db.store, "ada").await;
    let s = session(&db.store, &ada).await;
    let Some(mut listener) = db.store.listen().await.unwrap() else {
        // SQLite serves one process: nobody else to tell.
        assert_eq!(db.store.backend(), klover_store::Backend::Sqlite);
        return;
    };
    let seq = db
        .store
        .append_event(&s.id, r#"{"type":"x"}"#)
        .await
        .unwrap();
    let heard = listener.next().await.unwrap();
    assert_eq!(
        heard,
        Notice::Event {
            session: s.id.clone(),
            seq
        }
    );
    db.store.announce_stop(&s.id).await.unwrap();
    assert_eq!(
        listener.next().await.unwrap(),
        Notice::Stop { session: s.id }
    );
}

/// The turn path's three writes as the offline voice makes them (each one query on
/// SQLite): the message with its ack, the assessment with the engine state, the whole
/// reply with its events closing the message's reply. The events' seqs the store works
/// out in SQL are the ones it returns; closing the same reply again stores nothing.
pub async fn an_offline_turn_is_stored_once_with_its_events_in_order(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let (msg, ack_seq) = store
        .acknowledge_learner_turn(
            &s.id,
            "c-1",
            "The loop runs callbacks.",
            lease("a", LONG),
            ack,
        )
        .await
        .unwrap();
    let ack_seq = ack_seq.unwrap();
    let concept = klover_domain::ConceptId::parse("event-loop").unwrap();
    store
        .record_assessment_and_state(&msg.turn.id, &assessed(), &concept, r#"{"n":1}"#, 0)
        .await
        .unwrap();
    let payloads: Vec<String> = (0..3).map(|i| format!(r#"{{"type":"e{i}"}}"#)).collect();
    let reply_id = klover_store::TurnId::new();
    let closes = Some((&msg.turn.id, ReplyState::Answered));
    let (reply, seqs) = store
        .append_whole_reply(
            &s.id,
            &reply_id,
            "What runs them?",
            klover_store::TurnStatus::Complete,
            None,
            &payloads,
            closes,
            None,
        )
        .await
        .unwrap();
    assert_eq!(seqs, [ack_seq + 1, ack_seq + 2, ack_seq + 3]);
    assert_eq!(reply.seq, msg.turn.seq + 1);
    let logged = store.events_page(&s.id, ack_seq, 10).await.unwrap();
    let logged: Vec<(i64, &str)> = (logged.iter())
        .map(|e| (e.seq, e.payload.as_str()))
        .collect();
    let expected: Vec<(i64, &str)> = seqs
        .iter()
        .copied()
        .zip(payloads.iter().map(String::as_str))
        .collect();
    assert_eq!(logged, expected);
    assert_eq!(
        store.session_owner(&s.id).await.unwrap().0,
        None,
        "lease given back"
    );
    let model = store.learner_model(&ada.id, &s.curriculum).await.unwrap();
    assert_eq!(model.mastery.len(), 1);

    // The same reply closed again (a retry after a crash, say): refused, nothing stored.
    let again = store
        .append_whole_reply(
            &s.id,
            &klover_store::TurnId::new(),
            "What runs them?",
            klover_store::TurnStatus::Complete,
            None,
            &payloads,
            closes,
            None,
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(store.head_seq(&s.id).await.unwrap(), ack_seq + 3);
    assert_eq!(store.turns(&s.id).await.unwrap().len(), 2);
}

/// A new message is acknowledged only once every earlier message of the session has its
/// reply finished: the check is in the acknowledging write, so a message a crash left
/// unanswered (same instance, its lease run out or held) goes first and the new one is
/// not stored. A retry of the unfinished message itself is found as before.
pub async fn a_new_message_waits_for_an_earlier_unfinished_reply(db: &TestDb) {
    let a = db.store.clone();
    let ada = learner(&a, "ada").await;
    let s = session(&a, &ada).await;
    let (first, _) = a
        .acknowledge_next_learner_turn(&s.id, "c-1", "Threads share memory.", lease("a", LONG), ack)
        .await
        .unwrap()
        .expect("nothing earlier is unfinished");
    assert!(first.new);

    // The same instance (restarted: its lease is its own) gets a new message while c-1's
    // reply is unfinished: refused, nothing stored, no event logged.
    let events = a.events_since(&s.id, 0).await.unwrap().len();
    let refused = a
        .acknowledge_next_learner_turn(&s.id, "c-2", "And processes do not.", lease("a", LONG), ack)
        .await
        .unwrap();
    assert!(refused.is_none(), "{refused:?}");
    assert_eq!(a.turns(&s.id).await.unwrap().len(), 1);
    assert_eq!(a.events_since(&s.id, 0).await.unwrap().len(), events);
    let pending = a.unfinished_replies(&s.id).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].turn.id, first.turn.id);

    // A retry of c-1 is not held back by its own reply: the first turn stands.
    let (again, seq) = a
        .acknowledge_next_learner_turn(&s.id, "c-1", "Threads share memory.", lease("a", LONG), ack)
        .await
        .unwrap()
        .expect("a retry is found, not refused");
    assert!(!again.new && seq.is_none());
    assert_eq!(again.turn.id, first.turn.id);

    // Answered: the next message is taken.
    a.close_reply(&s.id, &first.turn.id, ReplyState::Answered, &[], None)
        .await
        .unwrap();
    let (second, seq) = a
        .acknowledge_next_learner_turn(&s.id, "c-2", "And processes do not.", lease("a", LONG), ack)
        .await
        .unwrap()
        .expect("every earlier reply is finished");
    assert!(second.new && seq.is_some());
    assert_eq!(a.turns(&s.id).await.unwrap().len(), 2);
}

/// An offline reply can carry its learner turn's assessment and engine state: the turn goes
/// from acknowledged to answered in one transaction with the reply, its events, the learner
/// model and the state. A stale state version or a reply already closed stores none of it.
pub async fn an_offline_reply_stores_its_turns_assessment_in_its_transaction(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let (msg, ack_seq) = store
        .acknowledge_learner_turn(
            &s.id,
            "c-1",
            "The loop runs callbacks.",
            lease("a", LONG),
            ack,
        )
        .await
        .unwrap();
    let ack_seq = ack_seq.unwrap();
    let concept = klover_domain::ConceptId::parse("event-loop").unwrap();
    let payloads: Vec<String> = (0..3).map(|i| format!(r#"{{"type":"e{i}"}}"#)).collect();
    let first = assessed();
    let record = |a, json, expected| klover_store::Assessed {
        assessment: a,
        concept: &concept,
        engine_state: json,
        expected,
    };
    let (reply, seqs, version) = store
        .append_assessed_reply(
            &s.id,
            &klover_store::TurnId::new(),
            "What runs them?",
            klover_store::TurnStatus::Complete,
            None,
            &payloads,
            (&msg.turn.id, ReplyState::Answered),
            record(&first, r#"{"n":1}"#, 0),
        )
        .await
        .unwrap();
    assert_eq!(version, 1);
    assert_eq!(seqs, [ack_seq + 1, ack_seq + 2, ack_seq + 3]);
    assert_eq!(reply.seq, msg.turn.seq + 1);
    let row = store.get_session(&ada.id, &s.id).await.unwrap();
    assert_eq!(row.engine_state.as_deref(), Some(r#"{"n":1}"#));
    assert_eq!(row.current_concept, concept);
    let model = store.learner_model(&ada.id, &s.curriculum).await.unwrap();
    assert_eq!(model.mastery.len(), 1, "{model:?}");
    assert!(store.unfinished_replies(&s.id).await.unwrap().is_empty());
    assert_eq!(
        store.session_owner(&s.id).await.unwrap().0,
        None,
        "lease given back"
    );

    // The next message, answered on a stale state version: refused, nothing of the reply,
    // the assessment or the state stored, the reply still to be given.
    let (next, _) = store
        .acknowledge_learner_turn(&s.id, "c-2", "And they wait.", lease("a", LONG), ack)
        .await
        .unwrap();
    let head = store.head_seq(&s.id).await.unwrap();
    let other = klover_store::TurnAssessment {
        mastery: vec![klover_store::MasteryUpdate {
            checkpoint: klover_domain::CheckpointId::parse("one-task-blocks-loop").unwrap(),
            mastery: 0.8,
            stated_by_tutor: false,
        }],
        ..klover_store::TurnAssessment::default()
    };
    let stale = store
        .append_assessed_reply(
            &s.id,
            &klover_store::TurnId::new(),
            "Wait for what?",
            klover_store::TurnStatus::Complete,
            None,
            &payloads,
            (&next.turn.id, ReplyState::Answered),
            record(&other, r#"{"n":2}"#, 0),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::StaleState(_))), "{stale:?}");
    assert_eq!(store.head_seq(&s.id).await.unwrap(), head);
    assert_eq!(store.turns(&s.id).await.unwrap().len(), 3);
    let row = store.get_session(&ada.id, &s.id).await.unwrap();
    assert_eq!(row.engine_state.as_deref(), Some(r#"{"n":1}"#));
    let model = store.learner_model(&ada.id, &s.curriculum).await.unwrap();
    assert_eq!(model.mastery.len(), 1, "{model:?}");
    let waiting = store.unfinished_replies(&s.id).await.unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0].turn.id, next.turn.id);

    // The first reply closed again (a retry after a crash, say): refused, nothing stored.
    let again = store
        .append_assessed_reply(
            &s.id,
            &klover_store::TurnId::new(),
            "What runs them?",
            klover_store::TurnStatus::Complete,
            None,
            &payloads,
            (&msg.turn.id, ReplyState::Answered),
            record(&other, r#"{"n":2}"#, 1),
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(store.head_seq(&s.id).await.unwrap(), head);
    let row = store.get_session(&ada.id, &s.id).await.unwrap();
    assert_eq!(row.engine_state.as_deref(), Some(r#"{"n":1}"#));
    let model = store.learner_model(&ada.id, &s.curriculum).await.unwrap();
    assert_eq!(model.mastery.len(), 1, "{model:?}");
}

/// A message and its whole reply in one transaction (`acknowledge_and_answer`): the
/// message, its ack first, the reply and its events, the assessment and the state, the
/// lease taken and given back. A retry, an earlier reply unfinished, another instance's
/// lease or a stale state version store none of it (`None`): the message is then
/// acknowledged alone, which tells which.
pub async fn a_message_and_its_answer_are_stored_in_one_transaction(db: &TestDb) {
    let (store, other) = (db.store.clone(), Store::connect(&db.url).await.unwrap());
    let ada = learner(&store, "ada").await;
    let s = session(&store, &ada).await;
    let concept = klover_domain::ConceptId::parse("event-loop").unwrap();
    let payloads: Vec<String> = (0..2).map(|i| format!(r#"{{"type":"e{i}"}}"#)).collect();
    let a = assessed();
    let answer = |reply, expected| klover_store::AnswerAtOnce {
        reply,
        text: "What runs them?",
        move_json: None,
        event_payloads: &payloads,
        assessed: klover_store::Assessed {
            assessment: &a,
            concept: &concept,
            engine_state: r#"{"n":1}"#,
            expected,
        },
    };
    let (turn, reply) = (klover_store::TurnId::new(), klover_store::TurnId::new());
    // The reply of the writes refused below (none of them stores it).
    let unstored = klover_store::TurnId::new();
    let head = store.head_seq(&s.id).await.unwrap();
    let fence = store.session_owner(&s.id).await.unwrap().2;
    let (writes, _) = store.writer_queue();
    let stored = store
        .acknowledge_and_answer(
            &s.id,
            &turn,
            "c-1",
            "The loop runs callbacks.",
            lease("a", LONG),
            ack(&turn),
            answer(&reply, 0),
        )
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(store.writer_queue().0 - writes, 1, "one write");
    assert_eq!(stored.seqs, [head + 1, head + 2, head + 3], "the ack first");
    assert_eq!(stored.state_version, 1);
    assert_eq!(stored.learner_turn.id, turn);
    assert_eq!(stored.reply.id, reply);
    assert_eq!(stored.reply.seq, stored.learner_turn.seq + 1);
    let events = store.events_since(&s.id, head).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.payload.as_str()).collect();
    assert_eq!(
        kinds,
        [
            r#"{"type":"learner_ack"}"#,
            r#"{"type":"e0"}"#,
            r#"{"type":"e1"}"#
        ]
    );
    let row = store.get_session(&ada.id, &s.id).await.unwrap();
    assert_eq!(row.engine_state.as_deref(), Some(r#"{"n":1}"#));
    let model = store.learner_model(&ada.id, &s.curriculum).await.unwrap();
    assert_eq!(model.mastery.len(), 1, "{model:?}");
    assert!(store.unfinished_replies(&s.id).await.unwrap().is_empty());
    let (owner, until, after) = store.session_owner(&s.id).await.unwrap();
    assert_eq!((owner, until), (None, None), "lease given back");
    assert_eq!(after, fence + 1, "the fence moved as a take moves it");
    let nothing_more = async |head| {
        assert_eq!(store.head_seq(&s.id).await.unwrap(), head);
        let row = store.get_session(&ada.id, &s.id).await.unwrap();
        assert_eq!(row.engine_state.as_deref(), Some(r#"{"n":1}"#));
    };
    let head = store.head_seq(&s.id).await.unwrap();

    // A retry of the same client id: nothing stored, the first turn stands.
    let retry = klover_store::TurnId::new();
    let again = store
        .acknowledge_and_answer(
            &s.id,
            &retry,
            "c-1",
            "The loop runs callbacks.",
            lease("a", LONG),
            ack(&retry),
            answer(&unstored, 1),
        )
        .await
        .unwrap();
    assert!(again.is_none());
    nothing_more(head).await;
    assert_eq!(store.turns(&s.id).await.unwrap().len(), 2);

    // A stale state version: nothing stored.
    let stale = store
        .acknowledge_and_answer(
            &s.id,
            &klover_store::TurnId::new(),
            "c-2",
            "And they wait.",
            lease("a", LONG),
            ack(&turn),
            answer(&unstored, 0),
        )
        .await
        .unwrap();
    assert!(stale.is_none());
    nothing_more(head).await;

    // Another instance holds the session: nothing stored.
    let (held, _) = other
        .acknowledge_learner_turn(&s.id, "c-3", "Held elsewhere.", lease("b", LONG), ack)
        .await
        .unwrap();
    let head = store.head_seq(&s.id).await.unwrap();
    let refused = store
        .acknowledge_and_answer(
            &s.id,
            &klover_store::TurnId::new(),
            "c-4",
            "And they wait.",
            lease("a", LONG),
            ack(&turn),
            answer(&unstored, 1),
        )
        .await
        .unwrap();
    assert!(refused.is_none());
    nothing_more(head).await;

    // Its reply unfinished, even once its lease is given back: nothing stored.
    other.release_owner("b").await.unwrap();
    let waiting = store
        .acknowledge_and_answer(
            &s.id,
            &klover_store::TurnId::new(),
            "c-4",
            "And they wait.",
            lease("a", LONG),
            ack(&turn),
            answer(&unstored, 1),
        )
        .await
        .unwrap();
    assert!(waiting.is_none());
    nothing_more(head).await;
    let unfinished = store.unfinished_replies(&s.id).await.unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].turn.id, held.turn.id);
    assert_eq!(store.turns(&s.id).await.unwrap().len(), 3);
}
