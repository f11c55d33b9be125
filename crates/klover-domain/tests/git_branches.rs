//! The second curriculum (git branches, `tests/fixtures/curricula/git-branches`) through
//! the same offline engine and the same checks as the reference one: the engine is not
//! tied to the seed's topic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use klover_domain::engine::replay::{ReplayTurn, replay};
use klover_domain::policy::Move;

const DIR: &str = "tests/fixtures/curricula/git-branches";

fn turns() -> Vec<ReplayTurn> {
    let c = common::load(DIR);
    let script =
        std::fs::read_to_string(common::repo().join(DIR).join("scripts/dialogue.txt")).unwrap();
    let turns = replay(&c, None, &script).unwrap();
    assert_eq!(turns.len(), 11);
    turns
}

fn covered(t: &ReplayTurn) -> Vec<&str> {
    t.covered.iter().map(|c| c.as_str()).collect()
}

#[test]
fn a_wrong_belief_is_challenged_and_dropping_it_is_an_aha() {
    let t = turns();
    assert_eq!(t[0].misconceptions[0].as_str(), "commit-stores-diffs");
    assert!(matches!(
        t[0].tutor_move,
        Some(Move::Correct { level: 0, .. })
    ));
    assert_eq!(covered(&t[1]), ["commit-is-snapshot"]);
    let aha = t[1].aha.get().expect("aha after the correction");
    assert_eq!(aha.triggered_by.kind(), "correct");
    assert!(aha.quote.contains("snapshot"), "{}", aha.quote);
}

#[test]
fn a_stuck_learner_gets_an_analogy_and_a_hint_then_the_aha() {
    let t = turns();
    assert!(t[2].flags.contains(&"dont_know"));
    assert!(t[2].tutor.contains("photo album"), "{}", t[2].tutor);
    assert!(
        matches!(t[2].tutor_move, Some(Move::Hint { .. })),
        "the analogy comes with a hint"
    );
    assert_eq!(covered(&t[3]), ["commit-points-to-parent"]);
    assert_eq!(t[3].aha.get().unwrap().triggered_by.kind(), "hint");
}

#[test]
fn the_path_follows_prerequisites_to_the_end() {
    let t = turns();
    let advances: Vec<(String, String)> = t
        .iter()
        .filter_map(|t| match &t.tutor_move {
            Some(Move::Advance { from, to }) => Some((from.to_string(), to.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        advances,
        [
            ("commits".into(), "branches".into()),
            ("branches".into(), "merging".into())
        ]
    );
    assert_eq!(t[10].tutor_move, Some(Move::Finish));
}

#[test]
fn every_checkpoint_is_credited_in_the_learners_words() {
    let t = turns();
    let all: Vec<&str> = t.iter().flat_map(covered).collect();
    for cp in [
        "commit-is-snapshot",
        "commit-points-to-parent",
        "branch-is-pointer",
        "branching-is-cheap",
        "commit-moves-branch",
        "merge-commit-two-parents",
        "fast-forward",
    ] {
        assert!(all.contains(&cp), "{cp} never credited: {all:?}");
    }
}

#[test]
fn asking_for_the_answer_over_an_open_misconception_climbs_its_ladder_not_the_answer() {
    let t = turns();
    assert!(t[8].flags.contains(&"asked_for_answer"));
    // The misconception of turn 8 is still open: the contrast rung (a picture, then its
    // question again), not the merge commit's answer.
    assert!(
        matches!(t[8].tutor_move, Some(Move::Correct { level: 0, .. })),
        "{:?}",
        t[8].tutor_move
    );
    assert!(t[8].tutor.contains("Two streams"), "{}", t[8].tutor);
    assert!(!t[8].tutor.contains("two parents"), "{}", t[8].tutor);
}

#[test]
fn negated_statements_are_not_credited_here_either() {
    let c = common::load(DIR);
    for (concept, text, cp) in [
        (
            "commits",
            "A commit is not a snapshot of the project.",
            "commit-is-snapshot",
        ),
        (
            "branches",
            "A branch is not just a pointer.",
            "branch-is-pointer",
        ),
        (
            "branches",
            "Creating a branch isn't cheap.",
            "branching-is-cheap",
        ),
        (
            "merging",
            "A merge commit doesn't have two parents.",
            "merge-commit-two-parents",
        ),
    ] {
        assert!(
            !common::credited(&c, concept, text).contains(&cp.to_owned()),
            "{text}"
        );
    }
}

#[test]
fn every_tutor_turn_is_short_and_asks_at_most_one_question() {
    for t in turns() {
        assert!(
            common::words(&t.tutor) <= 100,
            "turn {}: {}",
            t.turn,
            t.tutor
        );
        assert!(
            t.tutor.matches('?').count() <= 1,
            "turn {}: {}",
            t.turn,
            t.tutor
        );
    }
}
