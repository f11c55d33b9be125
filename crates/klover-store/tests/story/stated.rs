//! Checkpoints the tutor had to state (the `assert` move): recorded with the turn, and
//! kept when the learner masters the checkpoint later; stored mastery never goes down.

use klover_domain::{CheckpointId, CurriculumId};
use klover_store::{CheckpointScore, LearnerId, MasteryRow, MasteryUpdate, Store, TurnAssessment};

use crate::common::{TestDb, learner, session};

fn cp(s: &str) -> CheckpointId {
    CheckpointId::parse(s).unwrap()
}

fn update(checkpoint: &str, mastery: f64, stated_by_tutor: bool) -> MasteryUpdate {
    MasteryUpdate {
        checkpoint: cp(checkpoint),
        mastery,
        stated_by_tutor,
    }
}

/// `(checkpoint, mastery, stated_by_tutor)` of every stored row, by checkpoint.
async fn rows(store: &Store, who: &LearnerId) -> Vec<(String, f64, bool)> {
    let curriculum = CurriculumId::parse("async-python").unwrap();
    let model = store.learner_model(who, &curriculum).await.unwrap();
    model
        .mastery
        .iter()
        .map(
            |MasteryRow {
                 checkpoint,
                 mastery,
                 stated_by_tutor,
                 ..
             }| { (checkpoint.to_string(), *mastery, *stated_by_tutor) },
        )
        .collect()
}

pub async fn a_checkpoint_the_tutor_stated_stays_recorded(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let bob = learner(store, "bob").await;

    // Ada fails `io-leaves-cpu-idle` a second time: the tutor states it in reply.
    let s = session(store, &ada).await;
    let turn = store
        .append_learner_turn(&s.id, "c-1", "No idea, sorry.")
        .await
        .unwrap()
        .turn;
    let score = |checkpoint: &str| CheckpointScore {
        checkpoint: cp(checkpoint),
        score: 0.0,
        evidence: None,
    };
    let mut a = TurnAssessment {
        scores: vec![score("io-leaves-cpu-idle"), score("waiting-frees-worker")],
        mastery: vec![
            update("io-leaves-cpu-idle", 0.1, true),
            update("waiting-frees-worker", 0.2, false),
        ],
        ..TurnAssessment::default()
    };
    // Recorded with the turn or not at all: a refused record states nothing.
    a.scores.push(score("io-leaves-cpu-idle"));
    assert!(store.record_assessment(&turn.id, &a).await.is_err());
    assert_eq!(rows(store, &ada.id).await, vec![]);
    a.scores.pop();
    store.record_assessment(&turn.id, &a).await.unwrap();
    assert_eq!(
        rows(store, &ada.id).await,
        vec![
            ("io-leaves-cpu-idle".into(), 0.1, true),
            ("waiting-frees-worker".into(), 0.2, false),
        ]
    );

    // In a later session she states it herself: her mastery is stored, the tutor's
    // statement is not forgotten.
    let later = session(store, &ada).await;
    let turn = store
        .append_learner_turn(&later.id, "c-2", "The CPU sits idle while it waits.")
        .await
        .unwrap()
        .turn;
    let mastered = TurnAssessment {
        mastery: vec![
            update("io-leaves-cpu-idle", 0.97, false),
            update("waiting-frees-worker", 0.96, false),
        ],
        ..TurnAssessment::default()
    };
    store.record_assessment(&turn.id, &mastered).await.unwrap();
    assert_eq!(
        rows(store, &ada.id).await,
        vec![
            ("io-leaves-cpu-idle".into(), 0.97, true),
            ("waiting-frees-worker".into(), 0.96, false),
        ]
    );

    // Stating a checkpoint again, with the lower mastery of a new session's model (which
    // starts from the prior), lowers nothing: the stored mastery is the highest she reached.
    // And it is Ada's alone.
    let turn = store
        .append_learner_turn(&later.id, "c-3", "Hmm.")
        .await
        .unwrap()
        .turn;
    let again = TurnAssessment {
        mastery: vec![update("io-leaves-cpu-idle", 0.9, true)],
        ..TurnAssessment::default()
    };
    store.record_assessment(&turn.id, &again).await.unwrap();
    assert_eq!(
        rows(store, &ada.id).await[0],
        ("io-leaves-cpu-idle".into(), 0.97, true)
    );
    assert_eq!(rows(store, &bob.id).await, vec![]);
}
