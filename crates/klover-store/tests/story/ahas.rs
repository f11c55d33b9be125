//! The learner's aha quotes for the voice's summary of the turns its window leaves out:
//! the latest few of one session, before a given turn, newest first.

use klover_domain::CheckpointId;
use klover_store::{NewAha, TurnAssessment};

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
