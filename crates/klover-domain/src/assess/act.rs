//! Dialogue acts: what kind of turn the learner took, so the policy answers the turn
//! that was taken (a guess is assessed as an answer; "what's your favourite movie?" is
//! not a question about the topic; "can you just explain it?" is about the tutor).
//!
//! The classifier reads the words of the turn and the rubric's flags (a checkpoint or a
//! misconception matched, an authored question matched, no concept vocabulary at all).
//! It never credits anything itself.

use serde::{Deserialize, Serialize};

use super::text::{fold, stemmer};
use super::{Assessment, PARTIAL_SCORE};
use crate::curriculum::Curriculum;

/// What kind of turn the learner took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialogueAct {
    /// An explanation or a plain answer.
    #[default]
    Explanation,
    /// An answer offered as a guess ("maybe…?", "I think it's X?", a yes/no question that
    /// makes a claim): assessed as an answer.
    TentativeAnswer,
    /// A genuine question about the topic ("What exactly is a thread?").
    Question,
    /// "Just tell me", "what's the answer".
    AskForAnswer,
    /// "I don't know", "no idea", a bare "?".
    DontKnow,
    /// Nothing to do with the concept, questions about other topics included.
    OffTopic,
    /// About the tutor or the way it teaches ("can you explain instead of asking?").
    Meta,
    /// "Hi", "hello".
    Greeting,
}

impl DialogueAct {
    /// The act's name as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            DialogueAct::Explanation => "explanation",
            DialogueAct::TentativeAnswer => "tentative_answer",
            DialogueAct::Question => "question",
            DialogueAct::AskForAnswer => "ask_for_answer",
            DialogueAct::DontKnow => "dont_know",
            DialogueAct::OffTopic => "off_topic",
            DialogueAct::Meta => "meta",
            DialogueAct::Greeting => "greeting",
        }
    }

    /// Whether the turn tries an answer (a miss on the checkpoint asked about counts
    /// against it): an explanation, a guess, "I don't know", or a request for the answer.
    pub fn is_attempt(self) -> bool {
        matches!(
            self,
            DialogueAct::Explanation
                | DialogueAct::TentativeAnswer
                | DialogueAct::DontKnow
                | DialogueAct::AskForAnswer
        )
    }
}

const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "yo",
    "morning",
    "evening",
    "afternoon",
    "good",
    "there",
    "klover",
    "howdy",
    "greetings",
];

/// Phrases (on folded words) that say "I don't know".
const DONT_KNOW: &[&[&str]] = &[
    &["dont", "know"],
    &["do", "not", "know"],
    &["no", "idea"],
    &["no", "clue"],
    &["not", "sure"],
    &["idk"],
    &["dunno"],
    &["lost"],
    &["confused"],
    &["stuck"],
    &["no", "memory"],
    &["forgot"],
    &["cant", "remember"],
    &["dont", "remember"],
    &["not", "a", "clue"],
];

/// Phrases that mark an answer as a guess.
const TENTATIVE: &[&[&str]] = &[
    &["maybe"],
    &["perhaps"],
    &["probably"],
    &["might"],
    &["i", "think"],
    &["i", "guess"],
    &["i", "suppose"],
    &["something", "to", "do", "with"],
    &["is", "it"],
    &["could", "it", "be"],
    &["so", "you", "mean"],
    &["does", "that", "mean"],
    &["means"],
];

/// Phrases about the tutor or its way of teaching.
const META: &[&[&str]] = &[
    &["instead", "of", "asking"],
    &["stop", "asking"],
    &["keep", "asking"],
    &["why", "do", "you", "ask"],
    &["asking", "me", "questions"],
    &["so", "many", "questions"],
    &["are", "you", "a", "bot"],
    &["are", "you", "an", "ai"],
    &["are", "you", "human"],
    &["who", "are", "you"],
    &["what", "are", "you"],
    &["who", "made", "you"],
    &["you", "just", "explain"],
    &["can", "you", "explain"],
    &["could", "you", "explain"],
    &["you", "explain", "it"],
];

/// Words that open a genuine (open) question.
const WH: &[&str] = &[
    "what", "whats", "why", "how", "hows", "which", "who", "where", "when", "wheres", "whens",
];

/// Classifies a turn from its text and the rubric's verdict on it; `topic` is the
/// curriculum (an open question none of whose words it uses is about another topic).
pub fn classify(text: &str, a: &Assessment, topic: &Curriculum) -> DialogueAct {
    let words = words(text);
    let credited = a.scores.values().any(|s| s.score >= PARTIAL_SCORE);
    let claims = credited || !a.misconceptions.is_empty() || !a.contradictions.is_empty();
    if words.is_empty() {
        // "?", "…": the learner is lost for words.
        return if text.trim().is_empty() {
            DialogueAct::Explanation
        } else {
            DialogueAct::DontKnow
        };
    }
    if words.iter().all(|w| GREETINGS.contains(&w.as_str())) && !claims {
        return DialogueAct::Greeting;
    }
    if has_any(&words, META) && !claims {
        return DialogueAct::Meta;
    }
    if a.asked_for_answer && !claims {
        return DialogueAct::AskForAnswer;
    }
    let question = text.contains('?') || a.asked_question;
    if a.question.is_some() {
        return DialogueAct::Question;
    }
    let dont_know = a.dont_know || has_any(&words, DONT_KNOW);
    let guess = has_any(&words, TENTATIVE);
    if claims {
        return if question || guess {
            DialogueAct::TentativeAnswer
        } else {
            DialogueAct::Explanation
        };
    }
    let open = words.iter().take(3).any(|w| WH.contains(&w.as_str()));
    if question && open && !dont_know && !guess {
        // A question about another concept of the curriculum is still on topic.
        return if about(topic, &words) {
            DialogueAct::Question
        } else {
            DialogueAct::OffTopic
        };
    }
    if a.off_topic && !dont_know {
        return DialogueAct::OffTopic;
    }
    if dont_know && !guess {
        return DialogueAct::DontKnow;
    }
    if guess {
        // "hmm not sure… something to do with speed maybe?": a guess, however unsure.
        return DialogueAct::TentativeAnswer;
    }
    match (question, open) {
        (true, true) if about(topic, &words) => DialogueAct::Question,
        (true, true) => DialogueAct::OffTopic,
        // "Is it about memory?": a yes/no question makes a claim to check.
        (true, false) => DialogueAct::TentativeAnswer,
        _ => DialogueAct::Explanation,
    }
}

