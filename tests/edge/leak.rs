//! System prompt leak: with a model that echoes its system message, the learner gets at
//! most 10 % of the prompt (measured: nearly nothing), whether the echo starts with the
//! canary at the top or leaves the canary out; the stored turn keeps only what was sent.

use klover_fake_llm::{FakeLlm, RecordedRequest, Reply};
use klover_llm::{ApiKey, LlmConfig};
use serde_json::Value;

use crate::support::{find, seed_lines, session_id, spawn_app_with, test_settings};

/// The echoing model; `strip_canary` leaves out the lines holding the marker.
fn echoing(fake: &FakeLlm, strip_canary: bool) {
    fake.set_responder(move |req: &RecordedRequest| {
        if !req.is_stream() {
            return Reply::text("not a verdict");
        }
        if !strip_canary {
            return Reply::echo_system(req);
        }
        let system = req.messages()[0].1.clone();
        let kept: Vec<&str> = system
            .lines()
            .filter(|l| !l.contains("Confidential marker"))
            .collect();
        Reply::text(&kept.join("\n"))
    });
}

/// The model's reply of the turn as its deltas delivered it, and its turn id (a concept
/// transition may follow with a reply of its own).
fn delivered(events: &[Value]) -> (String, String) {
    let done = find(events, "tutor_done").expect("the turn ends");
    let turn_id = done["turn_id"].as_str().unwrap().to_owned();
    let text: String = events
        .iter()
        .filter(|e| e["type"] == "tutor_delta" && e["turn_id"] == turn_id.as_str())
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert_eq!(done["text"].as_str().unwrap_or(""), text, "{done}");
    (text, turn_id)
}

async fn leaked_shares(strip_canary: bool) -> Vec<f64> {
    let fake = FakeLlm::start().await;
    echoing(&fake, strip_canary);
    let config = LlmConfig::new(fake.base_url(), ApiKey::from(""), "fake-model");
    let voice = klover_server::TutorVoice::llm(config).unwrap();
    let app = spawn_app_with(test_settings(), voice).await;
    let mut c = app.client().await;
    let sid = session_id(&c.start("async-python", None).await);
    let sid = klover_store::SessionId::parse(&sid).unwrap();
    let mut shares = Vec::new();
    for line in seed_lines().iter().take(6) {
        let events = c.turn(line).await;
        let (sent, turn_id) = delivered(&events);
        let system = fake
            .requests()
            .into_iter()
            .rev()
            .find(|r| r.is_stream())
            .map(|r| r.messages()[0].1.clone())
            .unwrap();
        shares.push(sent.len() as f64 / system.len() as f64);
        let stored = app.store.turns(&sid).await.unwrap();
        let stored = stored
            .iter()
            .find(|t| t.id.to_string() == turn_id)
            .expect("the reply is stored");
        assert_eq!(
            stored.text, sent,
            "the stored turn keeps only what was sent"
        );
    }
    app.stop().await.unwrap();
    shares
}

#[tokio::test]
async fn an_echoing_model_leaks_at_most_a_tenth_of_the_system_prompt() {
    let shares = leaked_shares(false).await;
    eprintln!("leaked share per reply, canary kept: {shares:?}");
    assert!(shares.iter().all(|s| *s <= 0.10), "{shares:?}");
}

#[tokio::test]
async fn an_echo_without_the_canary_is_cut_by_the_shingle_guard() {
    let shares = leaked_shares(true).await;
    eprintln!("leaked share per reply, canary left out: {shares:?}");
    assert!(shares.iter().all(|s| *s <= 0.10), "{shares:?}");
}
