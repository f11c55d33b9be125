//! The seed conversation replayed in LLM mode against the fake server: a scripted judge
//! assesses every learner line (merged with the rubric), the engine updates the learner
//! model and detects ahas from that, and the voice words each plan through the prompts.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use std::collections::HashMap;

use klover_domain::assess::{Assessor, COVERED};
use klover_domain::engine::{self, TurnOutcome};
use klover_domain::prompt::{
    Persona, Recap, Speaker, TranscriptTurn, VoiceContext, voice_messages,
};
use klover_domain::{CheckpointId, ConceptId, Curriculum};
use klover_fake_llm::{FakeLlm, RecordedRequest, Reply};
use klover_llm::{LlmJudge, Voice};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What the scripted judge says about one learner line: checkpoints with their quotes,
/// misconceptions with theirs, and whether the line asks a question.
type Verdicts = HashMap<String, Value>;

fn verdict(checkpoints: &[(&str, &str)], misconceptions: &[(&str, &str)], question: bool) -> Value {
    json!({
        "checkpoints": checkpoints.iter().map(|(id, q)| json!({"id": id, "score": 1.0, "evidence": q})).collect::<Vec<_>>(),
        "misconceptions": misconceptions.iter().map(|(id, q)| json!({"id": id, "evidence": q})).collect::<Vec<_>>(),
        "asked_question": question, "asked_for_answer": false, "dont_know": false, "off_topic": false
    })
}

/// The seed's tutor, turned into judge verdicts (quotes are the learner's own words).
fn seed_verdicts(lines: &[String]) -> Verdicts {
    let v = [
        verdict(
            &[
                (
                    "sync-waits-for-completion",
                    "the worker has to wait for the process to complete fully",
                ),
                (
                    "async-works-while-waiting",
                    "a worker can then attend to another process while waiting",
                ),
            ],
            &[],
            false,
        ),
        verdict(
            &[(
                "something-schedules-tasks",
                "something delegating the tasks",
            )],
            &[],
            true,
        ),
        verdict(
            &[(
                "io-leaves-cpu-idle",
                "the job itself doesn't require the worker",
            )],
            &[],
            true,
        ),
        verdict(
            &[
                (
                    "async-helps-io-bound",
                    "Async makes sense when it is I/O-bound",
                ),
                (
                    "async-no-help-cpu-bound",
                    "Async would not help the other as it is literally doing the job itself",
                ),
            ],
            &[],
            false,
        ),
        verdict(
            &[("cpu-task-blocks-loop", "Everything else pauses.")],
            &[],
            false,
        ),
        verdict(&[], &[], true),
        verdict(
            &[(
                "gil-one-thread-at-a-time",
                "only 1 thread can execute code at one time",
            )],
            &[],
            true,
        ),
        verdict(
            &[("one-gil-per-process", "more GILs able to work")],
            &[],
            true,
        ),
        verdict(
            &[("threads-cost-memory", "It will hit some sort of limit")],
            &[],
            true,
        ),
        verdict(
            &[(
                "io-endpoint-should-be-async",
                "most of the actions are done externally",
            )],
            &[],
            false,
        ),
        verdict(
            &[],
            &[(
                "await-waits-for-previous-line",
                "Does await only run when the previous dependency is done?",
            )],
            true,
        ),
    ];
    assert_eq!(v.len(), lines.len());
    lines.iter().cloned().zip(v).collect()
}

/// The fake LLM: judge requests (not streamed) get the scripted verdict for the learner's
/// line; voice requests (streamed) get a short tutor reply.
fn script_fake(fake: &FakeLlm, verdicts: Verdicts) {
    fake.set_responder(move |req: &RecordedRequest| {
        let learner = req
            .messages()
            .last()
            .map(|(_, c)| unquoted(c).to_owned())
            .unwrap_or_default();
        if req.is_stream() {
            Reply::text(&format!(
                "(LLM tutor, turn {}) What do you think?",
                req.index
            ))
        } else {
            let v = verdicts
                .get(&learner)
                .cloned()
                .unwrap_or_else(|| verdict(&[], &[], false));
            Reply::text(&v.to_string())
        }
    });
}

/// The learner's words inside the judge's `<learner_turn id="…">` quotation.
fn unquoted(content: &str) -> &str {
    match (content.find('\n'), content.rfind('\n')) {
        (Some(open), Some(close)) if content.starts_with("<learner_turn") && open < close => {
            &content[open + 1..close]
        }
        _ => content,
    }
}

fn script_lines(script: &str) -> Vec<String> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('@'))
        .map(str::to_string)
        .collect()
}

struct LlmTurn {
    outcome: TurnOutcome,
    tutor: String,
    /// Whether the voice prompt for the rubric's plan alone is the one the merged verdict
    /// gives: the server's speculative voice would then be released (else cancelled).
    speculation_kept: bool,
}