/// The turn's act: the assessment's own when an assessor set it, else from its flags
/// (an assessment made before acts existed, or by a judge alone).
pub fn act_of(a: &Assessment) -> DialogueAct {
    if let Some(act) = a.act {
        return act;
    }
    let credited = a.scores.values().any(|s| s.score >= PARTIAL_SCORE);
    if a.asked_for_answer {
        DialogueAct::AskForAnswer
    } else if a.question.is_some() || (a.asked_question && !credited && !a.off_topic) {
        DialogueAct::Question
    } else if a.dont_know && !credited {
        DialogueAct::DontKnow
    } else if a.off_topic {
        DialogueAct::OffTopic
    } else if a.asked_question {
        DialogueAct::TentativeAnswer
    } else {
        DialogueAct::Explanation
    }
}

/// Words too common to say what a question is about.
const COMMON: &[&str] = &[
    "what", "whats", "why", "how", "hows", "which", "who", "where", "when", "the", "and", "you",
    "your", "does", "did", "can", "could", "would", "should", "that", "this", "with", "for", "are",
    "was", "were", "have", "has", "there", "their", "they", "them", "about", "from", "into",
    "just", "really", "actually", "exactly", "mean", "means", "thing", "things", "like", "some",
    "any", "get", "make", "work", "works", "use", "used", "way", "one", "not", "all",
];

/// Whether an open question uses a word of the curriculum (its titles, questions,
/// statements, hints, analogies and answers), common words aside.
fn about(topic: &Curriculum, words: &[String]) -> bool {
    let st = stemmer();
    let wanted: Vec<String> = words
        .iter()
        .filter(|w| w.len() >= 3 && !COMMON.contains(&w.as_str()))
        .map(|w| super::text::stem(&st, w))
        .collect();
    if wanted.is_empty() {
        return true;
    }
    topic.concepts.iter().any(|c| {
        let mut texts: Vec<&str> = vec![&c.title, &c.opening_question, &c.summary];
        for k in &c.checkpoints {
            texts.push(&k.statement);
            texts.extend(k.hints.iter().map(String::as_str));
        }
        texts.extend(c.analogies.iter().map(|a| a.text.as_str()));
        texts.extend(c.questions.iter().map(|q| q.answer.as_str()));
        texts.iter().any(|t| {
            fold(&st, t)
                .tokens
                .iter()
                .any(|tok| wanted.contains(&tok.stem))
        })
    })
}

/// Lowercased words without apostrophes ("don't" → "dont").
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(super::text::fold_word)
        .filter(|w| !w.is_empty())
        .collect()
}

fn has_any(words: &[String], phrases: &[&[&str]]) -> bool {
    phrases.iter().any(|p| {
        words
            .windows(p.len())
            .any(|w| w.iter().zip(p.iter()).all(|(a, b)| a == b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::{AssessRequest, RubricAssessor};
    use crate::ids::ConceptId;

    fn act(concept: &str, text: &str) -> DialogueAct {
        let c = crate::testing::async_python();
        let concept = c.concept(&ConceptId::parse(concept).unwrap()).unwrap();
        let req = AssessRequest {
            curriculum: &c,
            concept,
            text,
            last_tutor: None,
        };
        classify(text, &RubricAssessor::new().assess_now(req), &c)
    }

    #[test]
    fn the_issue_s_turns_are_classified_by_what_the_learner_did() {
        use DialogueAct::*;
        let cases = [
            ("sync-vs-async", "What's your favourite movie?", OffTopic),
            ("sync-vs-async", "how do I center a div", OffTopic),
            ("sync-vs-async", "?", DontKnow),
            (
                "sync-vs-async",
                "can you just explain it instead of asking me questions",
                Meta,
            ),
            (
                "sync-vs-async",
                "hmm not sure… something to do with speed maybe?",
                TentativeAnswer,
            ),
            (
                "gil",
                "i think the gil is mostly a security thing?",
                TentativeAnswer,
            ),
            ("sync-vs-async", "I really don't know", DontKnow),
            ("sync-vs-async", "hi there", Greeting),
            ("gil", "What exactly is a thread?", Question),
            ("event-loop", "Everything else pauses.", Explanation),
            ("sync-vs-async", "just tell me the answer", AskForAnswer),
        ];
        for (concept, text, want) in cases {
            assert_eq!(act(concept, text), want, "{text}");
        }
    }
}
