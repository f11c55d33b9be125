//! A learner other than the seed's, in wordings written for this test, through the whole
//! reference curriculum with no `@concept` lines: the engine credits every checkpoint,
//! raises no misconception on correct statements, advances along the prerequisites by
//! itself and finishes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use klover_domain::engine::replay::{ReplayTurn, replay};
use klover_domain::policy::Move;

fn turns() -> Vec<ReplayTurn> {
    let c = common::async_python();
    let script = std::fs::read_to_string(
        common::repo().join("crates/klover-domain/tests/scripts/learner-async-python.txt"),
    )
    .unwrap();
    replay(&c, None, &script).unwrap()
}

#[test]
fn every_checkpoint_is_credited_and_the_path_finishes() {
    let c = common::async_python();
    let t = turns();
    let credited: Vec<&str> = t
        .iter()
        .flat_map(|t| t.covered.iter().map(|c| c.as_str()))
        .collect();
    for concept in &c.concepts {
        for cp in &concept.checkpoints {
            assert!(
                credited.contains(&cp.id.as_str()),
                "{} never credited",
                cp.id
            );
        }
    }
    assert_eq!(t.last().unwrap().tutor_move, Some(Move::Finish));
}

#[test]
fn concepts_come_in_prerequisite_order() {
    let c = common::async_python();
    let mut seen: Vec<String> = vec!["sync-vs-async".into()];
    for t in turns() {
        if let Some(Move::Advance { to, .. }) = &t.tutor_move {
            for p in c.graph.prerequisites(to) {
                assert!(
                    seen.contains(&p.to_string()),
                    "{to} before its prerequisite {p}"
                );
            }
            seen.push(to.to_string());
        }
    }
    assert_eq!(seen.len(), c.concepts.len(), "{seen:?}");
}

#[test]
fn correct_statements_raise_no_misconception() {
    for t in turns() {
        assert!(
            t.misconceptions.is_empty(),
            "turn {}: {:?} for {}",
            t.turn,
            t.misconceptions,
            t.learner
        );
    }
}

#[test]
fn a_stuck_learner_gets_an_analogy() {
    let t = turns();
    let stuck = t.iter().find(|t| t.flags.contains(&"dont_know")).unwrap();
    assert!(
        stuck.tutor.starts_with("Here's a picture that may help."),
        "{}",
        stuck.tutor
    );
}

#[test]
fn every_tutor_turn_is_short_and_asks_at_most_one_question() {
    for t in turns() {
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
