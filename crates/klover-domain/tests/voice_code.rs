//! An authored code example reaches the learner whole: the offline voice keeps its
//! newlines and indentation (as the concept's opening question, and after an advance in
//! the same turn as a summary), and the 100-word rule counts the prose around it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use klover_domain::ConceptId;
use klover_domain::engine;
use klover_domain::policy::{Move, TutorPlan};
use klover_domain::voice::{self, MAX_WORDS, prose, prose_words};

const SYNC: &str = "```python\nasync def get_data():\n    response = \
                    requests.get(\"https://api.example.com/data\")  # sync requests\n    \
                    return response.json()\n```";
const ASYNC: &str = "```python\nasync def get_data():\n    async with httpx.AsyncClient() as \
                     client:\n        response = await \
                     client.get(\"https://api.example.com/data\")  # async httpx\n    \
                     return response.json()\n```";

fn blocking() -> ConceptId {
    ConceptId::parse("blocking-in-async").unwrap()
}

#[test]
fn the_opening_question_shows_both_versions_as_fenced_python() {
    let c = common::async_python();
    let (_, opening) = engine::start(&c, Some(&blocking())).unwrap();
    let text = &opening.offline_text;
    assert!(text.contains(SYNC), "{text}");
    assert!(text.contains(ASYNC), "{text}");
    assert!(text.ends_with("what's the problem with the first version?"));
    assert!(prose(text).matches('?').count() == 1, "one question");
    assert!(!prose(text).contains("def "), "code is not prose");
    assert!(prose_words(text) <= MAX_WORDS);
    assert!(
        text.split_whitespace().count() > MAX_WORDS / 2,
        "the code is there"
    );
}

#[test]
fn after_a_summary_and_an_advance_the_code_still_starts_on_its_own_line() {
    let c = common::async_python();
    let from = ConceptId::parse("threading-vs-async").unwrap();
    let plan = TutorPlan {
        concept: blocking(),
        moves: vec![
            Move::Summarize {
                concept: from.clone(),
            },
            Move::Advance {
                from,
                to: blocking(),
            },
            Move::Ask {
                concept: blocking(),
            },
        ],
        focus: None,
        may_state: Vec::new(),
        withhold: Vec::new(),
        again: None,
        act: None,
        wording: 0,
    };
    let text = voice::render(&c, &plan, Some("answer"));
    assert!(
        text.contains(&format!("\n\n{SYNC}\n\nand\n\n{ASYNC}\n\n")),
        "{text}"
    );
    assert!(
        prose_words(&text) <= MAX_WORDS,
        "{} words",
        prose_words(&text)
    );
}
