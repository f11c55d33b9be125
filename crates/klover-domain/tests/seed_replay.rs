//! The seed conversation's learner lines, in order, through the offline engine with the
//! reference curriculum: what the seed's tutor confirmed is credited, the await
//! misconception is flagged, and aha moments land where the seed's tutor marks them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use klover_domain::aha::Struggle;
use klover_domain::engine::replay::{ReplayTurn, replay};
use klover_domain::policy::Move;

fn seed_turns() -> Vec<ReplayTurn> {
    let c = common::async_python();
    let script = std::fs::read_to_string(
        common::repo().join("crates/klover-domain/tests/scripts/seed-async-python.txt"),
    )
    .unwrap();
    let turns = replay(&c, None, &script).unwrap();
    assert_eq!(turns.len(), 11, "one turn per learner line of the seed");
    turns
}

fn covered(t: &ReplayTurn) -> Vec<&str> {
    t.covered.iter().map(|c| c.as_str()).collect()
}

fn aha_checkpoint(t: &ReplayTurn) -> Option<&str> {
    t.aha
        .get()
        .and_then(|a| a.checkpoint.as_ref())
        .map(|c| c.as_str())
}

#[test]
fn the_first_explanation_is_credited_and_is_not_an_aha() {
    let t = &seed_turns()[0];
    assert_eq!(t.concept.as_str(), "sync-vs-async");
    assert_eq!(
        covered(t),
        ["sync-waits-for-completion", "async-works-while-waiting"]
    );
    assert!(
        t.aha.get().is_none(),
        "a baseline explanation is not an aha"
    );
    assert_eq!(t.tutor_move.as_ref().map(Move::kind), Some("pump"));
}

#[test]
fn something_delegating_is_credited_as_the_scheduler() {
    let t = &seed_turns()[1];
    assert_eq!(covered(t), ["something-schedules-tasks"]);
    assert!(t.aha.get().is_none(), "a pump does not trigger an aha");
}

#[test]
fn the_job_not_requiring_the_worker_is_the_key_insight_and_an_aha() {
    let t = &seed_turns()[2];
    assert_eq!(covered(t), ["io-leaves-cpu-idle"]);
    let aha = t
        .aha
        .get()
        .expect("\"Second answer is the key insight\" is an aha");
    assert_eq!(
        aha.checkpoint.as_ref().unwrap().as_str(),
        "io-leaves-cpu-idle"
    );
    assert!(
        aha.quote.contains("doesn't require the worker"),
        "{}",
        aha.quote
    );
    assert_eq!(aha.triggered_by.kind(), "hint");
    assert_eq!(aha.struggle, Some(Struggle::Hinted));
    assert!(matches!(t.tutor_move, Some(Move::Advance { .. })));
}

#[test]
fn ahas_are_the_seed_s_three_celebrated_moments_and_at_most_a_third_of_first_answers() {
    let turns = seed_turns();
    let tagged: Vec<u32> = turns
        .iter()
        .filter(|t| t.aha.get().is_some())
        .map(|t| t.turn)
        .collect();
    // "Second answer is the key insight", "Everything else pauses.", "Spot on".
    assert_eq!(tagged, [3, 5, 8]);
    // First answers: a learner turn right after a concept's opening question.
    let mut first = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for t in &turns {
        if seen.insert(t.concept.clone()) {
            first.push(t);
        }
    }
    let first_tagged = first.iter().filter(|t| t.aha.get().is_some()).count();
    assert!(
        first_tagged * 3 <= first.len(),
        "{first_tagged} of {} first answers tagged",
        first.len()
    );
    assert!(
        tagged.len() * 3 <= turns.len(),
        "{} of {}",
        tagged.len(),
        turns.len()
    );
}

#[test]
fn io_bound_vs_cpu_bound_is_exactly_right_without_the_faster_misconception() {
    let t = &seed_turns()[3];
    assert_eq!(t.concept.as_str(), "io-vs-cpu");
    assert_eq!(
        covered(t),
        ["async-helps-io-bound", "async-no-help-cpu-bound"]
    );
    assert!(t.misconceptions.is_empty(), "{:?}", t.misconceptions);
    assert!(
        t.aha.get().is_none(),
        "a fluent first answer to the opening is right, not an aha: {:?}",
        t.aha
    );
}

#[test]
fn everything_else_pauses_credits_a_cpu_task_blocking_the_loop() {
    let t = &seed_turns()[4];
    assert_eq!(covered(t), ["cpu-task-blocks-loop"]);
    assert_eq!(aha_checkpoint(t), Some("cpu-task-blocks-loop"));
    assert_eq!(
        t.aha.get().unwrap().struggle,
        Some(Struggle::Inferred),
        "worked out in none of the question's words"
    );
}

