//! The LLM judge against the fake server: structured output asked for, plain JSON
//! accepted, verdicts validated against the learner's words, merged with the rubric, and
//! any failure falling back to the rubric.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use klover_domain::assess::{AssessRequest, AssessmentSource, Assessor, RubricAssessor};
use klover_domain::{CheckpointId, ConceptId, Curriculum};
use klover_fake_llm::{Failure, FakeLlm, Reply};
use klover_llm::judge::{UNQUOTED_CAP, find_quote};
use klover_llm::{LlmJudge, Voice};
use serde_json::json;

const LEARNER: &str =
    "They might take a long time to return? Or maybe the job itself doesn't require the worker.";

fn request(c: &Curriculum) -> AssessRequest<'_> {
    let concept = c.concept(&ConceptId::parse("io-basics").unwrap()).unwrap();
    AssessRequest {
        curriculum: c,
        concept,
        text: LEARNER,
        last_tutor: Some("What do an API call and a database query have in common?"),
    }
}

fn judge(fake: &FakeLlm) -> LlmJudge {
    LlmJudge::new(Voice::new(support::config(fake.base_url())).unwrap())
}

fn cp(s: &str) -> CheckpointId {
    CheckpointId::parse(s).unwrap()
}

fn verdict() -> serde_json::Value {
    json!({
        "checkpoints": [
            {"id": "cpu-idle-on-io", "score": 0.9, "evidence": "the job itself doesn't require the worker"},
            {"id": "sync-waits", "score": 0.2, "evidence": null}
        ],
        "misconceptions": [],
        "asked_question": true, "asked_for_answer": false, "dont_know": false, "off_topic": false
    })
}

#[tokio::test]
async fn the_judge_asks_for_a_json_schema_and_its_verdict_is_merged_with_the_rubric() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text(&verdict().to_string()));
    let c = support::fixture();
    let a = judge(&fake).assess(request(&c)).await;
    assert_eq!(a.source, AssessmentSource::Merged);
    // The judge alone credits a sentence sharing no idea with the checkpoint's statement
    // or examples, which the rubric saw nothing of: not plausible, so not credited.
    let rubric = RubricAssessor::new().assess_now(request(&c));
    assert_eq!(
        a.scores[&cp("cpu-idle-on-io")],
        rubric.scores[&cp("cpu-idle-on-io")]
    );
    assert!(a.asked_question);

    let req = &fake.requests()[0];
    assert!(!req.is_stream());
    let rf = &req.body["response_format"];
    assert_eq!(rf["type"], "json_schema");
    assert_eq!(rf["json_schema"]["strict"], true);
    assert_eq!(rf["json_schema"]["schema"]["additionalProperties"], false);
    assert_eq!(req.body["temperature"], 0.0);
    let msgs = req.messages();
    let (role, turn) = msgs.last().unwrap();
    assert_eq!(role, "user");
    assert!(turn.starts_with("<learner_turn id=\""), "delimited: {turn}");
    assert!(turn.contains(LEARNER));
    for (role, content) in &msgs {
        if role != "user" {
            assert!(
                !content.contains("doesn't require the worker"),
                "learner text in a {role} message"
            );
        }
    }
    assert!(
        msgs[0].1.contains("\"cpu-idle-on-io\""),
        "the ids are listed"
    );
}

#[tokio::test]
async fn a_judge_credit_the_rubric_missed_stands_when_its_sentence_states_the_idea() {
    let fake = FakeLlm::start().await;
    let text = "Honestly the CPU has nothing to do while the database answers.";
    fake.push(Reply::text(
        &json!({
            "checkpoints": [{"id": "cpu-idle-on-io", "score": 0.9, "evidence": "the CPU has nothing to do"}],
            "misconceptions": [], "asked_question": false, "asked_for_answer": false,
            "dont_know": false, "off_topic": false
        })
        .to_string(),
    ));
    let c = support::fixture();
    let req = AssessRequest {
        text,
        ..request(&c)
    };
    let rubric = RubricAssessor::new().assess_now(req);
    assert!(
        rubric.score(&cp("cpu-idle-on-io")) < 0.6,
        "the rubric misses it"
    );
    let a = judge(&fake).assess(req).await;
    assert!((a.score(&cp("cpu-idle-on-io")) - 0.9).abs() < 1e-9);
    let span = a.scores[&cp("cpu-idle-on-io")].evidence.unwrap();
    assert_eq!(span.quote(text), Some("the CPU has nothing to do"));
}

