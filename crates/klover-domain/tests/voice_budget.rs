//! The offline voice keeps every turn within 100 words, whatever the policy combines: the
//! longest combination of authored texts for each kind of turn is checked, for both
//! curricula, so a long new hint or summary fails here rather than in a learner's face.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::words;
use klover_domain::Curriculum;

const LIMIT: usize = 100;

fn longest<'a>(texts: impl Iterator<Item = &'a str>) -> usize {
    texts.map(words).max().unwrap_or(0)
}

fn check(c: &Curriculum) -> Vec<String> {
    let mut over = Vec::new();
    let mut budget = |what: String, n: usize| {
        if n > LIMIT {
            over.push(format!("{what}: {n} words"));
        }
    };
    for k in &c.concepts {
        let confirm = 2 + longest(
            k.checkpoints
                .iter()
                .map(|p| p.confirmation.as_deref().unwrap_or(p.statement.as_str())),
        );
        let probe = longest(
            k.checkpoints
                .iter()
                .flat_map(|p| {
                    p.hints
                        .iter()
                        .chain(p.prompt.iter())
                        .chain(p.review_question.iter())
                })
                .map(String::as_str),
        );
        let statement = 6 + longest(k.checkpoints.iter().map(|p| p.statement.as_str()));
        let analogy = 6 + longest(k.analogies.iter().map(|a| a.text.as_str()));
        let correction = 2 + longest(
            k.misconceptions
                .iter()
                .map(|m| m.correction.as_deref().unwrap_or(m.belief.as_str())),
        )
        .max(longest(k.misconceptions.iter().map(|m| m.question.as_str())) + 4);
        let answer = longest(k.questions.iter().map(|q| q.answer.as_str()));
        budget(format!("{}: confirm + hint", k.id), confirm + probe);
        budget(format!("{}: analogy + hint", k.id), analogy + probe);
        budget(
            format!("{}: confirm + correction + hint", k.id),
            confirm + correction + probe,
        );
        budget(format!("{}: assert + hint", k.id), statement + probe);
        budget(format!("{}: confirm + answer", k.id), confirm + answer);
        // The same question again without an unused analogy: "In short: <the answer
        // without its question>" and a probe (the whole answer bounds it).
        budget(
            format!("{}: answer's gist + hint", k.id),
            2 + answer + probe,
        );
        // Off topic again: "Let's take a smaller step.", an analogy when stuck, a hint.
        budget(
            format!("{}: smaller step + analogy + hint", k.id),
            5 + analogy + probe,
        );
        for next in c.graph.dependents(&k.id) {
            let n = c.concept(&next).unwrap();
            // In review, the next question may be a checkpoint's review question.
            let question = words(&n.opening_question).max(longest(
                n.checkpoints
                    .iter()
                    .flat_map(|p| p.review_question.iter().chain(p.hints.last()))
                    .map(String::as_str),
            ));
            let advance = confirm + words(&k.summary) + 1 + words(&n.title) + question;
            budget(
                format!("{} -> {}: confirm + summary + next question", k.id, n.id),
                advance,
            );
        }
    }
    over
}

#[test]
fn every_combination_of_the_reference_curriculum_fits_in_100_words() {
    let over = check(&common::async_python());
    assert!(over.is_empty(), "{over:#?}");
}

#[test]
fn every_combination_of_the_second_curriculum_fits_in_100_words() {
    let over = check(&common::load("tests/fixtures/curricula/git-branches"));
    assert!(over.is_empty(), "{over:#?}");
}
