//! Spaced review over the websocket: finishing a concept makes review cards, and a review
//! session re-probes a due card and reschedules it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use chrono::{Duration, Utc};
use serde_json::json;
use support::{find, spawn_app};

#[tokio::test]
async fn a_review_session_re_probes_a_due_card_and_reschedules_it() {
    let app = spawn_app().await;
    let mut c = app.client().await;
    c.start("async-python", None).await;
    let mut advanced = false;
    for line in support::seed_lines().iter().take(3) {
        advanced |= find(&c.turn(line).await, "concept_advanced").is_some();
    }
    assert!(advanced, "the first concept is done");
    let learner = app
        .store
        .find_learner_by_name("local")
        .await
        .unwrap()
        .unwrap()
        .id;
    let cards = app.store.review_cards(&learner).await.unwrap();
    let aha = cards
        .iter()
        .find(|c| c.checkpoint.as_str() == "io-leaves-cpu-idle")
        .expect("the aha moment became a card");
    assert_eq!(aha.source, klover_store::CardSource::Aha);

    // Make only that card due now.
    for card in &cards {
        let mut card = card.clone();
        card.due_at = if card.checkpoint == aha.checkpoint {
            Utc::now() - Duration::minutes(1)
        } else {
            Utc::now() + Duration::days(3)
        };
        app.store.upsert_review_card(&card).await.unwrap();
    }

    let mut r = app.client().await;
    r.send(json!({"type": "start", "curriculum": "async-python", "mode": "review"}))
        .await;
    let opened = r.until("progress").await;
    assert_eq!(find(&opened, "session").unwrap()["mode"], "review");
    assert_eq!(
        find(&opened, "session").unwrap()["concept"],
        "sync-vs-async"
    );
    r.turn("The job itself doesn't require the worker: the CPU has nothing to do while it waits for the network.")
        .await;
    let after = app.store.review_cards(&learner).await.unwrap();
    let card = after
        .iter()
        .find(|c| c.checkpoint == aha.checkpoint)
        .unwrap();
    assert_eq!(card.reps, 1, "reviewed once");
    assert!(
        card.due_at > Utc::now(),
        "rescheduled into the future: {:?}",
        card.due_at
    );
    assert!(card.memory.is_some());
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_review_with_nothing_due_says_so() {
    let app = spawn_app().await;
    let mut c = app.client().await;
    c.send(json!({"type": "start", "curriculum": "async-python", "mode": "review"}))
        .await;
    let e = c.until("error").await.pop().unwrap();
    assert_eq!(e["code"], "not_found");
    assert!(e["message"].as_str().unwrap().contains("nothing is due"));
    app.stop().await.unwrap();
}
