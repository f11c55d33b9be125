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
            suspended: false,
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

/// Every event until the next `review_graded` (or an `error`, for the refusals).
async fn answer_to_overrule(
    ws: &mut support::WsClient,
    review_id: &str,
    grade: &str,
) -> serde_json::Value {
    ws.send(json!({"type": "overrule", "review_id": review_id, "grade": grade}))
        .await;
    loop {
        let e = ws.next().await;
        if matches!(e["type"].as_str(), Some("review_graded" | "error")) {
            return e;
        }
    }
}

#[tokio::test]
async fn the_learner_overrules_the_graders_verdict_and_the_card_is_scheduled_as_they_said() {
    let app = spawn_app().await;
    let learner = due_card(&app).await;
    let mut ws = app.client().await;
    ws.send(json!({"type": "start", "curriculum": "async-python", "mode": "review"}))
        .await;
    ws.until("progress").await;
    // Three wrong tries: the tutor states the checkpoint, the grader says Again.
    let mut graded = Vec::new();
    for answer in [
        "The loop just switches to another task.",
        "It keeps switching between tasks.",
        "The other tasks keep running too.",
    ] {
        let events = ws.turn(answer).await;
        graded.extend(
            events
                .iter()
                .filter(|e| e["type"] == "review_graded")
                .cloned(),
        );
    }
    assert_eq!(
        graded.len(),
        1,
        "one verdict, on the turn that settled the card: {graded:?}"
    );
    let verdict = &graded[0];
    assert_eq!(verdict["checkpoint"], CHECKPOINT);
    assert_eq!(
        verdict["checkpoint_title"],
        "A CPU-bound task blocks the whole loop"
    );
    assert_eq!(
        (&verdict["grader_grade"], &verdict["grade"]),
        (&json!("again"), &json!("again"))
    );
    assert_eq!(verdict["overruled"], false);
    assert!(verdict["seq"].is_u64(), "stored with the turn: {verdict}");
    let review_id = verdict["review_id"].as_str().unwrap().to_owned();

    // Not the latest review: the card was reset since.
    let before = app.store.review_cards(&learner).await.unwrap()[0].clone();
    let reset = ReviewCard {
        memory: None,
        last_review_at: None,
        reps: 0,
        lapses: 0,
        due_at: Utc::now(),
        ..before.clone()
    };
    app.store.upsert_review_card(&reset).await.unwrap();
    let refused = answer_to_overrule(&mut ws, &review_id, "good").await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["code"], "bad_request");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("not the latest review"),
        "{refused}"
    );
    app.store.upsert_review_card(&before).await.unwrap();

    // Unknown review, unknown grade: clear errors.
    let unknown = answer_to_overrule(&mut ws, "0190a8a4-0000-7000-8000-000000000000", "good").await;
    assert_eq!(
        (&unknown["type"], &unknown["code"]),
        (&json!("error"), &json!("not_found"))
    );
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("no such review"),
        "{unknown}"
    );
    let bad = answer_to_overrule(&mut ws, &review_id, "perfect").await;
    assert_eq!(bad["code"], "bad_request");
    assert!(
        bad["message"]
            .as_str()
            .unwrap()
            .contains("use again, hard, good or easy"),
        "{bad}"
    );

    // Overruled as Good: the same review, rescheduled as FSRS schedules Good.
    let regraded = answer_to_overrule(&mut ws, &review_id, "good").await;
    assert_eq!(regraded["type"], "review_graded", "{regraded}");
    assert_eq!(regraded["review_id"], review_id.as_str());
    assert_eq!(
        (&regraded["grader_grade"], &regraded["grade"]),
        (&json!("again"), &json!("good"))
    );
    assert_eq!(regraded["overruled"], true);
    assert!(regraded["seq"].is_u64(), "in the session's log: {regraded}");
    let cards = app.store.review_cards(&learner).await.unwrap();
    let card = &cards[0];
    assert_eq!(
        (card.reps, card.lapses),
        (1, 0),
        "one review, no lapse left"
    );
    assert!(
        card.due_at > Utc::now() + Duration::days(1),
        "{}",
        card.due_at
    );
    let next =
        chrono::DateTime::parse_from_rfc3339(regraded["next_due_at"].as_str().unwrap()).unwrap();
    assert_eq!(next, card.due_at);
    // The learner's next card of the curriculum after the regrade (what `review_complete`
    // said before it): the only card, so the same date.
    assert_eq!(
        regraded["curriculum_next_due_at"], regraded["next_due_at"],
        "{regraded}"
    );
    assert_eq!(
        verdict["curriculum_next_due_at"], verdict["next_due_at"],
        "the grader's verdict says it too: {verdict}"
    );
    let log = app
        .store
        .review_log(&learner, Utc::now() - Duration::days(1))
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "an overrule adds no review");
    assert_eq!(
        (log[0].grader_grade, log[0].grade, log[0].overruled),
        (klover_store::Grade::Again, klover_store::Grade::Good, true)
    );
    let twice = answer_to_overrule(&mut ws, &review_id, "easy").await;
    assert_eq!(twice["code"], "bad_request");
    assert!(
        twice["message"]
            .as_str()
            .unwrap()
            .contains("already overruled"),
        "{twice}"
    );

    // Retention counts the review as the learner graded it.
    let stats: serde_json::Value = reqwest::get(app.http("/api/review/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &stats["reviews"],
            &stats["forgotten"],
            &stats["overruled"],
            &stats["passed"]
        ),
        (&json!(1), &json!(0), &json!(1), &json!(1.0)),
        "{stats}"
    );
    app.stop().await.unwrap();
}
