//! Review mode: the session opens with the due checkpoint's review question (not the
//! concept's opening question), "I don't remember" and "Tell me." get hints from vague to
//! specific, and the checkpoint is stated only after two unsuccessful tries.

use super::Focus;
use super::tests::{cp, id, kinds};
use crate::curriculum::Curriculum;
use crate::engine::{self, SessionState, TurnOutcome};
use crate::testing::tiny;

struct Review {
    c: Curriculum,
    state: SessionState,
    last: String,
}

impl Review {
    fn new() -> Self {
        let c = tiny();
        let (state, opening) = engine::start_review(&c, &[cp("y"), cp("z")]).unwrap();
        Self {
            c,
            state,
            last: opening.offline_text,
        }
    }

    fn say(&mut self, text: &str) -> TurnOutcome {
        let o = engine::offline_turn(&self.c, &mut self.state, text, Some(&self.last)).unwrap();
        self.last = o.said_last().to_owned();
        o
    }
}

#[test]
fn a_review_opens_with_the_due_checkpoints_review_question() {
    let c = tiny();
    let (_, opening) = engine::start_review(&c, &[cp("y"), cp("z")]).unwrap();
    assert_eq!(kinds_of(&opening.plan.moves), ["ask"]);
    assert_eq!(opening.plan.focus, Some(Focus::Checkpoint(cp("y"))));
    assert_eq!(
        opening.offline_text,
        "Quick review, from “Concept A”. Review question about y?"
    );
    assert!(
        !opening.offline_text.contains("Explain A?"),
        "not the opening question"
    );
    assert!(
        !opening.offline_text.contains("beta"),
        "never the statement"
    );
    assert!(opening.plan.withhold.contains(&cp("y")));
}

#[test]
fn i_dont_remember_gets_the_vague_hint_then_tell_me_the_specific_one() {
    let mut r = Review::new();
    let o = r.say("I don't remember.");
    assert!(o.assessment.dont_know);
    assert_eq!(kinds(&o), ["hint"], "a hint, not the question again");
    assert_eq!(o.offline_text, "Vague hint about y?");
    let o = r.say("Tell me.");
    assert!(o.assessment.asked_for_answer);
    assert_eq!(kinds(&o), ["hint"], "the first 'tell me' gets a hint");
    assert_eq!(o.offline_text, "Specific hint about y?");
    assert!(!o.offline_text.contains("Y is beta"));
}

#[test]
fn the_checkpoint_is_stated_only_after_two_unsuccessful_tries() {
    // The review question is a probe: the first "Tell me." is the first try, and gets a
    // hint; the second is the second try, after which the tutor may state it.
    let mut r = Review::new();
    let o = r.say("Tell me.");
    assert_eq!(kinds(&o), ["hint"]);
    assert!(!o.offline_text.contains("Y is beta."));
    assert_eq!(r.state.dialogue.tries.get(&cp("y")), Some(&1));
    let o = r.say("Tell me.");
    assert_eq!(r.state.dialogue.tries.get(&cp("y")), Some(&2));
    assert_eq!(kinds(&o)[0], "assert");
    assert!(o.offline_text.contains("Y is beta."));
}

#[test]
fn an_off_topic_answer_gets_the_review_question_again() {
    let mut r = Review::new();
    let o = r.say("I had a lovely sunny afternoon");
    assert!(o.assessment.off_topic);
    assert_eq!(o.plan.focus, Some(Focus::Checkpoint(cp("y"))));
    assert_eq!(
        o.offline_text,
        "That one's outside what we're working on, so let's park it. Review question about y?"
    );
}

#[test]
fn the_next_concept_opens_on_its_due_checkpoint_without_a_review_question_authored() {
    let mut r = Review::new();
    let o = r.say("beta");
    assert_eq!(o.advanced, Some((id("a"), id("b"))));
    // The closing, then the next concept's opening as a turn of its own.
    let next = o.next.as_ref().expect("the opening of b");
    assert_eq!(next.plan.focus, Some(Focus::Checkpoint(cp("z"))));
    assert!(
        next.offline_text.ends_with("Hint z two?"),
        "z has no review question: its last hint asks instead: {}",
        next.offline_text
    );
    assert!(
        !o.offline_text.contains("Hint z two?"),
        "{}",
        o.offline_text
    );
    assert!(!next.offline_text.contains("Explain B?"));
    let o = r.say("I don't know");
    assert_eq!(kinds(&o), ["hint"]);
    assert_eq!(o.offline_text, "Hint z one?");
}

#[test]
fn a_review_never_pumps_it_reprobes_the_next_due_checkpoint() {
    let c = tiny();
    let (mut state, _) = engine::start_review(&c, &[cp("x"), cp("y")]).unwrap();
    let o = engine::offline_turn(&c, &mut state, "alpha", None).unwrap();
    assert_eq!(kinds(&o), ["confirm", "ask"], "learning would pump here");
    assert_eq!(o.plan.focus, Some(Focus::Checkpoint(cp("y"))));
    assert_eq!(o.offline_text, "Exactly: x. Review question about y?");
}

#[test]
fn a_review_ends_with_its_own_words_not_the_learning_paths() {
    let mut r = Review::new();
    r.say("beta");
    let o = r.say("delta");
    assert!(o.finished);
    assert_eq!(o.plan.primary().map(super::Move::kind), Some("finish"));
    assert!(
        o.offline_text.contains("every card that was due"),
        "{}",
        o.offline_text
    );
    assert!(!o.offline_text.contains("whole path"), "{}", o.offline_text);
    // A message after the end gets the same ending again.
    let o = r.say("anything else?");
    assert!(!o.offline_text.contains("whole path"), "{}", o.offline_text);
}

fn kinds_of(moves: &[super::Move]) -> Vec<&'static str> {
    moves.iter().map(super::Move::kind).collect()
}
