//! Learner turns stored once, tutor turns stored as they stream, assessments all or nothing.

use klover_domain::{CheckpointId, CurriculumId, MisconceptionId};
use klover_store::{
    CheckpointScore, MasteryUpdate, StoreError, TurnAssessment, TurnRole, TurnStatus,
};

use crate::common::{TestDb, learner, session};

pub async fn a_retried_learner_turn_is_stored_once(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let first = store
        .append_learner_turn(&s.id, "c-1", "Sync waits.")
        .await
        .unwrap();
    let reply = store.begin_tutor_turn(&s.id).await.unwrap();
    // The client reconnects and resends its message with the same id (even if the text
    // got mangled on the way, the first one stands).
    let retry = store
        .append_learner_turn(&s.id, "c-1", "Sync waits!!")
        .await
        .unwrap();
    assert!(first.new);
    assert!(!retry.new);
    assert_eq!(retry.turn, first.turn);
    let next = store
        .append_learner_turn(&s.id, "c-2", "Async does not.")
        .await
        .unwrap();
    assert!(next.new);
    assert_eq!(next.turn.seq, reply.seq + 1);
    // The same client id in another session is another message.
    let s2 = session(store, &ada).await;
    assert!(
        store
            .append_learner_turn(&s2.id, "c-1", "Hello")
            .await
            .unwrap()
            .new
    );

    let turns = store.turns(&s.id).await.unwrap();
    let texts: Vec<_> = turns
        .iter()
        .map(|t| (t.seq, t.role, t.text.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            (1, TurnRole::Learner, "Sync waits."),
            (2, TurnRole::Tutor, ""),
            (3, TurnRole::Learner, "Async does not.")
        ]
    );
    let missing = klover_store::SessionId::new();
    assert!(matches!(
        store.append_learner_turn(&missing, "c-1", "x").await,
        Err(StoreError::NotFound("session"))
    ));
}

pub async fn a_stopped_reply_keeps_its_text_as_partial(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    store
        .append_learner_turn(&s.id, "c-1", "What is a thread?")
        .await
        .unwrap();
    let reply = store.begin_tutor_turn(&s.id).await.unwrap();
    store
        .append_tutor_text(&reply.id, "A thread is ")
        .await
        .unwrap();
    store
        .append_tutor_text(&reply.id, "a worker that")
        .await
        .unwrap();
    // The learner pressed stop.
    let stopped = store
        .finish_tutor_turn(&reply.id, TurnStatus::Partial, None, None)
        .await
        .unwrap();
    assert_eq!(
        (stopped.status, stopped.text.as_str()),
        (TurnStatus::Partial, "A thread is a worker that")
    );

    // The upstream failed before sending anything: the turn is kept, empty, as failed.
    let failed = store.begin_tutor_turn(&s.id).await.unwrap();
    let failed = store
        .finish_tutor_turn(&failed.id, TurnStatus::Failed, None, None)
        .await
        .unwrap();
    assert_eq!(
        (failed.status, failed.text.as_str(), failed.seq),
        (TurnStatus::Failed, "", 3)
    );

    let statuses: Vec<_> = store
        .turns(&s.id)
        .await
        .unwrap()
        .iter()
        .map(|t| t.status)
        .collect();
    assert_eq!(
        statuses,
        [
            TurnStatus::Complete,
            TurnStatus::Partial,
            TurnStatus::Failed
        ]
    );
}

pub async fn a_finished_turn_takes_no_more_text(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let reply = store.begin_tutor_turn(&s.id).await.unwrap();
    store
        .append_tutor_text(&reply.id, "Exactly.")
        .await
        .unwrap();
    store
        .finish_tutor_turn(&reply.id, TurnStatus::Complete, None, None)
        .await
        .unwrap();
    let late = store.append_tutor_text(&reply.id, " And more").await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
    let again = store
        .finish_tutor_turn(&reply.id, TurnStatus::Partial, None, None)
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let streaming = store
        .finish_tutor_turn(&reply.id, TurnStatus::Streaming, None, None)
        .await;
    assert!(matches!(streaming, Err(StoreError::Invalid(_))));
    let unknown = store
        .append_tutor_text(&klover_store::TurnId::new(), "x")
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound("turn"))));
    assert_eq!(store.turns(&s.id).await.unwrap()[0].text, "Exactly.");
}

