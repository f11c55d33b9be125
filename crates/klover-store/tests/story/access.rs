//! Whose is what: a learner reaches only their own sessions.

use klover_store::{Mode, NewSession, SessionKind, StoreError};

use crate::common::{TestDb, learner, session};

pub async fn a_learner_cannot_load_another_learners_session(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let bob = learner(store, "bob").await;
    let adas = session(store, &ada).await;
    store
        .append_learner_turn(&adas.id, "c-1", "my private answer")
        .await
        .unwrap();

    let refused = store.get_session(&bob.id, &adas.id).await;
    assert!(
        matches!(refused, Err(StoreError::Forbidden("session"))),
        "{refused:?}"
    );
    let unknown = store
        .get_session(&bob.id, &klover_store::SessionId::new())
        .await;
    assert!(
        matches!(unknown, Err(StoreError::NotFound("session"))),
        "{unknown:?}"
    );
    assert!(store.list_sessions(&bob.id).await.unwrap().is_empty());
    let transcript = store.load_transcript_for(&bob.id, &adas.id).await;
    assert!(
        matches!(transcript, Err(StoreError::Forbidden("session"))),
        "{transcript:?}"
    );
    let own = store.load_transcript_for(&ada.id, &adas.id).await.unwrap();
    assert_eq!(own.turns[0].turn.text, "my private answer");
    assert_eq!(
        store.get_session(&ada.id, &adas.id).await.unwrap().id,
        adas.id
    );

    // Tokens carry the learner, so the server checks with the right id.
    let token = store
        .create_api_token(klover_store::Role::Learner, Some(&bob.id), "")
        .await
        .unwrap();
    let grant = store.verify_api_token(&token).await.unwrap().unwrap();
    assert!(
        store
            .get_session(grant.learner.as_ref().unwrap(), &adas.id)
            .await
            .is_err()
    );

    assert_eq!(
        store.find_learner_by_name("bob").await.unwrap().unwrap().id,
        bob.id
    );
    assert!(matches!(
        store.create_learner("bob").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.create_learner("  ").await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn rows_must_point_at_existing_learners(db: &TestDb) {
    // Foreign keys are enforced (on SQLite too): no session for a learner who does not exist.
    let orphan = NewSession {
        learner: klover_store::LearnerId::new(),
        curriculum: klover_domain::CurriculumId::parse("async-python").unwrap(),
        curriculum_version: "1".into(),
        concept: klover_domain::ConceptId::parse("sync-vs-async").unwrap(),
        mode: Mode::Llm,
        kind: SessionKind::Review,
    };
    let err = db.store.create_session(&orphan).await;
    assert!(
        matches!(err, Err(StoreError::NotFound("learner"))),
        "{err:?}"
    );
}
