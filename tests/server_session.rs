//! End to end over real sockets, offline voice: a session's events, and the seed's
//! learner lines assessed exactly as the engine assesses them in process.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use klover_domain::engine;
use klover_domain::ids::CurriculumId;
use serde_json::Value;
use support::{assert_contiguous, find, seed_lines, session_id, spawn_app};

#[tokio::test]
async fn a_new_session_opens_with_a_question_streamed_in_deltas_then_progress() {
    let app = spawn_app().await;
    let mut c = app.client().await;
    let events = c.start("async-python", None).await;
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types.first(), Some(&"session"));
    assert_eq!(types.last(), Some(&"progress"));
    let deltas: String = events
        .iter()
        .filter(|e| e["type"] == "tutor_delta")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    let done = find(&events, "tutor_done").expect("tutor_done");
    assert_eq!(done["text"], Value::from(deltas.clone()));
    assert_eq!(done["status"], "complete");
    assert_eq!(done["move"], "ask");
    assert!(deltas.contains('?'), "the opening asks: {deltas}");
    let progress = find(&events, "progress").unwrap();
    assert!(progress["checkpoints"][0].get("statement").is_none());
    assert!(
        progress["checkpoints"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.get("title").is_none()),
        "nothing reached yet, so no checkpoint is named: {progress}"
    );
    assert_contiguous(&c.seqs);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_seed_learner_lines_over_the_socket_are_assessed_as_the_engine_replay_does() {
    let app = spawn_app().await;
    let curriculum =
        klover_store::curriculum_files::load_dir(&support::curriculum_dir().join("async-python"))
            .unwrap();
    assert_eq!(curriculum.id, CurriculumId::parse("async-python").unwrap());

    // The engine in process: the same path the server takes.
    let (mut state, opening) = engine::start(&curriculum, None).unwrap();
    let mut last_tutor = opening.offline_text.clone();

    let mut c = app.client().await;
    let opened = c.start("async-python", None).await;
    assert_eq!(
        find(&opened, "tutor_done").unwrap()["text"],
        Value::from(last_tutor.clone())
    );
    let session = session_id(&opened);

    for (i, line) in seed_lines().iter().enumerate() {
        let expected = engine::offline_turn(&curriculum, &mut state, line, Some(&last_tutor))
            .expect("the session's concept exists");
        let events = c.turn(line).await;
        let done = find(&events, "tutor_done").expect("a reply");
        let want_move = expected.plan.primary().map(|m| m.kind()).unwrap_or("ask");
        assert_eq!(done["move"], want_move, "turn {i}: {line}");
        assert_eq!(
            done["text"],
            Value::from(expected.offline_text.clone()),
            "turn {i}"
        );
        let progress = find(&events, "progress").unwrap();
        assert_eq!(
            progress["concept"],
            expected.progress.concept.as_str(),
            "turn {i}"
        );
        for (got, want) in progress["checkpoints"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&expected.progress.checkpoints)
        {
            assert_eq!(got["id"], want.id.as_str());
            assert_eq!(got["reached"], want.reached, "turn {i} {}", want.id);
            assert_eq!(
                got["title"].as_str(),
                want.title.as_deref(),
                "turn {i}: a title once reached, never before"
            );
            assert_eq!(
                got["evidence"].as_str(),
                want.evidence.as_deref(),
                "turn {i}"
            );
        }
        match (&expected.aha, find(&events, "aha")) {
            (None, None) => {}
            (Some(a), Some(got)) => {
                assert_eq!(got["quote"], a.quote.as_str(), "turn {i}");
                assert_eq!(
                    got["checkpoint"].as_str(),
                    a.checkpoint.as_ref().map(|c| c.as_str()),
                    "turn {i}"
                );
            }
            (want, got) => panic!("turn {i}: aha expected {want:?}, got {got:?}"),
        }
        assert_eq!(
            find(&events, "concept_advanced").map(|e| e["to"].as_str().unwrap().to_owned()),
            expected.advanced.as_ref().map(|(_, to)| to.to_string()),
            "turn {i}"
        );
        if let (Some(e), Some((from, _))) = (find(&events, "concept_advanced"), &expected.advanced)
        {
            let helped = curriculum
                .concept(from)
                .unwrap()
                .checkpoints
                .iter()
                .any(|k| !state.learner.is_mastered(&k.id));
            assert_eq!(
                e.get("with_help").and_then(Value::as_bool).unwrap_or(false),
                helped,
                "turn {i}: with_help says whether the tutor had to state part of it"
            );
        }
        last_tutor = expected.said_last().to_owned();

        // What was stored is what the engine scored.
        let id = klover_store::SessionId::parse(&session).unwrap();
        let transcript = app.store.load_transcript(&id).await.unwrap();
        let learner_turn = transcript
            .turns
            .iter()
            .filter(|t| t.turn.role == klover_store::TurnRole::Learner)
            .nth(i)
            .expect("the learner turn is stored");
        assert_eq!(learner_turn.turn.text, *line);
        for s in &learner_turn.scores {
            let want = expected.assessment.scores[&s.checkpoint].score;
            assert!(
                (s.score - want).abs() < 1e-9,
                "turn {i} {}: {} vs {want}",
                s.checkpoint,
                s.score
            );
        }
        assert_eq!(
            learner_turn.scores.len(),
            expected.assessment.scores.len(),
            "turn {i}"
        );
    }
    assert_contiguous(&c.seqs);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_concept_picker_api_lists_curricula_with_their_prerequisite_graph() {
    let app = spawn_app().await;
    let list: Value = reqwest::get(app.http("/api/curricula"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c = &list[0];
    assert_eq!(c["id"], "async-python");
    assert!(c["concepts"].as_array().unwrap().len() >= 7);
    assert!(!c["edges"].as_array().unwrap().is_empty());
    assert!(
        !list.to_string().contains("statement"),
        "no checkpoint texts"
    );
    let health = reqwest::get(app.http("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = reqwest::get(app.http("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_concepts_closing_and_the_next_opening_are_two_tutor_turns_with_the_divider_between() {
    let app = spawn_app().await;
    let mut c = app.client().await;
    let opened = c.start("async-python", Some("io-vs-cpu")).await;
    let session = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    let events = c.turn(&seed_lines()[3]).await;
    let at = |ty: &str| events.iter().position(|e| e["type"] == ty);
    let dones: Vec<usize> = (0..events.len())
        .filter(|&i| events[i]["type"] == "tutor_done")
        .collect();
    assert_eq!(dones.len(), 2, "{events:?}");
    let (closing, opening) = (&events[dones[0]], &events[dones[1]]);
    let advanced = at("concept_advanced").expect("the concept closes");
    assert!(
        dones[0] < advanced && advanced < dones[1],
        "the divider between: {events:?}"
    );
    assert_eq!(at("progress"), Some(events.len() - 1));
    assert_eq!(closing["move"], "advance");
    assert_eq!(opening["move"], "ask");
    assert_ne!(closing["turn_id"], opening["turn_id"]);
    let closing_text = closing["text"].as_str().unwrap();
    let title = events[advanced]["title"].as_str().unwrap();
    assert!(
        closing_text.ends_with(&format!("Next: {title}.")),
        "{closing_text}"
    );
    assert!(
        !closing_text.contains('?'),
        "the closing asks nothing: {closing_text}"
    );
    let opening_deltas: String = events
        .iter()
        .filter(|e| e["type"] == "tutor_delta" && e["turn_id"] == opening["turn_id"])
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(opening["text"], Value::from(opening_deltas));
    let stored = app.store.turns(&session).await.unwrap();
    let texts: Vec<&str> = stored
        .iter()
        .rev()
        .take(2)
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(texts, [opening["text"].as_str().unwrap(), closing_text]);
    app.stop().await.unwrap();
}

// The fault suite's fresh database per test (this binary uses its PostgreSQL side).
#[allow(dead_code)]
#[path = "faults/db.rs"]
mod db;

#[path = "server_session/continued.rs"]
mod continued;

#[path = "server_session/one_learner.rs"]
mod one_learner;
