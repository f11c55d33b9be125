//! Reads bounded by one session: the learner's aha quotes for the voice's summary of the
//! turns its window leaves out (the latest few of one session, before a given turn, newest
//! first), a session's aha moments for its review cards, and where a new learning session
//! picks up.

use klover_domain::{CheckpointId, ConceptId, CurriculumId};
use klover_store::{Mode, NewAha, NewSession, SessionKind, TurnAssessment};

use crate::common::{TestDb, learner, session};

pub async fn the_latest_aha_quotes_before_the_window_are_read_newest_first(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let other = session(store, &ada).await;
    let aha = |quote: String| TurnAssessment {
        aha: vec![NewAha {
            checkpoint: Some(CheckpointId::parse("waiting-frees-worker").unwrap()),
            misconception: None,
            quote,
            trigger_move: "ask".into(),
        }],
        ..TurnAssessment::default()
    };
    let mut seqs = Vec::new();
    for i in 0..6 {
        let t = store
            .append_learner_turn(&s.id, &format!("m{i}"), &format!("turn {i}"))
            .await
            .unwrap();
        seqs.push(t.turn.seq);
        if i != 2 {
            store
                .record_assessment(&t.turn.id, &aha(format!("aha {i}")))
                .await
                .unwrap();
        }
    }
    let elsewhere = store
        .append_learner_turn(&other.id, "o", "other session")
        .await
        .unwrap();
    store
        .record_assessment(&elsewhere.turn.id, &aha("not this session".into()))
        .await
        .unwrap();

    let quotes = store
        .recent_aha_quotes(&ada.id, &s.id, seqs[5], 3)
        .await
        .unwrap();
    assert_eq!(quotes, ["aha 4", "aha 3", "aha 1"], "turn 2 had none");
    let quotes = store
        .recent_aha_quotes(&ada.id, &s.id, seqs[1], 3)
        .await
        .unwrap();
    assert_eq!(quotes, ["aha 0"], "only turns before the window");
    let none = store
        .recent_aha_quotes(&ada.id, &s.id, seqs[0], 3)
        .await
        .unwrap();
    assert!(none.is_empty());
}

pub async fn a_sessions_aha_moments_are_read_without_the_others(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let bob = learner(store, "bob").await;
    let s = session(store, &ada).await;
    let other = session(store, &ada).await;
    let bobs = session(store, &bob).await;
    let aha = |checkpoint: &str, quote: &str| TurnAssessment {
        aha: vec![NewAha {
            checkpoint: Some(CheckpointId::parse(checkpoint).unwrap()),
            misconception: None,
            quote: quote.into(),
            trigger_move: "probe".into(),
        }],
        ..TurnAssessment::default()
    };
    let said = [
        (&s, "first", "waiting-frees-worker"),
        (&other, "elsewhere", "event-loop"),
        (&s, "second", "await-yields"),
        (&bobs, "bob's", "waiting-frees-worker"),
        (&s, "no aha", ""),
    ];
    for (i, (session, quote, checkpoint)) in said.iter().enumerate() {
        let t = store
            .append_learner_turn(&session.id, &format!("m{i}"), quote)
            .await
            .unwrap();
        if !checkpoint.is_empty() {
            store
                .record_assessment(&t.turn.id, &aha(checkpoint, quote))
                .await
                .unwrap();
        }
    }

    let read = store.session_aha_moments(&ada.id, &s.id).await.unwrap();
    let quotes: Vec<_> = read.iter().map(|a| a.quote.as_str()).collect();
    assert_eq!(
        quotes,
        ["first", "second"],
        "oldest first, this session only"
    );
    assert!(read.iter().all(|a| a.session == s.id));
    assert_eq!(
        read[1].checkpoint,
        Some(CheckpointId::parse("await-yields").unwrap())
    );
    let not_hers = store.session_aha_moments(&ada.id, &bobs.id).await.unwrap();
    assert!(
        not_hers.is_empty(),
        "another learner's session: {not_hers:?}"
    );
}

pub async fn a_new_learning_session_picks_up_where_the_latest_left_off(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let curriculum = CurriculumId::parse("async-python").unwrap();
    let concept = |c: &str| ConceptId::parse(c).unwrap();
    assert_eq!(
        store
            .latest_learn_concept(&ada.id, &curriculum)
            .await
            .unwrap(),
        None
    );
    let older = session(store, &ada).await;
    let _newer = session(store, &ada).await;
    assert_eq!(
        store
            .latest_learn_concept(&ada.id, &curriculum)
            .await
            .unwrap(),
        Some(concept("sync-vs-async"))
    );
    // The older session is worked on last: it is the one picked up.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store
        .save_engine_state(&older.id, &concept("event-loop"), "{}", 0)
        .await
        .unwrap();
    assert_eq!(
        store
            .latest_learn_concept(&ada.id, &curriculum)
            .await
            .unwrap(),
        Some(concept("event-loop"))
    );
    // Review sessions and other curricula do not count, however recent.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let new = |curriculum: &str, kind| NewSession {
        learner: ada.id.clone(),
        curriculum: CurriculumId::parse(curriculum).unwrap(),
        curriculum_version: "1".into(),
        concept: concept("elsewhere"),
        mode: Mode::Offline,
        kind,
    };
    store
        .create_session(&new("async-python", SessionKind::Review))
        .await
        .unwrap();
    store
        .create_session(&new("rust-ownership", SessionKind::Learn))
        .await
        .unwrap();
    assert_eq!(
        store
            .latest_learn_concept(&ada.id, &curriculum)
            .await
            .unwrap(),
        Some(concept("event-loop"))
    );
    let bob = learner(store, "bob").await;
    assert_eq!(
        store
            .latest_learn_concept(&bob.id, &curriculum)
            .await
            .unwrap(),
        None
    );
}
