//! Lints on the tutor's own authored words, for `klover curriculum check` and the author
//! page: a text the tutor says alone (an opening, a hint, a prompt, a review or
//! misconception question) keeps the voice's limits — at most [`MAX_WORDS`] words of prose
//! and one question — and a hint is never the checkpoint's statement in other clothes
//! (a hint that says the answer is not a hint). The giveaway lint (does a text *credit* a
//! checkpoint?) lives with the rubric in `assess::giveaway`.

use std::collections::BTreeSet;

use super::{Concept, Curriculum};
use crate::voice::{MAX_WORDS, prose, prose_words};

/// One authored tutor text that breaks a rule of the voice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lint {
    /// The concept the text belongs to.
    pub concept: String,
    /// Key path of the text in the concept file (`checkpoints[1].hints[0]`).
    pub key: String,
    /// The text.
    pub text: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

/// Token overlap (Jaccard, over the words of three letters or more) at or above which a
/// hint counts as the statement reworded.
pub const NEAR_EQUAL: f64 = 0.8;

/// Every lint of the curriculum's tutor texts, concept by concept in file order.
pub fn lints(c: &Curriculum) -> Vec<Lint> {
    let mut out = Vec::new();
    for k in &c.concepts {
        for (key, text) in spoken_alone(k) {
            limits(k, &key, text, &mut out);
        }
        for (i, cp) in k.checkpoints.iter().enumerate() {
            for (j, hint) in cp.hints.iter().enumerate() {
                let overlap = similarity(hint, &cp.statement);
                if overlap >= NEAR_EQUAL {
                    out.push(Lint {
                        concept: k.id.to_string(),
                        key: format!("checkpoints[{i}].hints[{j}]"),
                        text: hint.clone(),
                        message: format!(
                            "the hint is the checkpoint's statement ({:.0}% the same words): it tells the answer instead of pointing at it",
                            overlap * 100.0
                        ),
                        fix: "ask a question that leads to the idea (\"what does the CPU do while…?\"), and leave the statement for after the learner's tries".into(),
                    });
                }
            }
        }
    }
    out
}

/// The texts the tutor may say as a turn of their own, with their key paths.
fn spoken_alone(k: &Concept) -> Vec<(String, &str)> {
    let mut texts = vec![("opening_question".to_owned(), k.opening_question.as_str())];
    for (i, cp) in k.checkpoints.iter().enumerate() {
        for (j, h) in cp.hints.iter().enumerate() {
            texts.push((format!("checkpoints[{i}].hints[{j}]"), h));
        }
        if let Some(p) = &cp.prompt {
            texts.push((format!("checkpoints[{i}].prompt"), p));
        }
        if let Some(q) = &cp.review_question {
            texts.push((format!("checkpoints[{i}].review_question"), q));
        }
    }
    for (i, m) in k.misconceptions.iter().enumerate() {
        texts.push((format!("misconceptions[{i}].question"), &m.question));
    }
    texts
}

fn limits(k: &Concept, key: &str, text: &str, out: &mut Vec<Lint>) {
    let words = prose_words(text);
    if words > MAX_WORDS {
        out.push(Lint {
            concept: k.id.to_string(),
            key: key.to_owned(),
            text: text.to_owned(),
            message: format!(
                "{words} words: the tutor says at most {MAX_WORDS} in a turn (code blocks not counted), and this text is only part of one"
            ),
            fix: "cut it to the one idea the learner needs now; move background to a hint or an analogy".into(),
        });
    }
    let questions = questions(text);
    if questions > 1 {
        out.push(Lint {
            concept: k.id.to_string(),
            key: key.to_owned(),
            text: text.to_owned(),
            message: format!(
                "{questions} questions: the tutor asks one question a turn, so the learner knows what to answer"
            ),
            fix: "keep the one question that matters and turn the others into statements or later hints".into(),
        });
    }
}

/// How many questions a text asks: runs of `?` in its prose (`??` and `?!` ask once).
pub fn questions(text: &str) -> usize {
    let prose = prose(text);
    let mut count = 0;
    let mut previous = ' ';
    for ch in prose.chars() {
        if ch == '?' && previous != '?' && previous != '!' {
            count += 1;
        }
        previous = ch;
    }
    count
}

/// Jaccard overlap of two texts' words of three letters or more, lowercased.
pub fn similarity(a: &str, b: &str) -> f64 {
    let words = |t: &str| -> BTreeSet<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_long_many_question_opening_and_a_hint_that_is_the_statement_are_flagged() {
        let long = "Tell me about it. ".repeat(40) + "What is it? Why? How?";
        let concept = format!(
            r#"
id = "a"
title = "A"
opening_question = "{long}"
summary = "A."
[[checkpoints]]
id = "x"
statement = "The event loop runs one task at a time."
cues = ["alpha"]
hints = ["What runs the tasks?", "The event loop runs one task at a time!"]
"#
        );
        let c = crate::testing::one_concept(&concept);
        let found: Vec<(String, String)> = lints(&c)
            .into_iter()
            .map(|l| (l.key, l.message.split(':').next().unwrap().to_owned()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("opening_question".to_owned(), "165 words".to_owned()),
                ("opening_question".to_owned(), "3 questions".to_owned()),
                (
                    "checkpoints[0].hints[1]".to_owned(),
                    "the hint is the checkpoint's statement (100% the same words)".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn the_reference_curriculum_keeps_the_voice_limits() {
        let c = crate::testing::async_python();
        assert_eq!(lints(&c), vec![]);
    }

    #[test]
    fn a_double_question_mark_asks_once_and_code_is_not_counted() {
        assert_eq!(questions("What does it do?"), 1);
        assert_eq!(questions("Really?? What then?!"), 2);
        assert_eq!(
            questions("What does this print?\n```python\nx = a ? b : c\n```"),
            1
        );
        assert_eq!(questions("No question here."), 0);
    }

    #[test]
    fn a_reworded_statement_is_near_equal_and_a_question_about_it_is_not() {
        let statement = "The event loop runs one task at a time on a single thread.";
        assert!(
            similarity(
                "The event loop runs one task at a time, on a single thread!",
                statement
            ) >= NEAR_EQUAL
        );
        assert!(
            similarity(
                "How many things can one thread do at the same moment?",
                statement
            ) < NEAR_EQUAL
        );
    }
}
