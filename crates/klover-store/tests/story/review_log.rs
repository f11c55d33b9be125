//! The review log and suspended cards: a review writes the card and its log row together;
//! an overrule rewrites that row (never a second one) and the card; a suspended card is
//! never due and keeps its flag through later card writes.

use chrono::{Duration, Utc};
use klover_domain::{CheckpointId, CurriculumId};
use klover_store::{
    CardMemory, CardSource, Grade, ReviewCard, ReviewEntry, ReviewId, StoreError, TurnId,
};

use crate::common::{TestDb, learner, session};

fn cp(s: &str) -> CheckpointId {
    CheckpointId::parse(s).unwrap()
}

fn curriculum() -> CurriculumId {
    CurriculumId::parse("async-python").unwrap()
}

/// A card never reviewed, due at `due_at`.
fn fresh_card(
    learner: &klover_store::LearnerId,
    checkpoint: &str,
    due_at: chrono::DateTime<Utc>,
    source: CardSource,
) -> ReviewCard {
    ReviewCard {
        learner: learner.clone(),
        curriculum: curriculum(),
        checkpoint: cp(checkpoint),
        memory: None,
        due_at,
        last_review_at: None,
        reps: 0,
        lapses: 0,
        source,
        suspended: false,
    }
}

pub async fn a_review_is_logged_once_and_an_overrule_rewrites_its_row(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let bob = learner(store, "bob").await;
    let s = session(store, &ada).await;
    let turn = TurnId::new();
    let now = Utc::now();
    let card = ReviewCard {
        learner: ada.id.clone(),
        curriculum: curriculum(),
        checkpoint: cp("loop-runs-one-task"),
        memory: Some(CardMemory {
            stability: 2.3,
            difficulty: 6.2,
        }),
        due_at: now + Duration::minutes(10),
        last_review_at: Some(now),
        reps: 2,
        lapses: 1,
        source: CardSource::Aha,
        suspended: false,
    };
    let entry = ReviewEntry {
        id: ReviewId::new(),
        learner: ada.id.clone(),
        curriculum: curriculum(),
        checkpoint: cp("loop-runs-one-task"),
        session: Some(s.id.clone()),
        turn: Some(turn.clone()),
        reviewed_at: now,
        grader_grade: Grade::Again,
        grade: Grade::Again,
        overruled: false,
        elapsed_days: 3,
        before: Some(CardMemory {
            stability: 4.0,
            difficulty: 5.0,
        }),
        after: CardMemory {
            stability: 2.3,
            difficulty: 6.2,
        },
    };
    store.record_review(&card, &entry).await.unwrap();
    // A first review has no state before: literal NULLs on both backends.
    let first = ReviewEntry {
        id: ReviewId::new(),
        checkpoint: cp("io-leaves-cpu-idle"),
        before: None,
        session: None,
        turn: None,
        ..entry.clone()
    };
    let first_card = ReviewCard {
        checkpoint: cp("io-leaves-cpu-idle"),
        ..card.clone()
    };
    store.record_review(&first_card, &first).await.unwrap();

    let back = store
        .review_entry(&ada.id, &entry.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.reviewed_at.timestamp_millis(), now.timestamp_millis());
    assert_eq!(
        ReviewEntry {
            reviewed_at: entry.reviewed_at,
            ..back.clone()
        },
        entry
    );
    assert_eq!(
        store.review_entry(&bob.id, &entry.id).await.unwrap(),
        None,
        "not bob's"
    );
    let of_turn = store.reviews_of_turn(&ada.id, &turn).await.unwrap();
    assert_eq!(
        of_turn.iter().map(|e| &e.id).collect::<Vec<_>>(),
        [&entry.id]
    );
    let log = store
        .review_log(&ada.id, now - Duration::days(30))
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log.iter().find(|e| e.id == first.id).unwrap().before, None);
    assert!(
        store
            .review_log(&ada.id, now + Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );

    // Overruled: the same row, with the learner's grade and the state after it.
    let overruled = ReviewEntry {
        grade: Grade::Good,
        overruled: true,
        after: CardMemory {
            stability: 9.5,
            difficulty: 4.8,
        },
        ..entry.clone()
    };
    let card_after = ReviewCard {
        memory: Some(overruled.after),
        due_at: now + Duration::days(9),
        lapses: 0,
        ..card.clone()
    };
    store
        .overrule_review(&card_after, &overruled)
        .await
        .unwrap();
    let log = store
        .review_log(&ada.id, now - Duration::days(30))
        .await
        .unwrap();
    assert_eq!(log.len(), 2, "an overrule adds no review");
    let row = log.iter().find(|e| e.id == entry.id).unwrap();
    assert_eq!(
        (row.grader_grade, row.grade, row.overruled),
        (Grade::Again, Grade::Good, true)
    );
    assert_eq!((row.before, row.after), (entry.before, overruled.after));
    let cards = store.review_cards(&ada.id).await.unwrap();
    let stored = cards
        .iter()
        .find(|c| c.checkpoint == card.checkpoint)
        .unwrap();
    assert_eq!((stored.memory, stored.lapses), (card_after.memory, 0));

    // Twice, or someone else's, or no such review: refused, nothing changed.
    let again = store.overrule_review(&card, &overruled).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let unknown = ReviewEntry {
        id: ReviewId::new(),
        ..overruled.clone()
    };
    let missing = store.overrule_review(&card, &unknown).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound("review"))),
        "{missing:?}"
    );
    let bobs = ReviewEntry {
        learner: bob.id.clone(),
        ..overruled.clone()
    };
    let foreign = store.overrule_review(&card, &bobs).await;
    assert!(
        matches!(foreign, Err(StoreError::NotFound("review"))),
        "{foreign:?}"
    );
    let cards = store.review_cards(&ada.id).await.unwrap();
    let stored = cards
        .iter()
        .find(|c| c.checkpoint == card.checkpoint)
        .unwrap();
    assert_eq!(
        stored.memory, card_after.memory,
        "a refused overrule writes no card"
    );
}

