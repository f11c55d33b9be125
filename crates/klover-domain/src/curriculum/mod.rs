//! The curriculum: concepts joined by prerequisite edges, each holding the insights a
//! learner must state (checkpoints), the wrong beliefs to watch for (misconceptions),
//! analogies, and a closing summary.
//!
//! Authors write it as TOML files ([`source`]); [`load`] parses and validates them into a
//! [`Curriculum`], reporting every problem at once ([`validate`]). The prerequisite DAG
//! lives in [`graph`].

pub mod edit;
mod entries;
pub mod graph;
pub mod lint;
pub mod load;
mod prereqs;
pub mod source;
pub mod validate;

use std::collections::BTreeMap;

use serde::Serialize;

pub use graph::ConceptGraph;
pub use load::{SourceFile, load_sources};
pub use validate::{CurriculumError, Problem};

use crate::ids::{CheckpointId, ConceptId, CurriculumId, MisconceptionId};

/// A validated curriculum: every id unique, every prerequisite known, no cycle.
#[derive(Debug, Clone, Serialize)]
pub struct Curriculum {
    /// The curriculum's id (`async-python`).
    pub id: CurriculumId,
    /// Human title.
    pub title: String,
    /// Author-chosen version string, stored with each session.
    pub version: String,
    /// One or two sentences about what the learner will understand.
    pub description: String,
    /// Language used for code blocks when a message does not say (`python`).
    pub code_language: Option<String>,
    /// Tags for exports (at most four are used by dev.to).
    pub tags: Vec<String>,
    /// Word → synonyms, used by the rubric assessor to credit paraphrases.
    pub synonyms: BTreeMap<String, Vec<String>>,
    /// Authored variants of the offline voice's acknowledgements and follow-ups (`[voice]`),
    /// drawn on with the built-in ones.
    pub voice: VoiceVariants,
    /// Concepts in the order the files were read (file-name order).
    pub concepts: Vec<Concept>,
    /// The prerequisite DAG over `concepts`.
    pub graph: ConceptGraph,
}

/// The authored `[voice]` of a curriculum: variants the offline voice draws on, with its
/// built-in ones, so the same words do not come back every turn.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VoiceVariants {
    /// Short sentences that say the learner got it (`"Well put."`), said before the
    /// confirmation of what the learner's turn credited; never a question.
    pub acknowledgements: Vec<String>,
    /// Questions that ask for more after a first answer (`"What else happens there?"`).
    pub follow_ups: Vec<String>,
}

/// One concept: a step of the path, explained by the learner in their own words.
#[derive(Debug, Clone, Serialize)]
pub struct Concept {
    /// Concept id, unique in the curriculum.
    pub id: ConceptId,
    /// Section title (`The event loop`).
    pub title: String,
    /// Concepts that must be mastered before this one is offered.
    pub prerequisites: Vec<ConceptId>,
    /// The first question: asks the learner to explain, never explains first.
    pub opening_question: String,
    /// The insights the learner must state.
    pub checkpoints: Vec<Checkpoint>,
    /// Wrong beliefs to watch for.
    pub misconceptions: Vec<Misconception>,
    /// Analogies offered when the learner is stuck.
    pub analogies: Vec<Analogy>,
    /// Short answers to questions a learner is likely to ask.
    pub questions: Vec<LearnerQuestion>,
    /// Summary said when the concept is mastered.
    pub summary: String,
}

/// An insight the learner must state in their own words.
#[derive(Debug, Clone, Serialize)]
pub struct Checkpoint {
    /// Checkpoint id, unique in the curriculum.
    pub id: CheckpointId,
    /// A short label for lists ("I/O leaves the CPU idle"), shown only once the checkpoint is
    /// reached (it would give the answer away before); see [`Checkpoint::label`].
    pub title: Option<String>,
    /// The ideal statement of the insight (never shown before the learner's second try).
    pub statement: String,
    /// Evidence cues the rubric looks for (see `docs/curriculum.md` for the syntax).
    pub cues: Vec<String>,
    /// Hints, from vague to specific (at least two).
    pub hints: Vec<String>,
    /// A question that asks for the one missing word or idea, if the author wrote one.
    pub prompt: Option<String>,
    /// How the tutor confirms it, in so many words (`Exactly: ...`), if authored.
    pub confirmation: Option<String>,
    /// The question a review session opens with for this checkpoint: it asks the learner
    /// to explain the idea again without stating it (else the last hint is used).
    pub review_question: Option<String>,
    /// Relative weight in concept mastery (default 1.0).
    pub weight: f64,
    /// Claims that contradict the checkpoint (cue syntax, usually `a > b > c` claims):
    /// a sentence holding one never credits it and shows a contradiction.
    pub contradictions: Vec<String>,
    /// Wordings the rubric must credit (run by `klover curriculum check`).
    pub examples: Vec<Example>,
    /// Wordings the rubric must not credit.
    pub counterexamples: Vec<Example>,
}

