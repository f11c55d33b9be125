//! A session from first turn to transcript, and what outlives it.

use chrono::{Duration, Utc};
use klover_domain::{CheckpointId, CurriculumId, MisconceptionId};
use klover_store::{
    CardMemory, CardSource, CheckpointScore, MasteryUpdate, NewAha, ReviewCard, Role,
    TurnAssessment, TurnRole, TurnStatus, Usage,
};

use crate::common::{TestDb, learner, raw_connection, session};

fn cp(s: &str) -> CheckpointId {
    CheckpointId::parse(s).unwrap()
}

fn mc(s: &str) -> MisconceptionId {
    MisconceptionId::parse(s).unwrap()
}

pub async fn a_session_lives_from_first_turn_to_transcript(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;

    let first = store
        .append_learner_turn(
            &s.id,
            "m1",
            "Async lets a worker attend to another task while waiting.",
        )
        .await
        .unwrap();
    assert!(first.new);
    assert_eq!((first.turn.seq, first.turn.role), (1, TurnRole::Learner));
    store
        .record_assessment(
            &first.turn.id,
            &TurnAssessment {
                scores: vec![
                    CheckpointScore {
                        checkpoint: cp("waiting-frees-worker"),
                        score: 0.8,
                        evidence: Some((6, 40)),
                    },
                    CheckpointScore {
                        checkpoint: cp("io-leaves-cpu-idle"),
                        score: 0.0,
                        evidence: None,
                    },
                ],
                misconceptions_shown: vec![mc("async-always-faster")],
                mastery: vec![MasteryUpdate {
                    checkpoint: cp("waiting-frees-worker"),
                    mastery: 0.7,
                    stated_by_tutor: false,
                }],
                aha: vec![NewAha {
                    checkpoint: Some(cp("waiting-frees-worker")),
                    misconception: None,
                    quote: "attend to another task while waiting".into(),
                    trigger_move: "ask_explain".into(),
                }],
                ..TurnAssessment::default()
            },
        )
        .await
        .unwrap();

    let reply = store.begin_tutor_turn(&s.id).await.unwrap();
    assert_eq!((reply.seq, reply.status), (2, TurnStatus::Streaming));
    for delta in [
        "Solid foundation. ",
        "But what is that ",
        "\"worker\" in practice?",
    ] {
        store.append_tutor_text(&reply.id, delta).await.unwrap();
    }
    let usage = Usage {
        prompt_tokens: 412,
        completion_tokens: 23,
    };
    let done = store
        .finish_tutor_turn(
            &reply.id,
            TurnStatus::Complete,
            Some(r#"{"kind":"pump"}"#),
            Some(usage),
        )
        .await
        .unwrap();
    assert_eq!(
        done.text,
        "Solid foundation. But what is that \"worker\" in practice?"
    );
    assert_eq!(done.status, TurnStatus::Complete);
    assert_eq!(done.usage, Some(usage));

    let concept = klover_domain::ConceptId::parse("io-bound-vs-cpu-bound").unwrap();
    store
        .save_engine_state(&s.id, &concept, r#"{"v":1,"turns":2}"#, 0)
        .await
        .unwrap();
    store.end_session(&s.id).await.unwrap();

    let resumed = store.get_session(&ada.id, &s.id).await.unwrap();
    assert_eq!(
        resumed.engine_state.as_deref(),
        Some(r#"{"v":1,"turns":2}"#)
    );
    assert_eq!(resumed.current_concept, concept);
    assert!(resumed.ended_at.is_some());

    let list = store.list_sessions(&ada.id).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].id.clone(), list[0].turn_count), (s.id.clone(), 2));

    let t = store.load_transcript(&s.id).await.unwrap();
    assert_eq!(t.session.id, s.id);
    assert_eq!(t.turns.len(), 2);
    let learner_turn = &t.turns[0];
    assert_eq!(learner_turn.turn.client_message_id.as_deref(), Some("m1"));
    assert_eq!(learner_turn.scores.len(), 2);
    let earned = learner_turn
        .scores
        .iter()
        .find(|s| s.checkpoint == cp("waiting-frees-worker"))
        .unwrap();
    assert_eq!((earned.score, earned.evidence), (0.8, Some((6, 40))));
    assert_eq!(learner_turn.misconceptions, vec![mc("async-always-faster")]);
    assert_eq!(learner_turn.aha.len(), 1);
    assert_eq!(
        learner_turn.aha[0].quote,
        "attend to another task while waiting"
    );
    assert_eq!(learner_turn.aha[0].session, s.id);
    assert_eq!(t.turns[1].turn, done);
    assert!(t.turns[1].scores.is_empty() && t.turns[1].aha.is_empty());
}