pub async fn a_suspended_card_is_never_due_and_keeps_its_state(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let now = Utc::now();
    let card = fresh_card(
        &ada.id,
        "loop-runs-one-task",
        now - Duration::hours(1),
        CardSource::Weak,
    );
    store.upsert_review_card(&card).await.unwrap();
    assert_eq!(store.due_cards(&ada.id, now).await.unwrap().len(), 1);

    store
        .set_card_suspended(&ada.id, &curriculum(), &card.checkpoint, true)
        .await
        .unwrap();
    assert!(store.due_cards(&ada.id, now).await.unwrap().is_empty());
    // A later write of the card's state (a reset, say) keeps it suspended.
    store.upsert_review_card(&card).await.unwrap();
    assert!(
        store
            .due_cards(&ada.id, now + Duration::days(400))
            .await
            .unwrap()
            .is_empty()
    );
    let all = store.review_cards(&ada.id).await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].suspended);
    assert_eq!(
        all[0].due_at.timestamp_millis(),
        card.due_at.timestamp_millis()
    );

    store
        .set_card_suspended(&ada.id, &curriculum(), &card.checkpoint, false)
        .await
        .unwrap();
    assert_eq!(store.due_cards(&ada.id, now).await.unwrap().len(), 1);
    let unknown = store
        .set_card_suspended(&ada.id, &curriculum(), &cp("no-such-card"), true)
        .await;
    assert!(
        matches!(unknown, Err(StoreError::NotFound(_))),
        "{unknown:?}"
    );
}

