//! Assessment of one learner turn against the current concept: a score per checkpoint
//! with the words that earned it, the misconceptions shown, and what kind of turn it was.
//!
//! [`Assessor`] is the seam: the offline [`RubricAssessor`] (authored cues, stemming,
//! synonyms, negation) implements it here; the LLM judge implements it in `klover-llm`
//! and combines its verdict with the rubric's through [`merge`].

pub mod act;
mod blank;
pub mod cue;
pub mod examples;
pub mod explain;
pub mod findings;
pub mod giveaway;
pub mod hedge;
pub mod normal;
mod rubric;
pub mod text;
pub use cue::forget_token_words;
pub(crate) use rubric::fold_recent;
pub use rubric::forget_recent_texts;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::curriculum::{Concept, Curriculum};
use crate::ids::{CheckpointId, ConceptId, MisconceptionId};

/// A byte range `[start, end)` into the learner's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The text this span covers, if it lies on char boundaries of `text`.
    pub fn quote<'t>(&self, text: &'t str) -> Option<&'t str> {
        text.get(self.start..self.end)
    }
}

/// Score at or above which a checkpoint counts as stated in a turn.
pub const COVERED: f64 = 0.6;

/// Score at or above which a turn is partly on the way to a checkpoint.
pub const PARTIAL_SCORE: f64 = 0.4;

/// How well one turn states one checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CheckpointScore {
    /// 0 (absent) to 1 (stated clearly).
    pub score: f64,
    /// The learner's words that earned the score.
    #[serde(default)]
    pub evidence: Option<Span>,
}

/// A misconception the turn shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MisconceptionHit {
    /// Which wrong belief.
    pub id: MisconceptionId,
    /// The learner's words that show it.
    #[serde(default)]
    pub evidence: Option<Span>,
}

/// A checkpoint the turn contradicts ("threads each get their own memory" against
/// "threads share memory") where no authored misconception names the wrong belief: the
/// policy treats it like a misconception, and it never credits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contradiction {
    /// The checkpoint contradicted.
    pub checkpoint: CheckpointId,
    /// The learner's words that contradict it.
    #[serde(default)]
    pub evidence: Option<Span>,
}

/// Who produced an assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentSource {
    /// The offline rubric (authored cues).
    #[default]
    Rubric,
    /// The LLM judge alone.
    Judge,
    /// The rubric and the judge, combined by [`merge`].
    Merged,
}

/// The verdict on one learner turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The concept the turn was assessed against.
    pub concept: ConceptId,
    /// One entry per checkpoint of the concept.
    pub scores: BTreeMap<CheckpointId, CheckpointScore>,
    /// Misconceptions the turn shows.
    #[serde(default)]
    pub misconceptions: Vec<MisconceptionHit>,
    /// Checkpoints the turn contradicts without an authored misconception naming it.
    #[serde(default)]
    pub contradictions: Vec<Contradiction>,
    /// The learner asked a question.
    #[serde(default)]
    pub asked_question: bool,
    /// The learner asked to be told the answer ("just tell me").
    #[serde(default)]
    pub asked_for_answer: bool,
    /// The learner said they do not know or are stuck.
    #[serde(default)]
    pub dont_know: bool,
    /// The turn has nothing to do with the concept.
    #[serde(default)]
    pub off_topic: bool,
    /// Index into the concept's `questions` of the likely question the learner asked.
    #[serde(default)]
    pub question: Option<usize>,
    /// Checkpoints whose cues the learner stated negated ("the CPU is not idle"); the
    /// judge may not credit these over the rubric.
    #[serde(default)]
    pub negated: Vec<CheckpointId>,
    /// Who produced this assessment.
    #[serde(default)]
    pub source: AssessmentSource,
    /// What kind of turn it was (`act::classify`); absent from an assessor that does not
    /// classify, when [`act::act_of`] derives it from the flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<act::DialogueAct>,
}

impl Assessment {
    /// An assessment that credits nothing and flags nothing.
    pub fn empty(concept: &Concept) -> Self {
        Self {
            concept: concept.id.clone(),
            scores: concept
                .checkpoints
                .iter()
                .map(|c| {
                    let s = CheckpointScore {
                        score: 0.0,
                        evidence: None,
                    };
                    (c.id.clone(), s)
                })
                .collect(),
            misconceptions: Vec::new(),
            contradictions: Vec::new(),
            asked_question: false,
            asked_for_answer: false,
            dont_know: false,
            off_topic: false,
            question: None,
            negated: Vec::new(),
            source: AssessmentSource::Rubric,
            act: None,
        }
    }

    /// The score of a checkpoint (0 when absent).
    pub fn score(&self, id: &CheckpointId) -> f64 {
        self.scores.get(id).map_or(0.0, |s| s.score)
    }