#[test]
fn more_threads_is_a_question_answered_and_handed_back() {
    let t = &seed_turns()[5];
    assert!(t.flags.contains(&"question"));
    assert!(covered(t).is_empty());
    assert!(matches!(
        t.tutor_move,
        Some(Move::Answer { question: Some(_) })
    ));
    assert!(
        t.tutor.trim_end().ends_with('?'),
        "the answer hands the thinking back"
    );
}

#[test]
fn one_thread_at_a_time_is_credited_and_what_is_a_thread_is_answered() {
    let t = &seed_turns()[6];
    assert_eq!(covered(t), ["gil-one-thread-at-a-time"]);
    assert!(matches!(
        t.tutor_move,
        Some(Move::Answer { question: Some(_) })
    ));
    assert!(t.tutor.contains("to-do list"), "{}", t.tutor);
}

#[test]
fn more_gils_is_spot_on_and_an_aha() {
    let t = &seed_turns()[7];
    assert_eq!(covered(t), ["one-gil-per-process"]);
    assert!(t.misconceptions.is_empty(), "{:?}", t.misconceptions);
    assert_eq!(aha_checkpoint(t), Some("one-gil-per-process"));
    assert_eq!(
        t.aha.get().unwrap().struggle,
        Some(Struggle::Question),
        "after asking what a thread is"
    );
    assert!(t.tutor.starts_with("Spot on."), "{}", t.tutor);
}

#[test]
fn hitting_a_thread_limit_credits_the_memory_cost() {
    let t = &seed_turns()[8];
    assert_eq!(covered(t), ["threads-cost-memory"]);
}

#[test]
fn actions_done_externally_credit_an_async_endpoint() {
    let t = &seed_turns()[9];
    assert_eq!(covered(t), ["io-endpoint-should-be-async"]);
}

#[test]
fn await_only_running_when_the_dependency_is_done_is_flagged_and_challenged() {
    let t = &seed_turns()[10];
    assert_eq!(t.misconceptions.len(), 1);
    assert_eq!(
        t.misconceptions[0].as_str(),
        "await-waits-for-previous-line"
    );
    assert!(matches!(t.tutor_move, Some(Move::Correct { level: 0, .. })));
    let blocking = klover_domain::CheckpointId::parse("blocking-call-freezes-loop").unwrap();
    assert!(
        t.scores[&blocking] < 0.6,
        "\"the first one will have problems\" is partial"
    );
}

#[test]
fn every_tutor_turn_is_short_and_asks_at_most_one_question() {
    for t in seed_turns() {
        assert!(
            common::words(&t.tutor) <= 100,
            "turn {}: {} words",
            t.turn,
            common::words(&t.tutor)
        );
        assert!(
            t.tutor.matches('?').count() <= 1,
            "turn {}: {}",
            t.turn,
            t.tutor
        );
    }
}

#[test]
fn replay_turns_serialise_in_the_documented_shape() {
    let t = &seed_turns()[2];
    let v = serde_json::to_value(t).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "turn",
        "concept",
        "learner",
        "scores",
        "covered",
        "misconceptions",
        "flags",
        "move",
        "aha",
        "tutor",
        "next",
    ] {
        assert!(keys.contains(&k), "missing {k} in {keys:?}");
    }
    assert_eq!(keys.len(), 11);
    let first = serde_json::to_value(&seed_turns()[0]).unwrap();
    assert_eq!(first["aha"], serde_json::Value::Bool(false));
    assert_eq!(v["move"]["kind"], "advance");
    assert!(
        !serde_json::to_value(&seed_turns()[1])
            .unwrap()
            .as_object()
            .unwrap()
            .contains_key("next"),
        "`next` only after a transition"
    );
}

#[test]
fn the_offline_tutor_s_words_on_the_seed_are_reviewed_as_a_snapshot() {
    // Any change to the curriculum's texts, the templates or the policy shows up here.
    let transcript: Vec<String> = seed_turns()
        .iter()
        .map(|t| {
            let kind = t.tutor_move.as_ref().map_or("none", Move::kind);
            format!(
                "{} [{}] {}\n   -> [{kind}] {}{}",
                t.turn,
                t.concept,
                t.learner,
                t.tutor,
                t.next
                    .as_ref()
                    .map_or_else(String::new, |n| format!("\n   -> [ask] {n}"))
            )
        })
        .collect();
    insta::assert_snapshot!("seed_offline_transcript", transcript.join("\n"));
}
