//! Continue where you left off (issue 12, item 7): a learner's model is per learner, not
//! per session. A new session starts at the learner's current concept with what they
//! showed before (mastery, open misconceptions); `fresh` starts from scratch. On SQLite
//! and on PostgreSQL.

use serde_json::{Value, json};

use super::db;
use super::support::{TestApp, WsClient, find, seed_lines, session_id, spawn_app, spawn_app_on};

const CURRICULUM: &str = "async-python";
const FIRST: &str = "sync-vs-async";
const SECOND: &str = "io-vs-cpu";
/// Credits one of the second concept's two checkpoints (its authored example).
const ONE_OF_SECOND: &str = "async is for io-bound stuff, bc while one task waits on the network the worker can get on with another";
/// Shows `async-runs-in-parallel` in the first concept (its authored example).
const PARALLEL: &str = "async runs all the tasks at the same time on different cores";
/// The first concept's misconception question (it challenges `async-runs-in-parallel`).
const PARALLEL_QUESTION: &str = "can it really be doing two things at the same instant";

async fn open(app: &TestApp, start: Value) -> (WsClient, Vec<Value>) {
    let mut c = app.client().await;
    c.send(start).await;
    let events = c.until("progress").await;
    (c, events)
}

fn progress(events: &[Value]) -> &Value {
    find(events, "progress").unwrap()
}

fn mastery(events: &[Value]) -> f64 {
    progress(events)["mastery"].as_f64().unwrap()
}

