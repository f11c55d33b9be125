//! The judge's credits the rubric did not give reach the authors' inbox (issue 15, item 7):
//! the rubric's own score is stored beside the judge's in the turn's transaction, and
//! `GET /api/author/curricula/{id}/inbox` lists the turn with reason `judge`.

use klover_fake_llm::{FakeLlm, Reply};
use serde_json::Value;

use super::llm_app;

/// A paraphrase the rubric misses and the judge credits for `io-leaves-cpu-idle` (as in
/// klover-llm's seed_replay_llm tests).
const PARAPHRASE: &str = "Honestly our side just twiddles its thumbs during those calls.";
const VERDICT: &str = r#"{"checkpoints":[{"id":"io-leaves-cpu-idle","score":1.0,"evidence":"our side just twiddles its thumbs"}],"misconceptions":[],"asked_question":false,"asked_for_answer":false,"dont_know":false,"off_topic":false}"#;

#[tokio::test]
async fn a_judge_credit_the_rubric_missed_is_an_inbox_item_with_both_scores() {
    let fake = FakeLlm::start().await;
    fake.set_responder(|req| {
        if req.is_stream() {
            Reply::text("What does the CPU do meanwhile?")
        } else {
            Reply::text(VERDICT)
        }
    });
    let app = llm_app(&fake).await;
    let mut c = app.client().await;
    c.start("async-python", Some("sync-vs-async")).await;
    c.turn(PARAPHRASE).await;
    let inbox: Value = reqwest::get(app.http("/api/author/curricula/async-python/inbox"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = inbox["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{inbox}");
    let item = &items[0];
    assert_eq!(item["reason"], "judge", "{item}");
    assert_eq!(item["checkpoint"], "io-leaves-cpu-idle");
    assert_eq!(item["text"], PARAPHRASE);
    assert!(item["score"].as_f64().unwrap() >= 0.6, "{item}");
    let rubric = item["rubric_score"]
        .as_f64()
        .expect("the rubric's score is kept");
    assert!(rubric < 0.6, "{item}");
    app.stop().await.unwrap();
}
