//! One test per policy rule, driven through the engine with a tiny curriculum whose cues
//! are single made-up words (`alpha` states checkpoint `x`, `beta` states `y`, `gamma`
//! shows misconception `m`: `testing::tiny`), so each test reads as a dialogue.

use super::*;
use crate::engine::{self, SessionState, TurnOutcome};
use crate::testing::tiny;

pub(super) struct Dialogue {
    pub(super) c: Curriculum,
    pub(super) state: SessionState,
    last: String,
}

impl Dialogue {
    pub(super) fn new() -> Self {
        Self::with(tiny())
    }

    /// A dialogue over another curriculum whose first concept is `a`.
    pub(super) fn with(c: Curriculum) -> Self {
        let (state, opening) = engine::start(&c, None).unwrap();
        assert_eq!(opening.plan.moves, vec![Move::Ask { concept: id("a") }]);
        Self {
            c,
            state,
            last: opening.offline_text,
        }
    }

    pub(super) fn say(&mut self, text: &str) -> TurnOutcome {
        let o = engine::offline_turn(&self.c, &mut self.state, text, Some(&self.last)).unwrap();
        self.last = o.said_last().to_owned();
        o
    }
}

pub(super) fn id(s: &str) -> ConceptId {
    ConceptId::parse(s).unwrap()
}

pub(super) fn cp(s: &str) -> CheckpointId {
    CheckpointId::parse(s).unwrap()
}

pub(super) fn kinds(o: &TurnOutcome) -> Vec<&'static str> {
    o.plan.moves.iter().map(Move::kind).collect()
}

#[test]
fn a_partial_first_answer_is_confirmed_then_pumped() {
    let mut d = Dialogue::new();
    let o = d.say("alpha");
    assert_eq!(kinds(&o), ["confirm", "pump"]);
    assert!(
        o.offline_text.starts_with("Exactly: x."),
        "{}",
        o.offline_text
    );
}

#[test]
fn hints_go_from_vague_to_specific_after_the_pump() {
    let mut d = Dialogue::new();
    d.say("alpha");
    let o = d.say("hmm, something about the weather of concept a");
    assert_eq!(
        o.plan.moves,
        vec![Move::Hint {
            checkpoint: cp("y"),
            level: 0
        }]
    );
    assert_eq!(o.offline_text, "Vague hint about y?");
    let o = d.say("concept a is nice");
    assert_eq!(
        o.plan.moves,
        vec![Move::Hint {
            checkpoint: cp("y"),
            level: 1
        }]
    );
}

#[test]
fn assertion_comes_only_after_two_unsuccessful_tries_and_then_moves_on() {
    let mut d = Dialogue::new();
    let o = d.say("concept a is about letters");
    assert!(
        matches!(o.plan.moves[..], [Move::Hint { level: 0, .. }]),
        "{:?}",
        o.plan.moves
    );
    let o = d.say("concept a still");
    assert!(
        matches!(o.plan.moves[..], [Move::Hint { level: 1, .. }]),
        "{:?}",
        o.plan.moves
    );
    assert_eq!(
        d.state.dialogue.tries[&cp("x")],
        1,
        "one unsuccessful try so far"
    );
    let o = d.say("concept a again");
    assert_eq!(
        o.plan.moves[0],
        Move::Assert {
            checkpoint: cp("x")
        }
    );
    assert!(o.offline_text.contains("X is alpha."), "{}", o.offline_text);
    assert!(
        matches!(&o.plan.moves[1..], [.., Move::Hint { checkpoint, .. }] if checkpoint == &cp("y"))
    );
    assert!(d.state.learner.checkpoints[&cp("x")].stated_by_tutor);
}

#[test]
fn a_checkpoint_the_tutor_stated_is_not_credited_to_the_learner() {
    let mut d = Dialogue::new();
    d.state.learner.mark_stated(&cp("x"));
    let o = d.say("alpha");
    assert!(o.covered.is_empty());
    assert!(!d.state.learner.is_mastered(&cp("x")));
    assert!(o.progress.checkpoints[0].stated_by_tutor && !o.progress.checkpoints[0].reached);
}

