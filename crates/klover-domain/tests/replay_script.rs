//! The replay script format: comments, blank lines, `@concept` moves, and errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use klover_domain::ConceptId;
use klover_domain::engine::EngineError;
use klover_domain::engine::replay::replay;

#[test]
fn comments_and_blank_lines_are_skipped_and_concept_lines_move_the_session() {
    let c = common::async_python();
    let script = "# a comment\n\n@concept gil\nOnly one thread runs Python at a time.\n  # indented comment\n@concept event-loop\nEverything else pauses.\n";
    let turns = replay(&c, None, script).unwrap();
    assert_eq!(turns.len(), 2);
    assert_eq!(turns[0].concept.as_str(), "gil");
    assert_eq!(turns[0].turn, 1);
    assert_eq!(turns[1].concept.as_str(), "event-loop");
    assert_eq!(turns[1].turn, 2);
    assert_eq!(turns[1].covered[0].as_str(), "cpu-task-blocks-loop");
}

#[test]
fn the_start_concept_can_be_chosen() {
    let c = common::async_python();
    let turns = replay(&c, Some(&ConceptId::parse("gil").unwrap()), "More GILs?").unwrap();
    assert_eq!(turns[0].concept.as_str(), "gil");
}

#[test]
fn an_unknown_or_malformed_concept_is_an_error() {
    let c = common::async_python();
    assert!(matches!(
        replay(&c, None, "@concept no-such-concept\nhello"),
        Err(EngineError::UnknownConcept(_))
    ));
    assert!(matches!(
        replay(&c, None, "@concept Not An Id"),
        Err(EngineError::Script(_))
    ));
    let unknown = ConceptId::parse("nope").unwrap();
    assert!(replay(&c, Some(&unknown), "hi").is_err());
}