    /// Checkpoints scored at or above [`COVERED`].
    pub fn covered(&self) -> Vec<CheckpointId> {
        self.scores
            .iter()
            .filter(|(_, s)| s.score >= COVERED)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// What an assessor needs to judge one turn.
#[derive(Debug, Clone, Copy)]
pub struct AssessRequest<'a> {
    /// The whole curriculum (for synonyms and context).
    pub curriculum: &'a Curriculum,
    /// The concept the learner is working on.
    pub concept: &'a Concept,
    /// What the learner wrote.
    pub text: &'a str,
    /// The tutor's previous message, if any (answers like "Everything else pauses." need it).
    pub last_tutor: Option<&'a str>,
}

/// Judges a learner turn. Implemented offline by [`RubricAssessor`] and by the LLM judge.
pub trait Assessor: Send + Sync {
    /// Assesses one turn; never fails (a failing judge falls back to the rubric).
    fn assess<'a>(
        &'a self,
        req: AssessRequest<'a>,
    ) -> Pin<Box<dyn Future<Output = Assessment> + Send + 'a>>;
}

/// The offline assessor: authored cues with case and punctuation folding, stemming,
/// curriculum synonyms and negation awareness.
#[derive(Debug, Clone, Default)]
pub struct RubricAssessor;

impl RubricAssessor {
    /// A rubric assessor.
    pub fn new() -> Self {
        Self
    }

    /// Assesses one turn synchronously.
    pub fn assess_now(&self, req: AssessRequest<'_>) -> Assessment {
        rubric::assess(&req)
    }

    /// `assess_now(req).covered()`, remembered for the texts read lately on this thread
    /// (the tutor's own words, read every turn).
    pub fn covered_now(&self, req: AssessRequest<'_>) -> Vec<CheckpointId> {
        rubric::covered(&req)
    }

    /// The scores, misconceptions, contradictions and negations of `assess_now(req)`;
    /// the turn flags and the act are left unset (cheaper where only credit counts).
    pub fn scores_now(&self, req: AssessRequest<'_>) -> Assessment {
        rubric::scores(&req)
    }

    /// `assess_now(req).question` alone: which authored question the text asks.
    pub fn question_now(&self, req: AssessRequest<'_>) -> Option<usize> {
        rubric::question(&req)
    }
}

impl Assessor for RubricAssessor {
    fn assess<'a>(
        &'a self,
        req: AssessRequest<'a>,
    ) -> Pin<Box<dyn Future<Output = Assessment> + Send + 'a>> {
        let a = self.assess_now(req);
        Box::pin(std::future::ready(a))
    }
}

/// Combines the rubric's and the judge's verdicts on the same turn.
///
/// The judge decides credit: per checkpoint the judge's score stands (the judge's
/// validation already keeps a credit only with a verbatim quote), and the rubric's score
/// is not taken over it, so a rubric false credit does not survive with an LLM
/// configured. The rubric may only *veto*: a checkpoint the rubric saw negated or
/// contradicted (`negated`, `contradictions`) keeps at most the rubric's own score.
/// Misconceptions and contradictions are the union (rubric evidence first): flagging one
/// leads to a question, never to praise. `asked_question`, `asked_for_answer` and
/// `dont_know` are true if either says so; `off_topic` only if both say so; the matched
/// question comes from the rubric. Source becomes `Merged`. When the judge fails, the
/// caller uses the rubric's verdict alone.
pub fn merge(rubric: Assessment, judge: Assessment) -> Assessment {
    let mut out = rubric;
    let vetoed = |out: &Assessment, id: &CheckpointId| {
        out.negated.contains(id) || out.contradictions.iter().any(|c| &c.checkpoint == id)
    };
    let ids: Vec<CheckpointId> = out.scores.keys().cloned().collect();
    for id in ids {
        let j = judge.scores.get(&id).copied().unwrap_or(CheckpointScore {
            score: 0.0,
            evidence: None,
        });
        let judged = if j.score.is_finite() {
            j.score.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let veto = vetoed(&out, &id);
        if let Some(r) = out.scores.get_mut(&id) {
            *r = if veto && judged > r.score {
                *r
            } else {
                CheckpointScore {
                    score: judged,
                    evidence: j.evidence,
                }
            };
        }
    }
    for hit in judge.misconceptions {
        if !out.misconceptions.iter().any(|m| m.id == hit.id) {
            out.misconceptions.push(hit);
        }
    }
    for c in judge.contradictions {
        if !out
            .contradictions
            .iter()
            .any(|m| m.checkpoint == c.checkpoint)
        {
            out.contradictions.push(c);
        }
    }
    out.asked_question |= judge.asked_question;
    out.asked_for_answer |= judge.asked_for_answer;
    out.dont_know |= judge.dont_know;
    out.off_topic &= judge.off_topic;
    out.question = out.question.or(judge.question);
    out.source = AssessmentSource::Merged;
    out
}

#[cfg(test)]
mod tests;