/// A learner wording kept in the curriculum as a test of its cues: optionally the tutor's
/// question it answers (a first line `> question`), then the answer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Example {
    /// The tutor's question the wording answers, if it only makes sense in context.
    pub context: Option<String>,
    /// What the learner wrote.
    pub text: String,
    /// Where it is authored (`concepts/02-io-vs-cpu.toml:41`).
    pub at: String,
}

impl Example {
    /// Parses `"> question\nanswer"` (the answer is the last line; the question may span
    /// lines) or a plain answer.
    pub fn parse(source: &str, at: String) -> Self {
        let source = source.trim();
        // The answer is the last line; everything before it is the tutor's words (which
        // may span lines, code included).
        if let Some(rest) = source.strip_prefix('>')
            && let Some((q, a)) = rest.rsplit_once('\n')
        {
            return Self {
                context: Some(q.trim().to_owned()),
                text: a.trim().to_owned(),
                at,
            };
        }
        Self {
            context: None,
            text: source.to_owned(),
            at,
        }
    }
}

/// A wrong belief, how to spot it, and the question that makes the learner see it.
#[derive(Debug, Clone, Serialize)]
pub struct Misconception {
    /// Misconception id, unique in the curriculum.
    pub id: MisconceptionId,
    /// The wrong belief, stated plainly.
    pub belief: String,
    /// Evidence cues (same syntax as checkpoint cues).
    pub cues: Vec<String>,
    /// The question that makes the learner see the problem.
    pub question: String,
    /// The correction, stated after the learner's second try, if authored.
    pub correction: Option<String>,
    /// Checkpoints of the same concept the belief contradicts: a sentence showing it
    /// credits none of them. Empty means every checkpoint of the concept.
    pub contradicts: Vec<CheckpointId>,
    /// Wordings the rubric must flag as this misconception.
    pub examples: Vec<Example>,
    /// Wordings the rubric must not flag.
    pub counterexamples: Vec<Example>,
}

impl Misconception {
    /// Whether a sentence showing this belief may not credit `checkpoint`.
    pub fn contradicts(&self, checkpoint: &CheckpointId) -> bool {
        self.contradicts.is_empty() || self.contradicts.contains(checkpoint)
    }
}

/// An analogy (the chef and the oven).
#[derive(Debug, Clone, Serialize)]
pub struct Analogy {
    /// Short name (`chef`).
    pub id: String,
    /// The analogy as the tutor tells it.
    pub text: String,
    /// Checkpoints of the same concept the analogy states outright: once the tutor tells
    /// it, they count as stated by the tutor (never credited to the learner's echo).
    pub states: Vec<CheckpointId>,
}

/// A question a learner is likely to ask, with a brief answer that hands the thinking back.
#[derive(Debug, Clone, Serialize)]
pub struct LearnerQuestion {
    /// Cues that recognise the question (same syntax as checkpoint cues).
    pub cues: Vec<String>,
    /// The brief answer.
    pub answer: String,
    /// Checkpoints of the same concept that the answer states: when the tutor gives it,
    /// they count as stated by the tutor (never credited to the learner afterwards).
    pub states: Vec<CheckpointId>,
}

impl Curriculum {
    /// The concept with this id.
    pub fn concept(&self, id: &ConceptId) -> Option<&Concept> {
        self.concepts.iter().find(|c| &c.id == id)
    }