pub async fn an_assessment_is_recorded_whole_or_not_at_all(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let turn = store
        .append_learner_turn(&s.id, "c-1", "Everything else pauses.")
        .await
        .unwrap()
        .turn;
    let cp = CheckpointId::parse("one-task-blocks-loop").unwrap();
    let score = |score| CheckpointScore {
        checkpoint: cp.clone(),
        score,
        evidence: Some((0, 23)),
    };
    let mut a = TurnAssessment {
        scores: vec![score(1.0)],
        misconceptions_shown: vec![MisconceptionId::parse("threads-always-parallel").unwrap()],
        mastery: vec![MasteryUpdate {
            checkpoint: cp.clone(),
            mastery: 0.95,
            stated_by_tutor: false,
        }],
        ..TurnAssessment::default()
    };
    // The same checkpoint twice breaks the primary key after everything else was written:
    // the whole transaction must roll back.
    a.scores.push(score(0.5));
    assert!(store.record_assessment(&turn.id, &a).await.is_err());
    let curriculum = CurriculumId::parse("async-python").unwrap();
    assert_eq!(
        store.learner_model(&ada.id, &curriculum).await.unwrap(),
        Default::default()
    );
    let t = store.load_transcript(&s.id).await.unwrap();
    assert!(t.turns[0].scores.is_empty() && t.turns[0].misconceptions.is_empty());

    a.scores.pop();
    store.record_assessment(&turn.id, &a).await.unwrap();
    let model = store.learner_model(&ada.id, &curriculum).await.unwrap();
    assert_eq!((model.mastery.len(), model.misconceptions.len()), (1, 1));
    let twice = store.record_assessment(&turn.id, &a).await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    let model_after = store.learner_model(&ada.id, &curriculum).await.unwrap();
    assert_eq!(
        model_after.misconceptions[0].times_seen, 1,
        "a refused record changes nothing"
    );

    let bad = TurnAssessment {
        scores: vec![score(1.5)],
        ..TurnAssessment::default()
    };
    assert!(matches!(
        store.record_assessment(&turn.id, &bad).await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn a_reply_delta_and_its_event_commit_together(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let other = session(store, &ada).await;
    let reply = store.begin_tutor_turn(&s.id).await.unwrap();
    let mut seqs = Vec::new();
    for delta in ["One heavy task ", "blocks the loop."] {
        let frame = format!(r#"{{"type":"tutor_delta","text":"{delta}"}}"#);
        seqs.push(
            store
                .append_tutor_delta(&s.id, &reply.id, delta, &frame)
                .await
                .unwrap(),
        );
    }
    assert_eq!(seqs, [1, 2]);
    let events = store.events_since(&s.id, 0).await.unwrap();
    assert_eq!(
        events[1].payload,
        r#"{"type":"tutor_delta","text":"blocks the loop."}"#
    );
    assert_eq!(
        store.turns(&s.id).await.unwrap()[0].text,
        "One heavy task blocks the loop."
    );

    // A delta for a turn of another session, or a finished turn, changes neither table.
    let wrong = store
        .append_tutor_delta(&other.id, &reply.id, "x", "{}")
        .await;
    assert!(wrong.is_err());
    store
        .finish_tutor_turn(&reply.id, TurnStatus::Complete, None, None)
        .await
        .unwrap();
    let late = store.append_tutor_delta(&s.id, &reply.id, "x", "{}").await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
    assert!(store.events_since(&other.id, 0).await.unwrap().is_empty());
    assert_eq!(store.events_since(&s.id, 0).await.unwrap().len(), 2);
    assert_eq!(
        store.turns(&s.id).await.unwrap()[0].text,
        "One heavy task blocks the loop."
    );
}

pub async fn a_whole_reply_and_its_events_commit_together(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let other = session(store, &ada).await;
    store
        .append_learner_turn(&s.id, "c-1", "Sync waits.")
        .await
        .unwrap();
    let seqs = store
        .append_events(&s.id, &[r#"{"type":"learner_ack"}"#.into()])
        .await;
    assert_eq!(seqs.unwrap(), [1]);

    let id = klover_store::TurnId::new();
    let events: Vec<String> = [
        r#"{"type":"tutor_delta","text":"One heavy task "}"#,
        r#"{"type":"tutor_delta","text":"blocks the loop."}"#,
        r#"{"type":"tutor_done"}"#,
        r#"{"type":"progress"}"#,
    ]
    .map(String::from)
    .to_vec();
    let (turn, seqs) = store
        .append_whole_tutor_turn(
            &s.id,
            &id,
            "One heavy task blocks the loop.",
            TurnStatus::Complete,
            Some(r#"{"kind":"ask"}"#),
            &events,
        )
        .await
        .unwrap();
    assert_eq!(seqs, [2, 3, 4, 5]);
    assert_eq!(turn.id, id);
    assert_eq!(turn.seq, 2);
    assert_eq!(turn.role, TurnRole::Tutor);
    assert_eq!(turn.status, TurnStatus::Complete);
    let stored = store.turns(&s.id).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[1].text, "One heavy task blocks the loop.");
    assert_eq!(stored[1].status, TurnStatus::Complete);
    assert_eq!(stored[1].move_json.as_deref(), Some(r#"{"kind":"ask"}"#));
    let log = store.events_since(&s.id, 1).await.unwrap();
    let payloads: Vec<_> = log.iter().map(|e| e.payload.clone()).collect();
    assert_eq!(payloads, events);
    // The stored turn is finished: it takes no more text, and a crash recovery leaves it.
    let late = store.append_tutor_text(&turn.id, "x").await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
    assert_eq!(store.recover_streaming_turns().await.unwrap(), 0);

    // The next events follow without a gap; nothing leaked into the other session.
    let next = store
        .append_events(&s.id, &["{}".into(), "{}".into()])
        .await
        .unwrap();
    assert_eq!(next, [6, 7]);
    assert!(store.append_events(&s.id, &[]).await.unwrap().is_empty());
    assert!(store.events_since(&other.id, 0).await.unwrap().is_empty());
    assert!(store.turns(&other.id).await.unwrap().is_empty());

    // A stopped reply stored whole keeps its text as partial; `streaming` is refused, and
    // a reused turn id rolls everything back (no turn, no event).
    let cut = klover_store::TurnId::new();
    let (row, _) = store
        .append_whole_tutor_turn(&s.id, &cut, "", TurnStatus::Partial, None, &[])
        .await
        .unwrap();
    assert_eq!(row.status, TurnStatus::Partial);
    let streaming = store
        .append_whole_tutor_turn(
            &s.id,
            &klover_store::TurnId::new(),
            "x",
            TurnStatus::Streaming,
            None,
            &[],
        )
        .await;
    assert!(
        matches!(streaming, Err(StoreError::Invalid(_))),
        "{streaming:?}"
    );
    let again = store
        .append_whole_tutor_turn(&s.id, &id, "x", TurnStatus::Complete, None, &["{}".into()])
        .await;
    assert!(again.is_err());
    assert_eq!(store.turns(&s.id).await.unwrap().len(), 3);
    assert_eq!(store.events_since(&s.id, 0).await.unwrap().len(), 7);
    // A session that does not exist takes nothing.
    let missing = klover_store::SessionId::new();
    let none = store
        .append_whole_tutor_turn(
            &missing,
            &klover_store::TurnId::new(),
            "x",
            TurnStatus::Complete,
            None,
            &[],
        )
        .await;
    assert!(matches!(none, Err(StoreError::NotFound(_))), "{none:?}");
}

pub async fn an_assessment_and_the_engine_state_commit_together(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let turn = store
        .append_learner_turn(&s.id, "c-1", "Everything else pauses.")
        .await
        .unwrap()
        .turn;
    let cp = CheckpointId::parse("one-task-blocks-loop").unwrap();
    let score = |score| CheckpointScore {
        checkpoint: cp.clone(),
        score,
        evidence: Some((0, 23)),
    };
    let mut a = TurnAssessment {
        scores: vec![score(1.0), score(0.5)],
        mastery: vec![MasteryUpdate {
            checkpoint: cp.clone(),
            mastery: 0.95,
            stated_by_tutor: false,
        }],
        ..TurnAssessment::default()
    };
    let next = klover_domain::ConceptId::parse("event-loop").unwrap();
    // A refused assessment (the same checkpoint twice) leaves the engine state as it was.
    let refused = store
        .record_assessment_and_state(&turn.id, &a, &next, r#"{"n":1}"#, 0)
        .await;
    assert!(refused.is_err());
    let row = store.get_session(&ada.id, &s.id).await.unwrap();
    assert_eq!(row.engine_state, s.engine_state);
    assert_eq!(row.current_concept, s.current_concept);

    a.scores.pop();
    store
        .record_assessment_and_state(&turn.id, &a, &next, r#"{"n":1}"#, 0)
        .await
        .unwrap();
    let row = store.get_session(&ada.id, &s.id).await.unwrap();
    assert_eq!(row.engine_state.as_deref(), Some(r#"{"n":1}"#));
    assert_eq!(row.current_concept, next);
    let curriculum = CurriculumId::parse("async-python").unwrap();
    let model = store.learner_model(&ada.id, &curriculum).await.unwrap();
    assert_eq!(model.mastery.len(), 1);

    // Twice is a conflict, and the state stays the first one.
    let twice = store
        .record_assessment_and_state(&turn.id, &a, &next, r#"{"n":2}"#, 1)
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    let row = store.get_session(&ada.id, &s.id).await.unwrap();
    assert_eq!(row.engine_state.as_deref(), Some(r#"{"n":1}"#));
    let missing = store
        .record_assessment_and_state(&klover_store::TurnId::new(), &a, &next, "{}", 1)
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

/// A long session (500 turns): the LLM's window is its last turns, loaded alone with a
/// count of the earlier ones; its event log pages through in order, every event once.
pub async fn a_long_session_reads_a_bounded_window_and_pages_its_log(db: &TestDb) {
    const EXCHANGES: usize = 250;
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    for i in 0..EXCHANGES {
        store
            .append_learner_turn(&s.id, &format!("c-{i}"), &format!("learner {i}"))
            .await
            .unwrap();
        let event = format!(r#"{{"type":"tutor_done","i":{i}}}"#);
        store
            .append_whole_tutor_turn(
                &s.id,
                &klover_store::TurnId::new(),
                &format!("tutor {i}"),
                TurnStatus::Complete,
                None,
                &[event],
            )
            .await
            .unwrap();
    }
    let (window, earlier) = store.recent_turns(&s.id, 40).await.unwrap();
    let texts: Vec<String> = window.iter().map(|t| t.text.clone()).collect();
    let expected: Vec<String> = (EXCHANGES - 20..EXCHANGES)
        .flat_map(|i| [format!("learner {i}"), format!("tutor {i}")])
        .collect();
    assert_eq!(texts, expected, "the last 40 turns, oldest first");
    assert_eq!(
        earlier, 460,
        "the 460 earlier turns are counted, not loaded"
    );
    let seqs: Vec<i64> = window.iter().map(|t| t.seq).collect();
    assert_eq!(seqs, (461..=500).collect::<Vec<i64>>());

    let mut paged = Vec::new();
    loop {
        let after = paged
            .last()
            .map_or(0, |e: &klover_store::StoredEvent| e.seq);
        let page = store.events_page(&s.id, after, 64).await.unwrap();
        assert!(page.len() <= 64, "a page holds at most its limit");
        let done = page.len() < 64;
        paged.extend(page);
        if done {
            break;
        }
    }
    assert_eq!(paged, store.events_since(&s.id, 0).await.unwrap());
    assert_eq!(
        paged.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=EXCHANGES as i64).collect::<Vec<_>>(),
        "every event once, in order"
    );
    let last = store.turn(&s.id, &window[39].id).await.unwrap().unwrap();
    assert_eq!(last.text, format!("tutor {}", EXCHANGES - 1));
}