/// Replays a script like `klover replay`, with the LLM judge and voice.
async fn llm_replay(
    c: &Curriculum,
    script: &str,
    judge: &LlmJudge,
    voice: &Voice,
) -> (Vec<LlmTurn>, engine::SessionState) {
    let (mut state, opening) = engine::start(c, None).unwrap();
    let mut transcript = vec![TranscriptTurn {
        speaker: Speaker::Tutor,
        text: opening.offline_text,
    }];
    let persona = Persona::default();
    let mut turns = Vec::new();
    for line in script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        if let Some(id) = line.strip_prefix("@concept") {
            let opening =
                engine::jump(c, &mut state, &ConceptId::parse(id.trim()).unwrap()).unwrap();
            transcript.push(TranscriptTurn {
                speaker: Speaker::Tutor,
                text: opening.offline_text,
            });
            continue;
        }
        let last_tutor = transcript.last().map(|t| t.text.clone());
        let req = engine::assess_request(c, &state, line, last_tutor.as_deref()).unwrap();
        let mut guess = state.clone();
        let rubric = klover_domain::assess::RubricAssessor::new().assess_now(req);
        let implied = engine::learner_turn(c, &mut guess, line, rubric);
        let assessment = judge.assess(req).await;
        // The summary of turns the window drops, from the state before this turn (as the
        // server builds it once for both voices).
        let recap = Recap::of(&state, Vec::new());
        let outcome = engine::learner_turn(c, &mut state, line, assessment);
        transcript.push(TranscriptTurn {
            speaker: Speaker::Learner,
            text: line.to_string(),
        });
        let guessed = voice_messages(&VoiceContext {
            persona: &persona,
            curriculum: c,
            plan: &implied.plan,
            learner: &guess.learner,
            transcript: &transcript,
            earlier: 0,
            recap: Some(&recap),
            draft: Some(&implied.offline_text),
            budget_tokens: 1500,
        })
        .unwrap();
        let ctx = VoiceContext {
            persona: &persona,
            curriculum: c,
            plan: &outcome.plan,
            learner: &state.learner,
            transcript: &transcript,
            earlier: 0,
            recap: Some(&recap),
            draft: Some(&outcome.offline_text),
            budget_tokens: 1500,
        };
        let speculation_kept = voice_messages(&ctx).unwrap() == guessed;
        let (tx, mut rx) = mpsc::channel(256);
        let reply = voice
            .speak(&ctx, tx, CancellationToken::new())
            .await
            .unwrap();
        let mut relayed = String::new();
        while let Ok(d) = rx.try_recv() {
            relayed.push_str(&d);
        }
        assert_eq!(relayed, reply.text, "every delta was relayed");
        transcript.push(TranscriptTurn {
            speaker: Speaker::Tutor,
            text: reply.text.clone(),
        });
        turns.push(LlmTurn {
            outcome,
            tutor: reply.text,
            speculation_kept,
        });
    }
    (turns, state)
}

fn seed_script() -> String {
    std::fs::read_to_string(
        support::repo().join("crates/klover-domain/tests/scripts/seed-async-python.txt"),
    )
    .unwrap()
}

fn covered(t: &LlmTurn) -> Vec<&str> {
    t.outcome.covered.iter().map(CheckpointId::as_str).collect()
}

fn aha(t: &LlmTurn) -> Option<&str> {
    t.outcome
        .aha
        .as_ref()
        .and_then(|a| a.checkpoint.as_ref())
        .map(CheckpointId::as_str)
}

async fn setup(verdicts: Verdicts) -> (FakeLlm, LlmJudge, Voice) {
    let fake = FakeLlm::start().await;
    script_fake(&fake, verdicts);
    let voice = Voice::new(support::config(fake.base_url())).unwrap();
    (fake, LlmJudge::new(voice.clone()), voice)
}