    /// The concept holding this checkpoint, with the checkpoint.
    pub fn checkpoint(&self, id: &CheckpointId) -> Option<(&Concept, &Checkpoint)> {
        self.concepts
            .iter()
            .find_map(|c| c.checkpoint(id).map(|cp| (c, cp)))
    }

    /// Concepts in prerequisite order (every concept after its prerequisites).
    pub fn ordered_concepts(&self) -> Vec<&Concept> {
        self.graph
            .order()
            .iter()
            .filter_map(|id| self.concept(id))
            .collect()
    }
}

impl Concept {
    /// Every text of the concept as authored, ids and example locations included: each
    /// string it serialises to, in no particular order (what the LLM voice's echo guard
    /// lets the tutor repeat).
    pub fn texts(&self) -> Vec<&str> {
        fn examples<'a>(out: &mut Vec<&'a str>, all: &'a [Example]) {
            for e in all {
                out.extend(e.context.as_deref());
                out.extend([e.text.as_str(), e.at.as_str()]);
            }
        }
        let mut out = vec![
            self.id.as_str(),
            &self.title,
            &self.opening_question,
            &self.summary,
        ];
        out.extend(self.prerequisites.iter().map(ConceptId::as_str));
        for k in &self.checkpoints {
            out.extend([k.id.as_str(), &k.statement]);
            out.extend(
                [&k.title, &k.prompt, &k.confirmation, &k.review_question]
                    .into_iter()
                    .filter_map(Option::as_deref),
            );
            out.extend(
                k.cues
                    .iter()
                    .chain(&k.hints)
                    .chain(&k.contradictions)
                    .map(String::as_str),
            );
            examples(&mut out, &k.examples);
            examples(&mut out, &k.counterexamples);
        }
        for m in &self.misconceptions {
            out.extend([m.id.as_str(), &m.belief, &m.question]);
            out.extend(m.correction.as_deref());
            out.extend(m.cues.iter().map(String::as_str));
            out.extend(m.contradicts.iter().map(CheckpointId::as_str));
            examples(&mut out, &m.examples);
            examples(&mut out, &m.counterexamples);
        }
        for a in &self.analogies {
            out.extend([a.id.as_str(), &a.text]);
            out.extend(a.states.iter().map(CheckpointId::as_str));
        }
        for q in &self.questions {
            out.push(&q.answer);
            out.extend(q.cues.iter().map(String::as_str));
            out.extend(q.states.iter().map(CheckpointId::as_str));
        }
        out
    }

    /// The checkpoint with this id, if it belongs to this concept.
    pub fn checkpoint(&self, id: &CheckpointId) -> Option<&Checkpoint> {
        self.checkpoints.iter().find(|c| &c.id == id)
    }

    /// The misconception with this id, if it belongs to this concept.
    pub fn misconception(&self, id: &MisconceptionId) -> Option<&Misconception> {
        self.misconceptions.iter().find(|m| &m.id == id)
    }
}

impl Checkpoint {
    /// The author's `title`, else the id made readable (`io-leaves-cpu-idle` →
    /// `Io leaves cpu idle`).
    pub fn label(&self) -> String {
        match &self.title {
            Some(t) => t.clone(),
            None => {
                let words = self.id.as_str().replace(['-', '_'], " ");
                let mut chars = words.chars();
                chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        }
    }
}

#[cfg(test)]
mod texts_tests {
    /// Every string a value serialises to.
    fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }

    /// `Concept::texts` names every string field: a field added to a concept and not to
    /// it fails here (on every concept of the shipped and test curricula).
    #[test]
    fn a_concepts_texts_are_every_string_it_serialises_to() {
        let curricula = [
            crate::testing::async_python(),
            crate::testing::git_branches(),
            crate::testing::small(),
            crate::testing::tiny(),
        ];
        let mut checked = 0;
        for c in curricula.iter().flat_map(|c| &c.concepts) {
            let mut expected = Vec::new();
            strings(&serde_json::to_value(c).unwrap(), &mut expected);
            expected.sort();
            let mut texts: Vec<String> = c.texts().into_iter().map(str::to_owned).collect();
            texts.sort();
            assert_eq!(texts, expected, "concept {}", c.id);
            checked += 1;
        }
        assert!(checked > 10, "only {checked} concepts");
    }
}
