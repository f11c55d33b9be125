//! The tutor never says the same words twice in a row: one test per rule that avoids it,
//! on the tiny curriculum of `tests.rs` (`alpha` states `x`, `beta` states `y`, `gamma`
//! shows `m`; concept A has the analogy `pic` and the question "What does A mean?").

use super::tests::{Dialogue, cp, id, kinds};
use super::{Again, Focus, Move};
use crate::engine::{self, SessionState};

#[test]
fn the_same_question_twice_is_put_another_way_with_the_analogy_then_probed() {
    let mut d = Dialogue::new();
    let first = d.say("What does A mean?");
    assert_eq!(first.plan.moves, vec![Move::Answer { question: Some(0) }]);
    let second = d.say("What does A mean?");
    assert_eq!(kinds(&second), ["analogy", "hint"]);
    assert_eq!(second.plan.again, Some(Again::Question(0)));
    assert_eq!(
        second.offline_text,
        "Put another way: A picture. Vague hint about x?"
    );
    let third = d.say("What does A mean?");
    assert_eq!(
        third.plan.moves,
        vec![Move::Answer { question: Some(0) }],
        "not in a row any more: the answer again"
    );
}

#[test]
fn without_an_unused_analogy_the_same_question_gets_the_answers_gist_and_a_probe() {
    let mut d = Dialogue::new();
    d.state.dialogue.analogies_used.insert("a/pic".into());
    d.say("What does A mean?");
    let o = d.say("What does A mean?");
    assert_eq!(kinds(&o), ["hint"]);
    assert_eq!(o.plan.again, Some(Again::Question(0)));
    assert_eq!(
        o.offline_text,
        "In short: Alpha is a word. Vague hint about x?"
    );
}

#[test]
fn off_topic_twice_in_a_row_gets_a_smaller_step_not_the_question_again() {
    let mut d = Dialogue::new();
    let first = d.say("I had a lovely sunny afternoon");
    assert_eq!(first.plan.moves, vec![Move::Ask { concept: id("a") }]);
    let second = d.say("I had a lovely sunny evening");
    assert_eq!(
        second.plan.moves,
        vec![Move::Hint {
            checkpoint: cp("x"),
            level: 0
        }]
    );
    assert_eq!(second.plan.again, Some(Again::OffTopic));
    assert_eq!(
        second.offline_text,
        "Let's take a smaller step. Vague hint about x?"
    );
}

#[test]
fn the_top_hint_just_said_is_followed_by_the_prompt_not_said_again() {
    let mut d = Dialogue::new();
    d.state.dialogue.probes.insert(cp("x"), 1);
    let o = d.say("concept a");
    assert_eq!(
        o.plan.moves,
        vec![Move::Hint {
            checkpoint: cp("x"),
            level: 1
        }]
    );
    // A first "tell me" gets a hint, and the top one was just said: the prompt instead.
    let o = d.say("Tell me.");
    assert_eq!(
        o.plan.moves,
        vec![Move::Prompt {
            checkpoint: cp("x")
        }]
    );
    assert_eq!(o.offline_text, "X is ___?");
}

#[test]
fn the_prompt_is_not_said_twice_in_a_row_another_checkpoint_is_probed() {
    let mut d = Dialogue::new();
    d.state.dialogue.probes.insert(cp("x"), 2);
    let o = d.say("concept a");
    assert_eq!(
        o.plan.moves,
        vec![Move::Prompt {
            checkpoint: cp("x")
        }]
    );
    let o = d.say("concept a, hmm");
    assert_eq!(d.state.dialogue.tries[&cp("x")], 1, "too early to state x");
    assert_eq!(
        o.plan.moves,
        vec![Move::Hint {
            checkpoint: cp("y"),
            level: 0
        }]
    );
}

#[test]
fn a_stated_correction_is_not_said_twice_in_a_row_its_question_comes_back() {
    let mut d = Dialogue::new();
    d.say("gamma");
    let o = d.say("gamma, surely");
    assert_eq!(kinds(&o), ["analogy", "correct"], "the contrast rung");
    let o = d.say("gamma, really");
    assert!(matches!(o.plan.moves[0], Move::Correct { level: 1, .. }));
    let o = d.say("gamma, I insist");
    assert_eq!(kinds(&o), ["correct"]);
    assert!(matches!(o.plan.moves[0], Move::Correct { level: 0, .. }));
    assert_eq!(
        o.offline_text,
        "Hmm, let's test that. Is gamma really true?"
    );
}

#[test]
fn resting_on_the_last_checkpoint_never_pumps_twice_in_a_row() {
    let mut d = Dialogue::new();
    assert_eq!(kinds(&d.say("alpha")), ["confirm", "pump"]);
    d.state.dialogue.analogies_used.insert("a/pic".into());
    d.state.dialogue.streak = Some((cp("y"), 2));
    // y was probed twice in a row and the pump was just said: the question again.
    let o = d.say("concept a");
    assert_eq!(o.plan.moves, vec![Move::Ask { concept: id("a") }]);
    assert_eq!(o.plan.focus, None);
    assert_eq!(
        o.offline_text,
        "Let's come back to our question. Explain A?"
    );
    let o = d.say("concept a");
    assert_eq!(kinds(&o), ["pump"]);
    assert_eq!(o.plan.focus, Some(Focus::Checkpoint(cp("y"))));
    let o = d.say("concept a");
    assert_eq!(kinds(&o), ["ask"], "not the pump again");
}

#[test]
fn a_review_never_asks_its_review_question_twice_in_a_row() {
    let c = crate::testing::tiny();
    let (mut state, opening) = engine::start_review(&c, &[cp("y")]).unwrap();
    state.dialogue.analogies_used.insert("a/pic".into());
    state.dialogue.streak = Some((cp("y"), 2));
    let say = |state: &mut SessionState, text: &str| {
        engine::offline_turn(&c, state, text, Some(&opening.offline_text)).unwrap()
    };
    let o = say(&mut state, "concept a");
    assert_eq!(o.plan.moves, vec![Move::Ask { concept: id("a") }]);
    assert_eq!(
        o.offline_text,
        "Let's come back to our question. Review question about y?"
    );
    state.dialogue.tries.clear();
    let o = say(&mut state, "concept a");
    assert_eq!(kinds(&o), ["analogy"], "the concept's picture again");
    assert_eq!(o.plan.focus, Some(Focus::Checkpoint(cp("y"))));
    assert_eq!(o.offline_text, "Here's a picture that may help. A picture.");
}