pub async fn a_turns_cards_and_reviews_are_stored_in_one_write_or_none(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let turn = TurnId::new();
    let now = Utc::now();
    let card = |checkpoint: &str, memory: Option<CardMemory>| ReviewCard {
        learner: ada.id.clone(),
        curriculum: curriculum(),
        checkpoint: cp(checkpoint),
        memory,
        due_at: now + Duration::days(1),
        last_review_at: memory.map(|_| now),
        reps: i64::from(memory.is_some()),
        lapses: 0,
        source: CardSource::Aha,
        suspended: false,
    };
    let reviewed = ReviewEntry {
        id: ReviewId::new(),
        learner: ada.id.clone(),
        curriculum: curriculum(),
        checkpoint: cp("loop-runs-one-task"),
        session: Some(s.id.clone()),
        turn: Some(turn.clone()),
        reviewed_at: now,
        grader_grade: Grade::Good,
        grade: Grade::Good,
        overruled: false,
        elapsed_days: 2,
        before: None,
        after: CardMemory {
            stability: 3.1,
            difficulty: 5.5,
        },
    };
    let memory = Some(reviewed.after);
    // A new card (no memory yet: literal NULLs) and a reviewed one with its log row.
    store
        .save_session_review_cards(
            &s.id,
            &[
                card("io-leaves-cpu-idle", None),
                card("loop-runs-one-task", memory),
            ],
            std::slice::from_ref(&reviewed),
        )
        .await
        .unwrap();
    let mut cards = store.review_cards(&ada.id).await.unwrap();
    cards.sort_by(|a, b| a.checkpoint.cmp(&b.checkpoint));
    assert_eq!(
        cards
            .iter()
            .map(|c| (c.checkpoint.as_str(), c.memory, c.reps))
            .collect::<Vec<_>>(),
        [
            ("io-leaves-cpu-idle", None, 0),
            ("loop-runs-one-task", memory, 1)
        ]
    );
    let back = store.reviews_of_turn(&ada.id, &turn).await.unwrap();
    assert_eq!(
        back.iter().map(|e| &e.id).collect::<Vec<_>>(),
        [&reviewed.id]
    );

    // A write that fails part-way (the same log row again) stores none of it: the card
    // before it in the write is not rescheduled.
    let moved = ReviewCard {
        due_at: now + Duration::days(9),
        ..card("io-leaves-cpu-idle", None)
    };
    let again = store
        .save_session_review_cards(&s.id, &[moved], std::slice::from_ref(&reviewed))
        .await;
    assert!(again.is_err(), "{again:?}");
    let after = store.review_cards(&ada.id).await.unwrap();
    let idle = after
        .iter()
        .find(|c| c.checkpoint.as_str() == "io-leaves-cpu-idle")
        .unwrap();
    assert_eq!(
        idle.due_at.timestamp_millis(),
        (now + Duration::days(1)).timestamp_millis()
    );
    assert_eq!(
        store.reviews_of_turn(&ada.id, &turn).await.unwrap().len(),
        1
    );

    // A card of a learner that does not exist: "learner not found", nothing stored.
    let ghost = ReviewCard {
        learner: klover_store::LearnerId::new(),
        ..card("gil-one-thread", None)
    };
    let missing = store.save_session_review_cards(&s.id, &[ghost], &[]).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound("learner"))),
        "{missing:?}"
    );
    assert_eq!(store.review_cards(&ada.id).await.unwrap().len(), 2);
}

