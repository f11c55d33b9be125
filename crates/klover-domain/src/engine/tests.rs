//! Engine unit tests: the session state survives JSON (the store keeps it so), progress
//! never carries an unreached checkpoint's words, and starting errors are typed.

use super::*;

use crate::testing::small as tiny;

#[test]
fn session_state_round_trips_through_json_and_carries_on_identically() {
    let c = tiny();
    let (mut state, _) = start(&c, None).unwrap();
    offline_turn(&c, &mut state, "alpha, I think", None).unwrap();
    offline_turn(&c, &mut state, "no idea", None).unwrap();
    let json = serde_json::to_string(&state).unwrap();
    let mut back: SessionState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, state);
    let a = offline_turn(&c, &mut state, "beta", None).unwrap();
    let b = offline_turn(&c, &mut back, "beta", None).unwrap();
    assert_eq!(a, b);
    assert!(b.finished);
}

#[test]
fn progress_shows_evidence_for_reached_checkpoints_only() {
    let c = tiny();
    let (mut state, opening) = start(&c, None).unwrap();
    assert_eq!(opening.progress.remaining, 2);
    let o = offline_turn(&c, &mut state, "It is alpha.", None).unwrap();
    let p = &o.progress;
    assert_eq!(p.remaining, 1);
    assert!(p.checkpoints[0].reached);
    assert_eq!(p.checkpoints[0].evidence.as_deref(), Some("It is alpha."));
    assert!(!p.checkpoints[1].reached && p.checkpoints[1].evidence.is_none());
    let json = serde_json::to_string(p).unwrap();
    assert!(!json.contains("Secret statement"), "{json}");
    assert!((0.0..=1.0).contains(&p.mastery));
}

#[test]
fn starting_at_an_unknown_concept_or_reviewing_nothing_is_an_error() {
    let c = tiny();
    let nope = ConceptId::parse("nope").unwrap();
    assert_eq!(
        start(&c, Some(&nope)).unwrap_err(),
        EngineError::UnknownConcept(nope)
    );
    assert!(matches!(start_review(&c, &[]), Err(EngineError::Empty(_))));
    let unknown = CheckpointId::parse("zzz").unwrap();
    assert!(matches!(
        start_review(&c, &[unknown]),
        Err(EngineError::UnknownCheckpoint(_))
    ));
}

#[test]
fn the_opening_asks_the_concept_question_and_withholds_every_checkpoint() {
    let c = tiny();
    let (state, opening) = start(&c, None).unwrap();
    assert_eq!(opening.offline_text, "Explain A?");
    assert_eq!(opening.plan.withhold.len(), 2);
    assert_eq!(state.mode, Mode::Learn);
    assert_eq!(state.turn, 0);
}

#[test]
fn a_turn_after_the_end_just_says_the_path_is_done() {
    let c = tiny();
    let (mut state, _) = start(&c, None).unwrap();
    let o = offline_turn(&c, &mut state, "alpha and beta", None).unwrap();
    assert!(o.finished);
    let o = offline_turn(&c, &mut state, "anything else?", None).unwrap();
    assert_eq!(o.plan.moves, vec![Move::Finish]);
    assert!(o.offline_text.starts_with("That's the whole path"));
}

/// The reference curriculum's "What is a thread?" answer states what a thread is: the
/// hints that follow aim at another checkpoint, and the learner is never credited for it.
#[test]
fn what_the_answer_to_what_is_a_thread_states_is_not_probed_afterwards() {
    let c = crate::testing::async_python();
    let concept = ConceptId::parse("threads-and-processes").unwrap();
    let thread = CheckpointId::parse("thread-is-instruction-sequence").unwrap();
    let (mut state, _) = start(&c, Some(&concept)).unwrap();
    let o = offline_turn(&c, &mut state, "What is a thread?", None).unwrap();
    assert!(
        matches!(o.plan.moves[..], [Move::Answer { question: Some(_) }]),
        "{:?}",
        o.plan.moves
    );
    assert!(o.offline_text.contains("to-do list"), "{}", o.offline_text);
    assert!(state.learner.is_done(&thread));
    assert!(!o.plan.withhold.contains(&thread));
    let mut last = o.offline_text;
    for line in [
        "I don't know",
        "I don't know",
        "A thread is a list of instructions the CPU runs.",
    ] {
        let o = offline_turn(&c, &mut state, line, Some(&last)).unwrap();
        assert_ne!(
            o.plan.focus,
            Some(Focus::Checkpoint(thread.clone())),
            "{line}"
        );
        assert!(!o.covered.contains(&thread), "{line}: {:?}", o.covered);
        assert!(
            o.plan.moves.iter().all(|m| !matches!(
                m,
                Move::Hint { checkpoint, .. } | Move::Prompt { checkpoint } if checkpoint == &thread
            )),
            "{line}: {:?}",
            o.plan.moves
        );
        last = o.offline_text;
    }
    let progress = progress(&c, &state);
    assert!(
        progress.remaining < c.concept(&concept).unwrap().checkpoints.len(),
        "the stated checkpoint no longer counts as remaining"
    );
}