#[tokio::test]
async fn plain_json_in_prose_and_code_fences_is_accepted() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text(&format!(
        "Here is my verdict:\n```json\n{}\n```",
        verdict()
    )));
    let c = support::fixture();
    let a = judge(&fake).judge(request(&c)).await.unwrap();
    assert_eq!(a.source, AssessmentSource::Judge);
    assert!((a.score(&cp("cpu-idle-on-io")) - 0.9).abs() < 1e-9);
}

#[tokio::test]
async fn hallucinated_evidence_and_unknown_ids_are_dropped() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::text(
        &json!({
            "checkpoints": [
                {"id": "cpu-idle-on-io", "score": 1.0, "evidence": "the CPU sits idle while waiting on I/O"},
                {"id": "sync-waits", "score": 0.8, "evidence": null},
                {"id": "made-up-checkpoint", "score": 1.0, "evidence": "They might take a long time"}
            ],
            "misconceptions": [
                {"id": "async-is-faster", "evidence": "async is always faster"},
                {"id": "not-a-misconception", "evidence": "They might"}
            ],
            "asked_question": false, "asked_for_answer": false, "dont_know": false, "off_topic": false
        })
        .to_string(),
    ));
    let c = support::fixture();
    let a = judge(&fake).judge(request(&c)).await.unwrap();
    let idle = a.scores[&cp("cpu-idle-on-io")];
    assert_eq!(
        idle.evidence, None,
        "a quote the learner never wrote is discarded"
    );
    assert!(
        (idle.score - UNQUOTED_CAP).abs() < 1e-9,
        "no quote, no credit"
    );
    assert!((a.score(&cp("sync-waits")) - UNQUOTED_CAP).abs() < 1e-9);
    assert_eq!(a.scores.len(), 2, "unknown checkpoint ids are dropped");
    assert!(a.misconceptions.is_empty(), "{:?}", a.misconceptions);
    assert!(a.covered().is_empty());
}

#[tokio::test]
async fn any_judge_failure_falls_back_to_the_rubric() {
    let c = support::fixture();
    let rubric = RubricAssessor::new().assess_now(request(&c));
    let cases = [
        Reply::text("I think the learner did well!"),
        Reply::text("{\"checkpoints\": 3}"),
        Reply::status(400),
        Reply::text("x").fail(Failure::HangBeforeHeaders),
        Reply::text("x").fail(Failure::CloseAfter(0)),
    ];
    for reply in cases {
        let fake = FakeLlm::start().await;
        fake.push(reply.clone());
        let judge = LlmJudge::new(Voice::new(support::hang_config(fake.base_url())).unwrap());
        let a = judge.assess(request(&c)).await;
        assert_eq!(a, rubric, "{reply:?}");
    }
}

#[tokio::test]
async fn a_server_that_rejects_response_format_is_asked_again_without_it() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::status(400));
    fake.push(Reply::text(&verdict().to_string()));
    let c = support::fixture();
    let a = judge(&fake).judge(request(&c)).await.unwrap();
    assert!((a.score(&cp("cpu-idle-on-io")) - 0.9).abs() < 1e-9);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].body.get("response_format").is_some());
    assert!(reqs[1].body.get("response_format").is_none());
}