/// A review answer's grading goes in its turn's assessment transaction: refused with the
/// assessment (a stale engine state), none of it is stored; stored, the card and its log
/// row are there with the assessment, and the turn cannot be graded twice.
pub async fn a_review_answers_grading_is_stored_with_its_assessment_or_not_at_all(db: &TestDb) {
    use klover_store::{CheckpointScore, Grading, Lease, TurnAssessment};
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let now = Utc::now();
    let before = fresh_card(
        &ada.id,
        "loop-runs-one-task",
        now - Duration::minutes(1),
        CardSource::Aha,
    );
    store.upsert_review_card(&before).await.unwrap();
    let lease = Lease {
        owner: "a",
        ttl: std::time::Duration::from_secs(3600),
    };
    let ack = |_: &TurnId| r#"{"type":"learner_ack"}"#.to_owned();
    let (asked, _) = store
        .acknowledge_learner_turn(&s.id, "c-1", "One task at a time.", lease, ack)
        .await
        .unwrap();
    let graded = ReviewCard {
        memory: Some(CardMemory {
            stability: 3.1,
            difficulty: 5.5,
        }),
        due_at: now + Duration::days(3),
        last_review_at: Some(now),
        reps: 1,
        ..before.clone()
    };
    let entry = ReviewEntry {
        id: ReviewId::new(),
        learner: ada.id.clone(),
        curriculum: curriculum(),
        checkpoint: cp("loop-runs-one-task"),
        session: Some(s.id.clone()),
        turn: Some(asked.turn.id.clone()),
        reviewed_at: now,
        grader_grade: Grade::Good,
        grade: Grade::Good,
        overruled: false,
        elapsed_days: 0,
        before: None,
        after: graded.memory.unwrap(),
    };
    let grading = Grading {
        cards: std::slice::from_ref(&graded),
        log: std::slice::from_ref(&entry),
    };
    let a = TurnAssessment {
        scores: vec![CheckpointScore {
            checkpoint: cp("loop-runs-one-task"),
            score: 1.0,
            evidence: Some((0, 19)),
        }],
        ..TurnAssessment::default()
    };
    let concept = klover_domain::ConceptId::parse("event-loop").unwrap();
    let record = |version: i64| {
        store.record_assessment_for_reply(
            &s.id,
            &asked.turn.id,
            &a,
            &concept,
            r#"{"n":1}"#,
            version,
            r#"{"plan":1}"#,
            None,
            grading,
        )
    };
    let stale = record(s.state_version + 7).await;
    assert!(matches!(stale, Err(StoreError::StaleState(_))), "{stale:?}");
    let cards = store.review_cards(&ada.id).await.unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!((cards[0].reps, cards[0].memory), (0, None), "not graded");
    assert!(
        store
            .reviews_of_turn(&ada.id, &asked.turn.id)
            .await
            .unwrap()
            .is_empty()
    );

    record(s.state_version).await.unwrap();
    let cards = store.review_cards(&ada.id).await.unwrap();
    assert_eq!(
        (cards[0].reps, cards[0].memory, cards[0].due_at.timestamp()),
        (1, graded.memory, graded.due_at.timestamp()),
        "graded with the assessment"
    );
    let logged = store
        .reviews_of_turn(&ada.id, &asked.turn.id)
        .await
        .unwrap();
    assert_eq!(
        logged.iter().map(|e| &e.id).collect::<Vec<_>>(),
        [&entry.id]
    );
    // The turn is assessed: recording it again (a retry) grades nothing twice.
    let twice = record(s.state_version + 1).await;
    assert!(twice.is_err(), "{twice:?}");
    assert_eq!(
        store
            .reviews_of_turn(&ada.id, &asked.turn.id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.review_cards(&ada.id).await.unwrap()[0].reps, 1);
}

/// The cards a learning session adds when a concept closes keep a card the learner already
/// has on the same checkpoint as it is (its schedule, reps and memory), and add the others.
pub async fn a_sessions_new_cards_keep_the_cards_the_learner_has(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let now = Utc::now();
    let reviewed = ReviewCard {
        memory: Some(CardMemory {
            stability: 9.5,
            difficulty: 4.0,
        }),
        last_review_at: Some(now),
        reps: 3,
        lapses: 1,
        ..fresh_card(
            &ada.id,
            "loop-runs-one-task",
            now + Duration::days(9),
            CardSource::Weak,
        )
    };
    store
        .save_session_review_cards(&s.id, std::slice::from_ref(&reviewed), &[])
        .await
        .unwrap();
    let again = fresh_card(&ada.id, "loop-runs-one-task", now, CardSource::Aha);
    let other = fresh_card(&ada.id, "await-is-pause-point", now, CardSource::Aha);
    store
        .add_session_review_cards(&s.id, &[again, other.clone()])
        .await
        .unwrap();
    let mut cards = store.review_cards(&ada.id).await.unwrap();
    cards.sort_by(|a, b| a.checkpoint.cmp(&b.checkpoint));
    assert_eq!(cards.len(), 2, "{cards:?}");
    let kept = cards
        .iter()
        .find(|c| c.checkpoint == reviewed.checkpoint)
        .unwrap();
    assert_eq!(kept.reps, 3);
    assert_eq!(kept.lapses, 1);
    assert_eq!(kept.source, CardSource::Weak);
    assert_eq!(kept.memory, reviewed.memory);
    assert_eq!(
        kept.due_at.timestamp_millis(),
        reviewed.due_at.timestamp_millis()
    );
    let added = cards
        .iter()
        .find(|c| c.checkpoint == other.checkpoint)
        .unwrap();
    assert_eq!(added.reps, 0);
    assert_eq!(added.source, CardSource::Aha);
}
