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
    let p = find(&opening, "progress").unwrap();
    assert_eq!(
        p["review"],
        json!({"checkpoints": [CHECKPOINT], "reviewed": 0}),
        "a review's progress says what is under review: {p}"
    );

    let end = ws
        .turn(
            "A CPU-bound task never reaches a wait, so it blocks the single-threaded event loop: \
             everything else pauses.",
        )
        .await;
    let types: Vec<&str> = end.iter().filter_map(|e| e["type"].as_str()).collect();
    assert!(
        !types.contains(&"curriculum_complete"),
        "a review is not the end of the path: {types:?}"
    );
    let said = find(&end, "tutor_done").unwrap()["text"].as_str().unwrap();
    assert!(!said.contains("whole path"), "{said}");
    assert!(said.contains("every card that was due"), "{said}");
    let done = find(&end, "review_complete").expect("review_complete at the end");
    assert_eq!(done["curriculum"], "async-python");
    assert_eq!(done["reviewed"], 1);
    let ended = find(&end, "session_ended").expect("session_ended at the end");
    assert_eq!(ended["session_id"], id.as_str());
    assert_eq!(
        types.last(),
        Some(&"progress"),
        "progress still closes the turn"
    );
    let p = end.last().unwrap();
    assert_eq!(p["review"]["reviewed"], 1, "{p}");

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
    let next = chrono::DateTime::parse_from_rfc3339(done["next_due_at"].as_str().unwrap()).unwrap();
    assert_eq!(next, card.due_at, "the next review is the store's");

    // Resuming the finished session says it is over.
    let mut again = app.client().await;
    again
        .send(json!({"type": "resume", "session_id": id, "last_seq": 0}))
        .await;
    let replay = again.until("resumed").await;
    assert!(find(&replay, "session_ended").is_some(), "replayed");
    assert_eq!(replay.last().unwrap()["ended"], true);

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