pub async fn the_learner_model_outlives_the_session(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let curriculum = CurriculumId::parse("async-python").unwrap();
    let wrong = mc("async-always-faster");
    for (i, (mastery, shown, resolved)) in
        [(0.3, true, false), (0.6, true, false), (0.9, false, true)]
            .into_iter()
            .enumerate()
    {
        let s = session(store, &ada).await; // a new session each time
        let turn = store
            .append_learner_turn(&s.id, "m", &format!("answer {i}"))
            .await
            .unwrap()
            .turn;
        let a = TurnAssessment {
            misconceptions_shown: if shown { vec![wrong.clone()] } else { vec![] },
            misconceptions_resolved: if resolved {
                vec![wrong.clone()]
            } else {
                vec![]
            },
            mastery: vec![MasteryUpdate {
                checkpoint: cp("io-leaves-cpu-idle"),
                mastery,
                stated_by_tutor: false,
            }],
            ..TurnAssessment::default()
        };
        store.record_assessment(&turn.id, &a).await.unwrap();
    }
    let model = store.learner_model(&ada.id, &curriculum).await.unwrap();
    assert_eq!(model.mastery.len(), 1);
    assert_eq!(model.mastery[0].mastery, 0.9);
    assert_eq!(model.misconceptions.len(), 1);
    assert_eq!(
        (
            model.misconceptions[0].times_seen,
            model.misconceptions[0].active
        ),
        (2, false)
    );
    let other = CurriculumId::parse("rust-ownership").unwrap();
    assert_eq!(
        store.learner_model(&ada.id, &other).await.unwrap(),
        Default::default()
    );
}

pub async fn review_cards_come_due(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let now = Utc::now();
    let card = |checkpoint: &str, due_in_days: i64| ReviewCard {
        learner: ada.id.clone(),
        curriculum: CurriculumId::parse("async-python").unwrap(),
        checkpoint: cp(checkpoint),
        memory: None,
        due_at: now + Duration::days(due_in_days),
        last_review_at: None,
        reps: 0,
        lapses: 0,
        source: CardSource::Aha,
        suspended: false,
    };
    store
        .upsert_review_card(&card("event-loop-single-chef", 1))
        .await
        .unwrap();
    store
        .upsert_review_card(&card("io-leaves-cpu-idle", -1))
        .await
        .unwrap();
    let due = store.due_cards(&ada.id, now).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].checkpoint, cp("io-leaves-cpu-idle"));

    // Reviewed: the same card gets a memory state and moves out; the other comes due.
    let mut reviewed = due[0].clone();
    reviewed.memory = Some(CardMemory {
        stability: 3.2,
        difficulty: 5.1,
    });
    reviewed.reps = 1;
    reviewed.last_review_at = Some(now);
    reviewed.due_at = now + Duration::days(3);
    store.upsert_review_card(&reviewed).await.unwrap();
    let later = store
        .due_cards(&ada.id, now + Duration::days(2))
        .await
        .unwrap();
    assert_eq!(
        later
            .iter()
            .map(|c| c.checkpoint.as_str())
            .collect::<Vec<_>>(),
        ["event-loop-single-chef"]
    );
    let all = store.review_cards(&ada.id).await.unwrap();
    assert_eq!(all.len(), 2);
    let back = all
        .iter()
        .find(|c| c.checkpoint == cp("io-leaves-cpu-idle"))
        .unwrap();
    assert_eq!(back.memory, reviewed.memory);
    assert_eq!(
        back.due_at.timestamp_millis(),
        reviewed.due_at.timestamp_millis()
    );
    assert_eq!(back.reps, 1);
}

pub async fn events_replay_from_any_seq(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let other = session(store, &ada).await;
    for i in 1..=5 {
        let seq = store
            .append_event(&s.id, &format!(r#"{{"type":"tutor_delta","n":{i}}}"#))
            .await
            .unwrap();
        assert_eq!(seq, i);
    }
    assert_eq!(
        store.append_event(&other.id, "{}").await.unwrap(),
        1,
        "seqs are per session"
    );
    let missed = store.events_since(&s.id, 3).await.unwrap();
    assert_eq!(missed.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5]);
    assert_eq!(missed[1].payload, r#"{"type":"tutor_delta","n":5}"#);
    assert_eq!(store.events_since(&s.id, 5).await.unwrap(), vec![]);
    assert_eq!(store.events_since(&s.id, 0).await.unwrap().len(), 5);
}

pub async fn api_tokens_are_stored_hashed_and_can_be_revoked(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let token = store
        .create_api_token(Role::Learner, Some(&ada.id), "laptop")
        .await
        .unwrap();
    assert!(token.starts_with("klv_") && token.len() > 40);
    let grant = store.verify_api_token(&token).await.unwrap().unwrap();
    assert_eq!(
        (grant.role, grant.learner),
        (Role::Learner, Some(ada.id.clone()))
    );
    assert_eq!(store.verify_api_token("klv_guess").await.unwrap(), None);

    let stored: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM api_tokens WHERE token_sha256 = '{token}'"
    )))
    .fetch_one(&mut raw_connection(&db.url).await)
    .await
    .unwrap();
    assert_eq!(stored, 0, "the token itself is never stored");

    let author = store
        .create_api_token(Role::Author, None, "ci")
        .await
        .unwrap();
    assert_eq!(
        store
            .verify_api_token(&author)
            .await
            .unwrap()
            .unwrap()
            .learner,
        None
    );
    assert!(
        store
            .create_api_token(Role::Learner, None, "")
            .await
            .is_err()
    );

    assert!(store.revoke_api_token(&token).await.unwrap());
    assert!(!store.revoke_api_token(&token).await.unwrap());
    assert_eq!(store.verify_api_token(&token).await.unwrap(), None);
}
