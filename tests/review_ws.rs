//! A review session over the websocket, from a stored due card: answered well, the card
//! moves out by days and the session's export says "Review"; answered badly, it comes back
//! within a day. (`server_review.rs` covers cards made by a learning session.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use chrono::{Duration, Utc};
use klover_domain::{CheckpointId, CurriculumId};
use klover_store::{CardSource, ReviewCard};
use serde_json::json;
use support::{find, session_id, spawn_app};

const CHECKPOINT: &str = "cpu-task-blocks-loop";

/// Gives the server's `local` learner one card, due an hour ago.
async fn due_card(app: &support::TestApp) -> klover_store::LearnerId {
    let learner = match app.store.find_learner_by_name("local").await.unwrap() {
        Some(l) => l,
        None => app.store.create_learner("local").await.unwrap(),
    };
    app.store
        .upsert_review_card(&ReviewCard {
            learner: learner.id.clone(),
            curriculum: CurriculumId::parse("async-python").unwrap(),
            checkpoint: CheckpointId::parse(CHECKPOINT).unwrap(),
            memory: None,
            due_at: Utc::now() - Duration::hours(1),
            last_review_at: None,
            reps: 0,
            lapses: 0,
            source: CardSource::Aha,
        })
        .await
        .unwrap();
    learner.id
}

#[tokio::test]
async fn a_review_session_reprobes_the_due_card_and_reschedules_it() {
    let app = spawn_app().await;
    let learner = due_card(&app).await;
    let mut ws = app.client().await;
    ws.send(json!({"type": "start", "curriculum": "async-python", "mode": "review"}))
        .await;
    let opening = ws.until("progress").await;
    let session = find(&opening, "session").expect("a session event");
    assert_eq!(session["mode"], "review");
    assert_eq!(session["concept"], "event-loop", "the card's concept");
    let id = session_id(&opening);

    ws.turn(
        "A CPU-bound task never reaches a wait, so it blocks the single-threaded event loop: \
         everything else pauses.",
    )
    .await;

    let cards = app.store.review_cards(&learner).await.unwrap();
    let card = cards
        .iter()
        .find(|c| c.checkpoint.as_str() == CHECKPOINT)
        .unwrap();
    assert_eq!(card.reps, 1, "reviewed once");
    assert!(card.last_review_at.is_some());
    assert!(card.memory.is_some(), "FSRS state stored");
    assert!(
        card.due_at > Utc::now() + Duration::days(1),
        "answered well: moves out ({})",
        card.due_at
    );

    let md = reqwest::get(app.http(&format!("/api/sessions/{id}/export")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(md.contains("Review —"), "{md}");
    assert!(!md.contains("First exposure"), "{md}");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_review_answered_badly_comes_back_within_a_day() {
    let app = spawn_app().await;
    let learner = due_card(&app).await;
    let mut ws = app.client().await;
    ws.send(json!({"type": "start", "curriculum": "async-python", "mode": "review"}))
        .await;
    ws.until("progress").await;
    for answer in [
        "The loop just switches to another task.",
        "It keeps switching between tasks.",
        "The other tasks keep running too.",
    ] {
        ws.turn(answer).await;
    }
    let cards = app.store.review_cards(&learner).await.unwrap();
    let card = cards
        .iter()
        .find(|c| c.checkpoint.as_str() == CHECKPOINT)
        .unwrap();
    assert_eq!(card.lapses, 1);
    assert!(
        card.due_at <= Utc::now() + Duration::days(1),
        "{}",
        card.due_at
    );
    app.stop().await.unwrap();
}