#[test]
fn a_direct_question_is_answered_briefly_and_handed_back() {
    let mut d = Dialogue::new();
    let o = d.say("What does A mean?");
    assert_eq!(o.plan.moves, vec![Move::Answer { question: Some(0) }]);
    assert!(o.offline_text.ends_with('?'));
    let o = d.say("Why is concept A so hard?");
    assert_eq!(o.plan.moves, vec![Move::Answer { question: None }]);
    let o = d.say("Why is the sky blue?");
    assert_eq!(
        o.plan.act,
        Some(crate::assess::act::DialogueAct::OffTopic),
        "a question about another topic is not handed back: {:?}",
        o.plan
    );
}

#[test]
fn just_tell_me_gets_a_hint_the_first_time_not_the_answer() {
    let mut d = Dialogue::new();
    let o = d.say("just tell me the answer");
    assert!(
        matches!(o.plan.moves[..], [Move::Hint { .. }]),
        "{:?}",
        o.plan.moves
    );
    assert!(!o.offline_text.contains("alpha"));
    let o = d.say("just tell me the answer");
    assert!(
        matches!(o.plan.moves[..], [Move::Hint { level: 1, .. }]),
        "{:?}",
        o.plan.moves
    );
    let o = d.say("just tell me the answer");
    assert_eq!(
        o.plan.moves[0],
        Move::Assert {
            checkpoint: cp("x")
        }
    );
}

#[test]
fn an_analogy_is_offered_once_when_the_learner_is_stuck() {
    let mut d = Dialogue::new();
    let o = d.say("I don't know");
    assert_eq!(kinds(&o), ["analogy", "hint"]);
    assert!(o.offline_text.contains("A picture."));
    let o = d.say("I don't know");
    assert_eq!(kinds(&o), ["hint"]);
}

#[test]
fn an_off_topic_turn_gets_the_question_again() {
    let mut d = Dialogue::new();
    let o = d.say("I had a lovely sunny afternoon");
    assert!(o.assessment.off_topic);
    assert_eq!(o.plan.moves, vec![Move::Ask { concept: id("a") }]);
    assert_eq!(
        o.offline_text, "That one's outside what we're working on, so let's park it. Explain A?",
        "a short, warm redirect to the question"
    );
}

#[test]
fn never_more_than_two_probes_of_one_checkpoint_in_a_row() {
    let mut d = Dialogue::new();
    let mut streak: (Option<CheckpointId>, usize) = (None, 0);
    for text in [
        "concept a",
        "What?",
        "concept a, hmm",
        "What?",
        "concept a",
        "What?",
        "concept a",
    ]
    .iter()
    .cycle()
    .take(20)
    {
        let o = d.say(text);
        for m in &o.plan.moves {
            match m {
                Move::Hint { checkpoint, .. } | Move::Prompt { checkpoint } => {
                    streak = match streak {
                        (Some(prev), n) if &prev == checkpoint => (Some(prev), n + 1),
                        _ => (Some(checkpoint.clone()), 1),
                    };
                    assert!(streak.1 <= 2, "{:?}", d.state.dialogue);
                }
                Move::Assert { .. } | Move::Advance { .. } => streak = (None, 0),
                _ => {}
            }
        }
    }
}

#[test]
fn a_mastered_concept_is_summarised_and_the_fringe_concept_follows() {
    let mut d = Dialogue::new();
    let o = d.say("alpha and beta");
    assert_eq!(kinds(&o), ["confirm", "summarize", "advance"]);
    assert_eq!(
        o.advanced,
        Some((id("a"), id("b"))),
        "b is the fringe, c needs b"
    );
    assert!(
        o.offline_text
            .ends_with("A is alpha and beta. Next: Concept B."),
        "the closing: {}",
        o.offline_text
    );
    let next = o.next.as_ref().expect("the opening, a turn of its own");
    assert_eq!(next.plan.moves, [Move::Ask { concept: id("b") }]);
    assert_eq!(next.offline_text, "Explain B?");
    let o = d.say("delta");
    assert_eq!(o.advanced, Some((id("b"), id("c"))));
    let o = d.say("epsilon");
    assert_eq!(kinds(&o), ["confirm", "summarize", "finish"]);
    assert!(o.finished && d.state.finished);
}

