//! A concept closed with the tutor's help: the learner cannot state a checkpoint, the tutor
//! states it (`assert`) and the session moves on. `GET /api/curricula` must then call that
//! concept `covered` (not `mastered`), so the concept the session moved on to can be
//! started from the graph in a new session; and a later mastery keeps the record. A
//! checkpoint an authored answer states is stored the same way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use klover_domain::CurriculumId;
use klover_store::LearnerId;
use serde_json::Value;
use support::{TestApp, find, spawn_app};

const CURRICULUM: &str = "async-python";
const FIRST: &str = "sync-vs-async";
const NEXT: &str = "io-vs-cpu";
/// The checkpoint the learner cannot state (the first one the tutor probes).
const STATED: &str = "sync-waits-for-completion";

/// Three turns without an answer (the reply to the opening, then two failed probes of
/// [`STATED`]) make the offline tutor state it; the other three lines are credited by the
/// rubric for the concept's other checkpoints (checked with `klover replay`).
const STUCK: [&str; 3] = ["I have no idea.", "I don't know, sorry.", "Still no idea."];
const THE_REST: [&str; 3] = [
    "With async the worker can attend to other tasks while it is waiting.",
    "Something must schedule the tasks and decide what runs next.",
    "The CPU sits idle while it waits for the network reply.",
];

async fn concepts(app: &TestApp) -> Vec<Value> {
    let resp = reqwest::get(app.http("/api/curricula")).await.unwrap();
    assert_eq!(resp.status(), 200);
    let list: Value = resp.json().await.unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == CURRICULUM)
        .unwrap()["concepts"]
        .as_array()
        .unwrap()
        .clone()
}

fn concept<'a>(list: &'a [Value], id: &str) -> &'a Value {
    list.iter().find(|c| c["id"] == id).unwrap()
}

/// Whether the stored learner model says the tutor stated `checkpoint`.
async fn stated_in_store(app: &TestApp, checkpoint: &str) -> bool {
    let local: LearnerId = app
        .store
        .find_learner_by_name("local")
        .await
        .unwrap()
        .unwrap()
        .id;
    let model = app
        .store
        .learner_model(&local, &CurriculumId::parse(CURRICULUM).unwrap())
        .await
        .unwrap();
    model
        .mastery
        .iter()
        .find(|m| m.checkpoint.as_str() == checkpoint)
        .unwrap_or_else(|| panic!("no stored row for {checkpoint}"))
        .stated_by_tutor
}

#[tokio::test]
async fn a_concept_the_tutor_had_to_help_with_is_covered_and_opens_the_next_one() {
    let app = spawn_app().await;
    let mut ws = app.client().await;
    ws.start(CURRICULUM, Some(FIRST)).await;
    let mut moves = Vec::new();
    for line in STUCK {
        let events = ws.turn(line).await;
        moves.push(find(&events, "tutor_done").unwrap()["move"].clone());
    }
    assert_eq!(moves.last().unwrap(), "assert", "{moves:?}");
    let progress = find(&ws.turn(THE_REST[0]).await, "progress")
        .unwrap()
        .clone();
    let stated = progress["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == STATED)
        .unwrap();
    assert_eq!(stated["stated_by_tutor"], true, "{progress}");
    let mut advanced = None;
    for line in &THE_REST[1..] {
        advanced = advanced.or(find(&ws.turn(line).await, "concept_advanced").cloned());
    }
    let advanced = advanced.expect("the session moves on once every checkpoint is done");
    assert_eq!(
        (&advanced["from"], &advanced["to"]),
        (&FIRST.into(), &NEXT.into())
    );
    assert_eq!(
        advanced["with_help"], true,
        "the clients say 'covered with help', not 'mastered': {advanced}"
    );

    let list = concepts(&app).await;
    let first = concept(&list, FIRST);
    assert_eq!(first["covered"], true, "{first}");
    assert_eq!(
        first["mastered"], false,
        "the tutor stated part of it: {first}"
    );
    let next = concept(&list, NEXT);
    assert_eq!(
        (&next["covered"], &next["mastered"]),
        (&false.into(), &false.into())
    );
    // The client's rule for "available": every prerequisite mastered or covered.
    for p in next["prerequisites"].as_array().unwrap() {
        assert_eq!(concept(&list, p.as_str().unwrap())["covered"], true, "{p}");
    }
    assert!(stated_in_store(&app, STATED).await);

    // A new session starts on the next concept, as the graph now offers.
    let mut fresh = app.client().await;
    let opening = fresh.start(CURRICULUM, Some(NEXT)).await;
    assert_eq!(find(&opening, "session").unwrap()["concept"], NEXT);
    assert_eq!(find(&opening, "progress").unwrap()["concept"], NEXT);

    // "Explain it again": the learner now masters the first concept on their own. It is
    // mastered (and still covered), and the tutor's earlier statement stays on record.
    let mut again = app.client().await;
    again.start(CURRICULUM, Some(FIRST)).await;
    for line in support::seed_lines().into_iter().take(3) {
        again.turn(&line).await;
    }
    let list = concepts(&app).await;
    let first = concept(&list, FIRST);
    assert_eq!(
        (&first["mastered"], &first["covered"]),
        (&true.into(), &true.into()),
        "{first}"
    );
    assert!(
        stated_in_store(&app, STATED).await,
        "a later mastery keeps the record"
    );

    // A third visit that only starts to explain (a new session's model starts from the
    // prior) does not take the mastery away: the graph keeps the concept mastered.
    let mut revisit = app.client().await;
    revisit.start(CURRICULUM, Some(FIRST)).await;
    revisit.turn(STUCK[0]).await;
    let list = concepts(&app).await;
    let first = concept(&list, FIRST);
    assert_eq!(first["mastered"], true, "a revisit lowers nothing: {first}");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_checkpoint_an_authored_answer_states_is_stored_as_stated_by_the_tutor() {
    const CONCEPT: &str = "threads-and-processes";
    const ANSWERED: &str = "thread-is-instruction-sequence";
    let app = spawn_app().await;
    let mut ws = app.client().await;
    ws.start(CURRICULUM, Some(CONCEPT)).await;
    let events = ws.turn("What is a thread?").await;
    assert_eq!(find(&events, "tutor_done").unwrap()["move"], "answer");
    let progress = find(&events, "progress").unwrap();
    let answered = progress["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == ANSWERED)
        .unwrap();
    assert_eq!(
        (&answered["stated_by_tutor"], &answered["reached"]),
        (&true.into(), &false.into()),
        "the tutor's answer stated it; it is not the learner's: {progress}"
    );
    assert!(
        stated_in_store(&app, ANSWERED).await,
        "stored with the turn as the tutor's"
    );
    app.stop().await.unwrap();
}
