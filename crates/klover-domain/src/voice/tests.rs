//! Voice tests: every template renders, and each move's words come from the curriculum.

use super::*;

#[test]
fn every_template_compiles() {
    for (name, _) in templates::TEMPLATES {
        assert!(
            env().get_template(name).is_ok(),
            "template {name} does not compile"
        );
    }
}

#[test]
fn a_correction_without_authored_text_states_that_the_belief_is_wrong() {
    use crate::ids::{ConceptId, MisconceptionId};
    let c = crate::testing::small();
    let plan = |level| TutorPlan {
        concept: ConceptId::parse("a").unwrap(),
        moves: vec![Move::Correct {
            misconception: MisconceptionId::parse("m").unwrap(),
            level,
        }],
        focus: None,
        may_state: Vec::new(),
        withhold: Vec::new(),
        again: None,
        act: None,
    };
    assert_eq!(
        render(&c, &plan(0), Some("cheese")),
        "Hmm, let's test that. What is the Moon made of?"
    );
    assert_eq!(
        render(&c, &plan(1), Some("cheese")),
        "Not quite. It isn't true that the moon is cheese."
    );
}

#[test]
fn prose_leaves_fenced_code_out() {
    let text = "Look at this:\n\n```python\nasync def f():\n    return 1\n```\n\nWhat's wrong?";
    assert_eq!(prose(text), "Look at this:\n\n\nWhat's wrong?");
    assert_eq!(prose_words(text), 5);
    assert_eq!(prose_words("no code at all here"), 5);
}

#[test]
fn an_answers_gist_leaves_the_handed_back_questions_out() {
    assert_eq!(
        gist("A thread is a to-do list. Now: what do two of them share?"),
        Some("A thread is a to-do list.")
    );
    assert_eq!(
        gist("Each costs 1.5 MB! So? What would 10,000 cost?"),
        Some("Each costs 1.5 MB!")
    );
    assert_eq!(gist("No question here."), Some("No question here."));
    assert_eq!(gist("Only a question?"), None);
}

#[test]
fn a_closing_names_the_next_concept_and_never_reads_a_question_title_as_a_statement() {
    use crate::ids::ConceptId;
    let mut c = crate::testing::tiny();
    let (a, b) = (
        ConceptId::parse("a").unwrap(),
        ConceptId::parse("b").unwrap(),
    );
    let closing = TutorPlan {
        concept: b.clone(),
        moves: vec![
            Move::Summarize { concept: a.clone() },
            Move::Advance {
                from: a,
                to: b.clone(),
            },
        ],
        focus: None,
        may_state: Vec::new(),
        withhold: Vec::new(),
        again: None,
        act: None,
    };
    let said = render(&c, &closing, Some("beta"));
    assert!(said.ends_with(". Next: Concept B."), "{said}");
    let at = c.concepts.iter().position(|k| k.id == b).unwrap();
    c.concepts[at].title = "What is a commit?".into();
    let said = render(&c, &closing, Some("beta"));
    assert!(said.ends_with(". On to the next question."), "{said}");
    assert!(!said.contains("?."), "{said}");
}