#[test]
fn review_mode_reprobes_only_the_given_checkpoints() {
    let c = tiny();
    let (mut state, opening) = engine::start_review(&c, &[cp("y"), cp("z")]).unwrap();
    assert_eq!(opening.plan.concept, id("a"));
    let o = engine::offline_turn(&c, &mut state, "beta", None).unwrap();
    assert_eq!(
        o.advanced,
        Some((id("a"), id("b"))),
        "x is not under review"
    );
    let o = engine::offline_turn(&c, &mut state, "delta", None).unwrap();
    assert_eq!(kinds(&o), ["confirm", "summarize", "finish"]);
}

#[test]
fn plans_withhold_unreached_checkpoints_and_allow_confirmed_ones() {
    let mut d = Dialogue::new();
    let o = d.say("alpha");
    assert_eq!(o.plan.may_state, vec![cp("x")]);
    assert_eq!(o.plan.withhold, vec![cp("y")]);
}

#[test]
fn a_question_authored_in_the_next_concept_is_answered_there_and_the_session_moves() {
    let mut d = Dialogue::new();
    let o = d.say("What is zeta?");
    assert_eq!(kinds(&o), ["advance", "answer"]);
    assert_eq!(o.advanced, Some((id("a"), id("b"))));
    assert_eq!(o.plan.moves[1], Move::Answer { question: Some(0) });
    assert_eq!(d.state.concept, id("b"));
    assert!(
        o.offline_text.contains("Zeta comes after delta."),
        "{}",
        o.offline_text
    );
    assert!(
        !d.state.completed.contains(&id("a")),
        "a question moves the session without completing the concept left"
    );
}

#[test]
fn a_question_authored_in_a_concept_with_unmet_prerequisites_is_not_followed() {
    let mut d = Dialogue::new();
    let o = d.say("What is omega?");
    assert_eq!(kinds(&o), ["answer"]);
    assert_eq!(o.advanced, None);
    assert_eq!(d.state.concept, id("a"));
    assert!(!o.offline_text.contains("Omega"), "{}", o.offline_text);
}

#[test]
fn the_question_is_never_handed_back_twice_in_a_row() {
    let mut d = Dialogue::new();
    let first = d.say("Why is concept A so hard?");
    assert_eq!(first.plan.moves, vec![Move::Answer { question: None }]);
    let second = d.say("Why is concept A so long?");
    assert_eq!(
        second.plan.moves,
        vec![Move::Hint {
            checkpoint: cp("x"),
            level: 0
        }]
    );
    assert_eq!(second.plan.focus, Some(Focus::Checkpoint(cp("x"))));
    assert_ne!(first.offline_text, second.offline_text);
    assert!(
        second.offline_text.contains("Vague hint about x?"),
        "{}",
        second.offline_text
    );
}

#[test]
fn questions_alone_never_bring_a_third_probe_of_the_last_checkpoint() {
    let mut d = Dialogue::new();
    d.say("alpha");
    let questions = [
        "Why is the sky blue?",
        "Why is the grass green?",
        "Why is the sea wet?",
        "Why is snow cold?",
        "Why is fire hot?",
        "Why is ice slippery?",
    ];
    let mut probes_of_y = 0;
    let mut last = None;
    for q in questions {
        let o = d.say(q);
        for m in &o.plan.moves {
            if matches!(m, Move::Hint { checkpoint, .. } | Move::Prompt { checkpoint } if checkpoint == &cp("y"))
            {
                probes_of_y += 1;
            }
        }
        last = Some(o);
    }
    assert_eq!(probes_of_y, 2, "y is probed twice, then rests");
    let last = last.unwrap();
    assert!(
        matches!(
            last.plan.moves[..],
            [Move::Pump { .. } | Move::Analogy { .. }]
        ),
        "{:?}",
        last.plan.moves
    );
    assert_eq!(last.plan.focus, Some(Focus::Checkpoint(cp("y"))));
}