#[tokio::test]
async fn the_seed_in_llm_mode_credits_what_the_judge_found_and_lands_the_seeds_ahas() {
    let c = support::load("curriculum/async-python");
    let script = seed_script();
    let lines = script_lines(&script);
    let (fake, judge, voice) = setup(seed_verdicts(&lines)).await;
    let (turns, _) = llm_replay(&c, &script, &judge, &voice).await;
    assert_eq!(turns.len(), 11);
    // docs/benchmarks.md ("Speculative voice") reports this line.
    let kept: Vec<usize> = (0..turns.len())
        .filter(|&i| turns[i].speculation_kept)
        .collect();
    eprintln!(
        "speculation: the rubric's plan gave the judge's prompt on {} of {} seed lines (lines {kept:?}, from 0)",
        kept.len(),
        turns.len()
    );

    assert_eq!(
        covered(&turns[0]),
        ["sync-waits-for-completion", "async-works-while-waiting"]
    );
    assert_eq!(covered(&turns[1]), ["something-schedules-tasks"]);
    assert_eq!(covered(&turns[2]), ["io-leaves-cpu-idle"]);
    assert_eq!(
        aha(&turns[2]),
        Some("io-leaves-cpu-idle"),
        "\"Second answer is the key insight\""
    );
    assert_eq!(
        aha(&turns[4]),
        Some("cpu-task-blocks-loop"),
        "\"Everything else pauses.\""
    );
    assert_eq!(aha(&turns[7]), Some("one-gil-per-process"), "\"Spot on.\"");
    assert_eq!(covered(&turns[9]), ["io-endpoint-should-be-async"]);
    let last = &turns[10].outcome;
    assert_eq!(
        last.misconceptions
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>(),
        ["await-waits-for-previous-line"]
    );
    for t in &turns {
        assert!(
            t.tutor.starts_with("(LLM tutor, turn "),
            "the voice's words are the LLM's: {}",
            t.tutor
        );
        assert!(t.outcome.assessment.source == klover_domain::assess::AssessmentSource::Merged);
    }

    let reqs = fake.requests();
    assert_eq!(
        reqs.iter().filter(|r| !r.is_stream()).count(),
        11,
        "one judge call per line"
    );
    assert_eq!(
        reqs.iter().filter(|r| r.is_stream()).count(),
        11,
        "one voice call per line"
    );
    for r in &reqs {
        for (role, content) in r.messages() {
            for line in &lines {
                if content.contains(line.as_str()) {
                    assert_eq!(
                        role, "user",
                        "learner text in a {role} message of request {}",
                        r.index
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn a_paraphrase_only_the_judge_understands_reaches_the_learner_model_as_an_aha() {
    let c = support::load("curriculum/async-python");
    let paraphrase = "Honestly our side just twiddles its thumbs during those calls.";
    let script = seed_script().replace(
        "They might take a long time for something to return? Or maybe the job itself doesn't require the worker.",
        paraphrase,
    );
    let offline = engine::replay::replay(&c, None, &script).unwrap();
    let idle = CheckpointId::parse("io-leaves-cpu-idle").unwrap();
    assert!(
        offline[2].scores[&idle] < COVERED,
        "precondition: the rubric alone misses the paraphrase"
    );
    assert!(offline[2].aha.get().is_none());

    let lines = script_lines(&script);
    let mut verdicts = seed_verdicts(&lines);
    verdicts.insert(
        paraphrase.into(),
        verdict(
            &[("io-leaves-cpu-idle", "our side just twiddles its thumbs")],
            &[],
            false,
        ),
    );
    let (_fake, judge, voice) = setup(verdicts).await;
    let (turns, state) = llm_replay(&c, &script, &judge, &voice).await;
    assert_eq!(covered(&turns[2]), ["io-leaves-cpu-idle"]);
    assert!(
        !turns[2].speculation_kept,
        "the judge's credit changes the plan: the speculative voice is cancelled"
    );
    let kept = turns.iter().filter(|t| t.speculation_kept).count();
    eprintln!(
        "speculation (paraphrase): the rubric's plan gave the judge's prompt on {kept} of {} lines",
        turns.len()
    );
    let a = turns[2]
        .outcome
        .aha
        .as_ref()
        .expect("an aha from the judge's credit");
    assert_eq!(a.quote, "our side just twiddles its thumbs");
    assert!(state.learner.is_mastered(&idle));
    let evidence = state.learner.checkpoints[&idle].evidence.as_deref();
    assert_eq!(evidence, Some("our side just twiddles its thumbs"));
}

#[tokio::test]
async fn a_judge_credit_with_a_quote_the_learner_never_wrote_is_not_an_aha() {
    let c = support::load("curriculum/async-python");
    let paraphrase = "Honestly our side just twiddles its thumbs during those calls.";
    let script = seed_script().replace(
        "They might take a long time for something to return? Or maybe the job itself doesn't require the worker.",
        paraphrase,
    );
    let lines = script_lines(&script);
    let mut verdicts = seed_verdicts(&lines);
    verdicts.insert(
        paraphrase.into(),
        verdict(
            &[(
                "io-leaves-cpu-idle",
                "the CPU has nothing to do while waiting",
            )],
            &[],
            false,
        ),
    );
    let (_fake, judge, voice) = setup(verdicts).await;
    let (turns, state) = llm_replay(&c, &script, &judge, &voice).await;
    assert!(covered(&turns[2]).is_empty(), "{:?}", covered(&turns[2]));
    assert!(turns[2].outcome.aha.is_none());
    // A later turn may still earn it in passing (credit beyond the current concept), but
    // only with the learner's own words: never the judge's invented quote.
    let idle = CheckpointId::parse("io-leaves-cpu-idle").unwrap();
    let evidence = state
        .learner
        .checkpoints
        .get(&idle)
        .and_then(|k| k.evidence.as_deref());
    assert_ne!(evidence, Some("the CPU has nothing to do while waiting"));
    if state.learner.is_mastered(&idle) {
        let later = turns[3..]
            .iter()
            .any(|t| t.outcome.elsewhere.contains(&idle) || t.outcome.covered.contains(&idle));
        assert!(later, "mastered without a later credit");
    }
}

#[test]
fn verdicts_quote_the_learner_verbatim() {
    let script = seed_script();
    let lines = script_lines(&script);
    for (line, v) in seed_verdicts(&lines) {
        for item in v["checkpoints"]
            .as_array()
            .unwrap()
            .iter()
            .chain(v["misconceptions"].as_array().unwrap())
        {
            let q = item["evidence"].as_str().unwrap();
            assert!(line.contains(q), "{q:?} is not in {line:?}");
        }
    }
}