#[tokio::test]
async fn server_errors_are_retried_before_falling_back() {
    let fake = FakeLlm::start().await;
    fake.push(Reply::status(502));
    fake.push(Reply::text(&verdict().to_string()));
    let c = support::fixture();
    let a = judge(&fake).assess(request(&c)).await;
    assert_eq!(a.source, AssessmentSource::Merged);
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn quotes_must_be_verbatim_but_may_carry_quotation_marks() {
    let text = "Everything else pauses.";
    assert!(find_quote(text, "\"Everything else pauses\"").is_some());
    assert!(find_quote(text, "everything else pauses").is_none());
    assert!(find_quote(text, "  ").is_none());
    let span = find_quote(text, "else").unwrap();
    assert_eq!(span.quote(text), Some("else"));
}

/// The reference curriculum's threads-and-processes concept, with one learner line.
fn reference_request<'a>(c: &'a Curriculum, text: &'a str) -> AssessRequest<'a> {
    let concept = c
        .concept(&ConceptId::parse("threads-and-processes").unwrap())
        .unwrap();
    AssessRequest {
        curriculum: c,
        concept,
        text,
        last_tutor: None,
    }
}

fn verdict_crediting(id: &str, quote: &str) -> serde_json::Value {
    json!({
        "checkpoints": [{"id": id, "score": 1.0, "evidence": quote}],
        "misconceptions": [],
        "asked_question": false, "asked_for_answer": false, "dont_know": false, "off_topic": false
    })
}

#[tokio::test]
async fn when_the_judge_answers_a_rubric_credit_it_does_not_give_does_not_survive() {
    let fake = FakeLlm::start().await;
    let c = klover_domain::testing::async_python();
    let text = "threads share the same memory";
    let rubric = RubricAssessor::new().assess_now(reference_request(&c, text));
    assert!(
        rubric.score(&cp("threads-share-memory")) >= 0.6,
        "the rubric credits it"
    );
    // The judge reads it otherwise (nothing credited): the judge decides.
    fake.push(Reply::text(
        &json!({"checkpoints": [], "misconceptions": [], "asked_question": false,
                "asked_for_answer": false, "dont_know": false, "off_topic": false})
        .to_string(),
    ));
    let a = judge(&fake).assess(reference_request(&c, text)).await;
    assert_eq!(a.source, AssessmentSource::Merged);
    assert_eq!(a.score(&cp("threads-share-memory")), 0.0);
}

#[tokio::test]
async fn the_rubric_vetoes_a_judge_credit_for_a_contradicted_claim() {
    let fake = FakeLlm::start().await;
    let c = klover_domain::testing::async_python();
    let text = "processes share the same memory and threads each get their own private memory";
    // A credulous judge credits the swapped claim with a real quote.
    fake.push(Reply::text(
        &verdict_crediting(
            "processes-separate-memory",
            "threads each get their own private memory",
        )
        .to_string(),
    ));
    let a = judge(&fake).assess(reference_request(&c, text)).await;
    assert!(
        a.score(&cp("processes-separate-memory")) < 0.6,
        "vetoed: {:?}",
        a.scores
    );
}

#[tokio::test]
async fn the_judge_prompt_carries_the_authored_examples_and_counterexamples() {
    let fake = FakeLlm::start().await;
    let c = klover_domain::testing::async_python();
    fake.push(Reply::text(
        &verdict_crediting("threads-share-memory", "x").to_string(),
    ));
    let _ = judge(&fake)
        .assess(reference_request(&c, "threads share memory"))
        .await;
    let concept = c
        .concept(&ConceptId::parse("threads-and-processes").unwrap())
        .unwrap();
    let cp = concept.checkpoint(&cp("threads-share-memory")).unwrap();
    let system = &fake.requests()[0].messages()[0].1;
    assert!(system.contains("Does NOT state it:"), "{system}");
    assert!(system.contains(&cp.examples[0].text), "{system}");
    assert!(system.contains(&cp.counterexamples[0].text), "{system}");
}
