//! An authored answer that states checkpoints (`[[questions]] states`): the tutor said
//! them, so they leave the gap, are never credited to the learner afterwards, are not
//! probed, and the concept can complete. `tiny` with A's question stating `x` and B's
//! stating `z`.

use super::tests::{Dialogue, cp, id, kinds};
use super::*;
use crate::testing::{TINY_A, TINY_B, TINY_C, TINY_MANIFEST, curriculum};

fn stating() -> Curriculum {
    let a = TINY_A.replace(
        "answer = \"Alpha is a word. What do you make of it?\"",
        "answer = \"Alpha is a word. What do you make of it?\"\nstates = [\"x\"]",
    );
    let b = TINY_B.replace(
        "answer = \"Zeta comes after delta. What do you make of it?\"",
        "answer = \"Zeta comes after delta. What do you make of it?\"\nstates = [\"z\"]",
    );
    assert_ne!(a, TINY_A);
    assert_ne!(b, TINY_B);
    curriculum(&[
        ("curriculum.toml", TINY_MANIFEST),
        ("concepts/01-a.toml", &a),
        ("concepts/02-c.toml", TINY_C),
        ("concepts/03-b.toml", &b),
    ])
}

fn stated_by_tutor(d: &Dialogue, s: &str) -> bool {
    d.state
        .learner
        .checkpoints
        .get(&cp(s))
        .is_some_and(|k| k.stated_by_tutor)
}

#[test]
fn an_answer_that_states_a_checkpoint_takes_it_out_of_the_gap() {
    let mut d = Dialogue::with(stating());
    let o = d.say("What does A mean?");
    assert_eq!(o.plan.moves, vec![Move::Answer { question: Some(0) }]);
    assert_eq!(
        o.plan.stated_checkpoints(&d.c, &d.state.learner),
        vec![cp("x")]
    );
    assert!(o.plan.may_state.contains(&cp("x")));
    assert_eq!(o.plan.withhold, vec![cp("y")]);
    assert!(stated_by_tutor(&d, "x"));
    assert!(d.state.learner.is_done(&cp("x")));
    assert!(!d.state.learner.is_mastered(&cp("x")));
    assert!(o.covered.is_empty());
    // The next probe aims at what is still missing, never at what the tutor just said.
    let o = d.say("I don't know");
    assert_eq!(o.plan.focus, Some(Focus::Checkpoint(cp("y"))));
    assert!(
        o.plan.moves.iter().all(|m| !matches!(
            m,
            Move::Hint { checkpoint, .. } | Move::Prompt { checkpoint } | Move::Assert { checkpoint }
                if checkpoint == &cp("x")
        )),
        "{:?}",
        o.plan.moves
    );
}

#[test]
fn the_learner_is_never_credited_for_what_the_answer_stated() {
    let mut d = Dialogue::with(stating());
    d.say("What does A mean?");
    let before = d.state.learner.p_known(&cp("x"));
    let o = d.say("alpha");
    assert!(o.covered.is_empty(), "{:?}", o.covered);
    assert_eq!(d.state.learner.p_known(&cp("x")), before);
    assert!(o.aha.is_none());
    // The concept completes on the learner's own `y`, with `x` stated by the tutor.
    let o = d.say("beta");
    assert_eq!(o.covered, vec![cp("y")]);
    assert_eq!(kinds(&o), ["confirm", "summarize", "advance"]);
    assert!(o.next.is_some(), "the next concept's opening follows");
    assert!(d.state.completed.contains(&id("a")));
    assert!(stated_by_tutor(&d, "x"));
}

#[test]
fn an_answer_stating_the_last_missing_checkpoint_lets_the_concept_complete() {
    let mut d = Dialogue::with(stating());
    d.say("beta");
    let o = d.say("What does A mean?");
    assert_eq!(kinds(&o), ["answer"]);
    assert_eq!(o.plan.focus, None);
    assert!(o.plan.withhold.is_empty(), "{:?}", o.plan.withhold);
    // Whatever the learner says next, nothing is missing: summary and advance.
    let o = d.say("I see");
    assert_eq!(kinds(&o), ["summarize", "advance"]);
    assert!(o.next.is_some(), "the next concept's opening follows");
    assert!(d.state.completed.contains(&id("a")));
}

#[test]
fn a_checkpoint_the_learner_mastered_stays_theirs_when_the_answer_states_it() {
    let mut d = Dialogue::with(stating());
    let o = d.say("alpha");
    assert_eq!(o.covered, vec![cp("x")]);
    let o = d.say("What does A mean?");
    assert_eq!(kinds(&o), ["answer"]);
    assert!(o.plan.stated_checkpoints(&d.c, &d.state.learner).is_empty());
    assert!(!stated_by_tutor(&d, "x"));
    assert!(d.state.learner.is_mastered(&cp("x")));
}

#[test]
fn an_answer_given_in_another_concept_states_that_concepts_checkpoints() {
    let mut d = Dialogue::with(stating());
    let o = d.say("What is zeta?");
    assert_eq!(kinds(&o), ["advance", "answer"]);
    assert_eq!(o.plan.concept, id("b"));
    assert_eq!(
        o.plan.stated_checkpoints(&d.c, &d.state.learner),
        vec![cp("z")]
    );
    assert!(o.plan.withhold.is_empty(), "{:?}", o.plan.withhold);
    assert!(stated_by_tutor(&d, "z"));
    let o = d.say("delta");
    assert!(o.covered.is_empty(), "{:?}", o.covered);
    assert!(
        o.plan
            .moves
            .iter()
            .any(|m| matches!(m, Move::Summarize { concept } if concept == &id("b"))),
        "{:?}",
        o.plan.moves
    );
}

#[test]
fn the_same_question_again_is_put_another_way_and_states_nothing_new() {
    let mut d = Dialogue::with(stating());
    d.say("What does A mean?");
    let o = d.say("What does A mean?");
    assert_eq!(o.plan.again, Some(Again::Question(0)));
    assert_eq!(o.plan.focus, Some(Focus::Checkpoint(cp("y"))));
    assert!(o.plan.stated_checkpoints(&d.c, &d.state.learner).is_empty());
}
