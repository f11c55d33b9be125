//! The voice starts on the rubric's plan beside the judge (issue 17): when the judge
//! leaves the plan as it was, the first token needs no second upstream request; when it
//! changes it, not one token of the speculative stream reaches the learner.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use klover_fake_llm::{FakeLlm, Outcome, Reply};

use super::{deltas, llm_app};
use crate::support::find;

/// A verdict that finds nothing: with a line the rubric credits nothing for either, the
/// merged assessment is the rubric's.
const EMPTY: &str = r#"{"checkpoints":[],"misconceptions":[],"asked_question":false,"asked_for_answer":false,"dont_know":false,"off_topic":false}"#;
/// A verdict the rubric does not share: the learner asks to be told.
const TELL_ME: &str = r#"{"checkpoints":[],"misconceptions":[],"asked_question":false,"asked_for_answer":true,"dont_know":true,"off_topic":false}"#;
const VAGUE: &str = "Hmm, it has something to do with the order things happen in.";

/// The judge answers `verdict` after `judge_ms`; the n-th streamed request (from 0) gets
/// `voices[n]`, slowly enough to be cut.
fn script(fake: &FakeLlm, verdict: &'static str, judge_ms: u64, voices: &[&str]) {
    let voices: Vec<String> = voices.iter().map(|v| (*v).to_owned()).collect();
    let streams = Arc::new(AtomicUsize::new(0));
    fake.set_responder(move |req| {
        if req.is_stream() {
            let n = streams.fetch_add(1, Ordering::SeqCst).min(voices.len() - 1);
            let words: Vec<String> = voices[n].split_inclusive(' ').map(str::to_owned).collect();
            Reply::chunks(words).chunk_interval(Duration::from_millis(60))
        } else {
            Reply::text(verdict).first_token_after(Duration::from_millis(judge_ms))
        }
    });
}

#[tokio::test]
async fn when_the_judge_agrees_the_first_token_needs_no_second_request() {
    let fake = FakeLlm::start().await;
    let voice = "What decides which task runs next, do you think?";
    script(&fake, EMPTY, 300, &[voice]);
    let app = llm_app(&fake).await;
    let mut c = app.client().await;
    c.start("async-python", None).await;
    let events = c.turn(VAGUE).await;
    assert_eq!(deltas(&events).concat(), voice);
    assert_eq!(find(&events, "tutor_done").unwrap()["status"], "complete");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2, "one judge, one voice: {reqs:#?}");
    let judge = reqs.iter().find(|r| !r.is_stream()).unwrap();
    let stream = reqs.iter().find(|r| r.is_stream()).unwrap();
    assert!(
        stream.open_at_arrival.contains(&judge.index),
        "the voice was asked while the judge was still thinking"
    );
    assert_eq!(stream.outcome, Outcome::Finished, "and its stream was used");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn when_the_judge_changes_the_plan_no_token_of_the_speculative_voice_is_shown() {
    let fake = FakeLlm::start().await;
    let guess = "SPECULATIVE words on the rubric's plan that must never be shown to anyone here";
    let right = "Fair enough: here is the idea, step by step.";
    script(&fake, TELL_ME, 400, &[guess, right]);
    let app = llm_app(&fake).await;
    let mut c = app.client().await;
    c.start("async-python", None).await;
    let events = c.turn(VAGUE).await;
    let shown = deltas(&events).concat();
    assert!(!shown.contains("SPECULATIVE"), "{shown}");
    assert_eq!(shown, right);
    let done = find(&events, "tutor_done").unwrap();
    assert_eq!(done["text"], right);
    let reqs = fake.requests();
    let streams: Vec<_> = reqs.iter().filter(|r| r.is_stream()).collect();
    assert_eq!(streams.len(), 2, "{reqs:#?}");
    let judge = reqs.iter().find(|r| !r.is_stream()).unwrap();
    assert!(streams[0].open_at_arrival.contains(&judge.index));
    tokio::time::timeout(
        Duration::from_secs(5),
        fake.wait_disconnect(streams[0].index),
    )
    .await
    .expect("the speculative stream was cancelled upstream");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_judge_slower_than_its_bound_leaves_the_rubric_s_plan_and_releases_the_voice() {
    let fake = FakeLlm::start().await;
    let voice = "What decides which task runs next?";
    script(&fake, TELL_ME, 60_000, &[voice]);
    let config = {
        let mut c =
            klover_llm::LlmConfig::new(fake.base_url(), klover_llm::ApiKey::from(""), "fake-model");
        c.judge_wait = Duration::from_millis(300);
        c
    };
    let voice_cfg = klover_server::TutorVoice::llm(config).unwrap();
    let app = crate::support::spawn_app_with(crate::support::test_settings(), voice_cfg).await;
    let mut c = app.client().await;
    c.start("async-python", None).await;
    let events = c.turn(VAGUE).await;
    assert_eq!(deltas(&events).concat(), voice, "the rubric's plan stood");
    assert_eq!(fake.requests().iter().filter(|r| r.is_stream()).count(), 1);
    app.stop().await.unwrap();
}

/// The turn's assessment is stored beside the streaming reply (no commit before the
/// first token): when that write fails — here the session's engine state changed behind
/// the turn's back while the judge thought, so its compare-and-set is refused — the reply
/// stops, the turn fails visibly (`tutor_done`, then an `error`), and the session goes on.
#[tokio::test]
async fn a_failed_assessment_write_stops_the_reply_and_fails_the_turn_visibly() {
    let fake = FakeLlm::start().await;
    let voice = "What decides which task runs next, do you think? Take your time: walk me \
                 through what the loop does at each step, one step at a time, in your words.";
    script(&fake, EMPTY, 400, &[voice]);
    let app = llm_app(&fake).await;
    let mut c = app.client().await;
    let opened = c.start("async-python", None).await;
    let sid = klover_store::SessionId::parse(&crate::support::session_id(&opened)).unwrap();
    let learner = app
        .store
        .find_learner_by_name("local")
        .await
        .unwrap()
        .unwrap()
        .id;
    c.say(VAGUE).await;
    // The judge thinks for 400 ms; the reply is begun meanwhile.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let row = app.store.get_session(&learner, &sid).await.unwrap();
    let json = row.engine_state.clone().unwrap();
    app.store
        .save_engine_state(&sid, &row.current_concept, &json, row.state_version)
        .await
        .unwrap();
    let events = c.until("error").await;
    let done = find(&events, "tutor_done").expect("the reply ended");
    assert_ne!(done["status"], "complete", "{done}");
    assert!(
        deltas(&events).concat().len() < voice.len(),
        "the reply was stopped: {events:#?}"
    );
    let error = events.last().unwrap();
    assert_eq!(error["code"], "internal", "{error}");
    assert!(
        find(&events, "progress").is_none(),
        "a failed turn has no closing progress: {events:#?}"
    );
    // Nothing of the refused assessment was stored, and the next message is answered.
    let after = app.store.get_session(&learner, &sid).await.unwrap();
    assert_eq!(
        after.state_version,
        row.state_version + 1,
        "only the test's save"
    );
    let next = c.turn(VAGUE).await;
    assert_eq!(find(&next, "tutor_done").unwrap()["status"], "complete");
    app.stop().await.unwrap();
}