/// Session 1 masters the first concept (the seed's first three lines) and says one thing
/// of the second; session 2 continues in the second concept with both carried (the first
/// mastered in its model); a fresh one starts from the prior.
async fn a_mastered_concept_is_carried_into_the_next_session(app: TestApp) {
    let (mut one, opened) = open(&app, json!({"type": "start", "curriculum": CURRICULUM})).await;
    assert_eq!(find(&opened, "session").unwrap()["concept"], FIRST);
    let prior = mastery(&opened);
    let mut events = Vec::new();
    for line in seed_lines().into_iter().take(3) {
        events.extend(one.turn(&line).await);
    }
    assert!(find(&events, "concept_advanced").is_some(), "{events:?}");
    let said = one.turn(ONE_OF_SECOND).await;
    assert_eq!(progress(&said)["concept"], SECOND);
    let shown = mastery(&said);
    assert!(shown > prior, "{shown} after one checkpoint of {SECOND}");
    drop(one);

    // Continue (the default): the second concept, as the learner left it.
    let (_two, opened) = open(&app, json!({"type": "start", "curriculum": CURRICULUM})).await;
    let two = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    assert_eq!(find(&opened, "session").unwrap()["concept"], SECOND);
    assert_eq!(progress(&opened)["concept"], SECOND);
    let carried = mastery(&opened);
    assert!((carried - shown).abs() < 1e-9, "{carried} is not {shown}");
    assert!((carried - prior).abs() > 0.1, "the prior ({prior}) again");
    let reached = progress(&opened)["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["reached"] == true)
        .count();
    assert_eq!(reached, 1, "{}", progress(&opened));

    // The first concept is carried mastered in session 2's model (the engine's state).
    let row = app.store.find_session(&two).await.unwrap().unwrap();
    let state: Value = serde_json::from_str(row.engine_state.as_deref().unwrap()).unwrap();
    let first = app.state.catalog.get(CURRICULUM).unwrap();
    let first = first
        .concepts
        .iter()
        .find(|c| c.id.as_str() == FIRST)
        .unwrap();
    for k in &first.checkpoints {
        let p = state["learner"]["checkpoints"][k.id.as_str()]["p_known"].as_f64();
        assert!(p.unwrap_or(0.0) >= 0.95, "{} carried at {p:?}", k.id);
    }
    assert!(
        state["completed"]
            .as_array()
            .unwrap()
            .contains(&json!(FIRST))
    );

    // Fresh: the first concept from the prior, as documented.
    let start = json!({"type": "start", "curriculum": CURRICULUM, "fresh": true});
    let (_three, opened) = open(&app, start).await;
    assert_eq!(find(&opened, "session").unwrap()["concept"], FIRST);
    assert!(
        (mastery(&opened) - prior).abs() < 1e-9,
        "{}",
        progress(&opened)
    );
    app.stop().await.unwrap();
}

/// A misconception left open in session 1 is still open in session 2: the first answer
/// there is met with its question. A fresh session carries nothing: the same answer is
/// confirmed.
async fn an_open_misconception_is_still_open_and_probed_in_the_next_session(app: TestApp) {
    let (mut one, _) = open(&app, json!({"type": "start", "curriculum": CURRICULUM})).await;
    let events = one.turn(PARALLEL).await;
    let done = find(&events, "tutor_done").unwrap();
    assert_eq!(done["move"], "correct", "{done}");
    drop(one);

    let answer = &seed_lines()[0];
    let (mut two, opened) = open(&app, json!({"type": "start", "curriculum": CURRICULUM})).await;
    assert_eq!(find(&opened, "session").unwrap()["concept"], FIRST);
    let events = two.turn(answer).await;
    let done = find(&events, "tutor_done").unwrap();
    assert_eq!(done["move"], "correct", "{done}");
    assert!(
        done["text"].as_str().unwrap().contains(PARALLEL_QUESTION),
        "{done}"
    );
    drop(two);

    let start = json!({"type": "start", "curriculum": CURRICULUM, "fresh": true});
    let (mut fresh, _) = open(&app, start).await;
    let events = fresh.turn(answer).await;
    let done = find(&events, "tutor_done").unwrap();
    assert_ne!(done["move"], "correct", "nothing carried: {done}");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn sqlite_a_mastered_concept_is_carried_into_the_next_session() {
    a_mastered_concept_is_carried_into_the_next_session(spawn_app().await).await;
}

#[tokio::test]
async fn sqlite_an_open_misconception_is_still_open_and_probed_in_the_next_session() {
    an_open_misconception_is_still_open_and_probed_in_the_next_session(spawn_app().await).await;
}

#[tokio::test]
async fn postgres_a_mastered_concept_is_carried_into_the_next_session() {
    let fresh = db::FreshDb::new(db::Backend::Postgres).await;
    a_mastered_concept_is_carried_into_the_next_session(spawn_app_on(&fresh.url).await).await;
    fresh.finish().await;
}

#[tokio::test]
async fn postgres_an_open_misconception_is_still_open_and_probed_in_the_next_session() {
    let fresh = db::FreshDb::new(db::Backend::Postgres).await;
    let app = spawn_app_on(&fresh.url).await;
    an_open_misconception_is_still_open_and_probed_in_the_next_session(app).await;
    fresh.finish().await;
}

/// An offline turn that stays in its concept takes one write: the message with its ack,
/// its reply, the turn's assessment, the learner model and the engine state in one
/// transaction (`turn::at_once`; a crash before it stores none of it, and nothing was
/// acknowledged: `faults::crash`). What that write stored carries into the next session.
async fn an_offline_turn_stores_its_assessment_with_its_reply(app: TestApp) {
    let (mut c, opened) = open(
        &app,
        json!({"type": "start", "curriculum": CURRICULUM, "concept": SECOND, "fresh": true}),
    )
    .await;
    let session = klover_store::SessionId::parse(&session_id(&opened)).unwrap();
    let (writes, _) = app.store.writer_queue();
    let events = c.turn(ONE_OF_SECOND).await;
    let (after, _) = app.store.writer_queue();
    assert!(find(&events, "concept_advanced").is_none(), "{events:?}");
    assert_eq!(
        after - writes,
        1,
        "the ack with the reply and everything else"
    );
    let ack = events
        .iter()
        .position(|e| e["type"] == "learner_ack")
        .unwrap();
    let delta = events
        .iter()
        .position(|e| e["type"] == "tutor_delta")
        .unwrap();
    assert!(ack < delta, "the ack first: {events:?}");
    assert_eq!(
        events[ack]["seq"].as_u64().unwrap() + 1,
        events[delta]["seq"].as_u64().unwrap()
    );
    let reached: Vec<&Value> = progress(&events)["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["reached"] == true)
        .collect();
    assert_eq!(reached.len(), 1, "{events:?}");
    let transcript = app.store.load_transcript(&session).await.unwrap();
    let learner = &transcript.turns[transcript.turns.len() - 2];
    assert_eq!(learner.turn.text, ONE_OF_SECOND);
    assert!(!learner.scores.is_empty(), "{learner:?}");
    assert!(
        app.store
            .unfinished_replies(&session)
            .await
            .unwrap()
            .is_empty()
    );
    let state: serde_json::Value =
        serde_json::from_str(transcript.session.engine_state.as_deref().unwrap()).unwrap();
    assert_eq!(state["concept"], SECOND);
    drop(c);

    // The next session knows what this turn showed.
    let (_, again) = open(&app, json!({"type": "start", "curriculum": CURRICULUM})).await;
    let carried: Vec<&Value> = progress(&again)["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["reached"] == true)
        .collect();
    assert_eq!(carried.len(), 1, "{again:?}");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn an_offline_turn_stores_its_assessment_with_its_reply_on_sqlite() {
    an_offline_turn_stores_its_assessment_with_its_reply(spawn_app().await).await;
}

#[tokio::test]
async fn postgres_an_offline_turn_stores_its_assessment_with_its_reply() {
    let fresh = db::FreshDb::new(db::Backend::Postgres).await;
    an_offline_turn_stores_its_assessment_with_its_reply(spawn_app_on(&fresh.url).await).await;
    fresh.finish().await;
}
