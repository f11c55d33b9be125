//! Rule 2: a misconception is an open item (question, contrast, correction), driven
//! through the engine with the tiny curriculum (`gamma` shows misconception `m`).

use super::tests::{Dialogue, cp, id, kinds};
use super::*;

#[test]
fn a_misconception_is_challenged_by_a_question_first_even_over_a_confirmation() {
    let mut d = Dialogue::new();
    // Two sentences: a misconception shown in the same sentence would block the credit.
    let o = d.say("alpha. gamma");
    assert_eq!(kinds(&o), ["confirm", "correct"]);
    assert_eq!(
        o.plan.moves[1],
        Move::Correct {
            misconception: MisconceptionId::parse("m").unwrap(),
            level: 0
        }
    );
    assert!(o.offline_text.ends_with("Is gamma really true?"));
}

#[test]
fn a_repeated_misconception_climbs_the_ladder_question_contrast_correction() {
    let mut d = Dialogue::new();
    let o = d.say("gamma");
    assert_eq!(kinds(&o), ["correct"]);
    let o = d.say("gamma, surely");
    assert_eq!(
        kinds(&o),
        ["analogy", "correct"],
        "a contrast: {:?}",
        o.plan
    );
    assert!(matches!(o.plan.moves[1], Move::Correct { level: 0, .. }));
    let o = d.say("gamma, I said");
    assert!(
        matches!(o.plan.moves[0], Move::Correct { level: 1, .. }),
        "{:?}",
        o.plan.moves
    );
    assert!(o.offline_text.starts_with("Not quite. Gamma is false."));
}

#[test]
fn i_dont_know_after_a_challenge_keeps_the_misconception_open_and_climbs() {
    let mut d = Dialogue::new();
    d.say("gamma");
    let o = d.say("I really don't know");
    let m = MisconceptionId::parse("m").unwrap();
    assert!(d.state.learner.is_active(&m), "not resolved by a shrug");
    assert_eq!(kinds(&o), ["analogy", "correct"], "{:?}", o.plan);
    assert_eq!(o.plan.focus, Some(Focus::Misconception(m)));
}

#[test]
fn yes_after_a_challenge_insists_on_the_misconception() {
    let mut d = Dialogue::new();
    d.say("gamma");
    let o = d.say("Yes, that's the whole point");
    assert_eq!(o.misconceptions, vec![MisconceptionId::parse("m").unwrap()]);
    assert_eq!(kinds(&o), ["analogy", "correct"], "{:?}", o.plan);
}

#[test]
fn an_answer_without_the_correcting_idea_does_not_resolve_a_misconception() {
    let mut d = Dialogue::new();
    d.say("gamma");
    let o = d.say("concept a is about letters");
    assert!(
        d.state
            .learner
            .is_active(&MisconceptionId::parse("m").unwrap())
    );
    assert!(o.aha.is_none());
    assert!(matches!(o.plan.primary(), Some(Move::Correct { .. })));
}

#[test]
fn a_concept_never_closes_over_an_open_misconception() {
    let mut d = Dialogue::new();
    let o = d.say("Alpha. Gamma.");
    assert_eq!(kinds(&o), ["confirm", "correct"]);
    // Beta completes the concept, but the learner has not let go of gamma.
    let o = d.say("Beta. Gamma too.");
    assert!(
        !o.plan
            .moves
            .iter()
            .any(|m| matches!(m, Move::Summarize { .. })),
        "{:?}",
        o.plan
    );
    assert!(!d.state.completed.contains(&id("a")));
    let o = d.say("beta");
    assert!(
        matches!(o.plan.moves[0], Move::Correct { level: 1, .. }),
        "{:?}",
        o.plan
    );
    assert!(
        d.state.learner.misconceptions[&MisconceptionId::parse("m").unwrap()].corrected_by_tutor
    );
}

#[test]
fn dropping_a_challenged_misconception_is_an_aha() {
    let mut d = Dialogue::new();
    d.say("gamma");
    let o = d.say("oh, it is alpha instead");
    let aha = o.aha.expect("aha");
    assert_eq!(aha.checkpoint, Some(cp("x")));
    assert!(
        !d.state
            .learner
            .is_active(&MisconceptionId::parse("m").unwrap())
    );
}
