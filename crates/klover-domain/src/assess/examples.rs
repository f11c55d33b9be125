//! Examples as tests: learner wordings that the rubric must credit (or flag) and must not,
//! run against a curriculum. The authored ones live next to each checkpoint and
//! misconception (`examples`, `counterexamples`) and `klover curriculum check` runs them;
//! a batch kept outside the curriculum (a held-back test set, `[[wording]]` tables in a
//! TOML file) is measured the same way without failing the check.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;

use super::{AssessRequest, Assessment, COVERED, RubricAssessor};
use crate::curriculum::{Concept, Curriculum, Example};

/// What a wording is meant to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Must be credited (a checkpoint) or flagged (a misconception).
    Example,
    /// Must not be.
    Counterexample,
}

/// One learner wording with what it must (not) show.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wording {
    /// The concept the learner is working on.
    pub concept: String,
    /// A checkpoint or misconception id of that concept.
    pub target: String,
    /// Example or counterexample.
    pub kind: Kind,
    /// The tutor's question it answers, if any.
    #[serde(default)]
    pub context: Option<String>,
    /// What the learner wrote.
    pub text: String,
    /// Where it comes from (`file:line`, or the batch file).
    #[serde(default)]
    pub at: String,
}

/// A batch file: `[[wording]]` tables.
#[derive(Debug, Deserialize)]
struct Batch {
    wording: Vec<Wording>,
}

/// Parses a batch of wordings (`[[wording]]` tables with `concept`, `target`, `kind`,
/// `text` and an optional `context`).
pub fn parse_batch(text: &str, source: &str) -> Result<Vec<Wording>, String> {
    let batch: Batch = toml::from_str(text).map_err(|e| format!("{source}: {e}"))?;
    Ok(batch
        .wording
        .into_iter()
        .enumerate()
        .map(|(i, mut w)| {
            if w.at.is_empty() {
                w.at = format!("{source}: wording {}", i + 1);
            }
            w
        })
        .collect())
}

/// The examples and counterexamples authored in a curriculum.
pub fn authored(c: &Curriculum) -> Vec<Wording> {
    let mut out = Vec::new();
    let mut push = |concept: &Concept, target: &str, kind: Kind, list: &[Example]| {
        out.extend(list.iter().map(|e| Wording {
            concept: concept.id.to_string(),
            target: target.to_owned(),
            kind,
            context: e.context.clone(),
            text: e.text.clone(),
            at: e.at.clone(),
        }));
    };
    for k in &c.concepts {
        for cp in &k.checkpoints {
            push(k, cp.id.as_str(), Kind::Example, &cp.examples);
            push(k, cp.id.as_str(), Kind::Counterexample, &cp.counterexamples);
        }
        for m in &k.misconceptions {
            push(k, m.id.as_str(), Kind::Example, &m.examples);
            push(k, m.id.as_str(), Kind::Counterexample, &m.counterexamples);
        }
    }
    out
}

/// One wording that did not do what it must.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The wording.
    pub wording: Wording,
    /// What the rubric credited and flagged instead.
    pub got: String,
}

/// Counts for one checkpoint or misconception.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Examples run.
    pub examples: usize,
    /// Examples credited (or flagged) as they must be.
    pub hits: usize,
    /// Counterexamples run.
    pub counterexamples: usize,
    /// Counterexamples credited (or flagged) although they must not be.
    pub false_hits: usize,
}

impl Tally {
    /// Share of examples recognised.
    pub fn recall(&self) -> f64 {
        ratio(self.hits, self.examples)
    }

    /// Share of credits that were right: hits / (hits + false hits).
    pub fn precision(&self) -> f64 {
        ratio(self.hits, self.hits + self.false_hits)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// The result of running wordings.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Per checkpoint id.
    pub checkpoints: BTreeMap<String, Tally>,
    /// Per misconception id.
    pub misconceptions: BTreeMap<String, Tally>,
    /// Misconception examples that also credited a checkpoint the belief contradicts.
    pub praised_wrong: usize,
    /// Every wording that failed.
    pub failures: Vec<Failure>,
    /// Wordings whose concept or target is not in the curriculum.
    pub unknown: Vec<Wording>,
}

impl Report {
    /// Whether every wording did what it must.
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.unknown.is_empty()
    }

    /// Totals over checkpoints and over misconceptions.
    pub fn totals(&self) -> (Tally, Tally) {
        let sum = |m: &BTreeMap<String, Tally>| {
            m.values().fold(Tally::default(), |a, t| Tally {
                examples: a.examples + t.examples,
                hits: a.hits + t.hits,
                counterexamples: a.counterexamples + t.counterexamples,
                false_hits: a.false_hits + t.false_hits,
            })
        };
        (sum(&self.checkpoints), sum(&self.misconceptions))
    }

    /// The headline figures as text: recall, false credit, misconceptions flagged, false
    /// flags, wrong ideas praised.
    pub fn summary(&self) -> String {
        let (c, m) = self.totals();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "checkpoints: {}/{} examples credited (recall {:.2}), {}/{} counterexamples credited (false credit {:.2})",
            c.hits,
            c.examples,
            c.recall(),
            c.false_hits,
            c.counterexamples,
            ratio(c.false_hits, c.counterexamples),
        );
        let _ = writeln!(
            out,
            "misconceptions: {}/{} examples flagged ({:.2}), {}/{} counterexamples flagged; {} misconception examples credited a checkpoint they contradict",
            m.hits,
            m.examples,
            m.recall(),
            m.false_hits,
            m.counterexamples,
            self.praised_wrong,
        );
        out
    }
}

/// Runs wordings through the offline rubric.
pub fn run(c: &Curriculum, wordings: &[Wording]) -> Report {
    let mut report = Report::default();
    for w in wordings {
        let Some(concept) = c.concepts.iter().find(|k| k.id.as_str() == w.concept) else {
            report.unknown.push(w.clone());
            continue;
        };
        let a = RubricAssessor::new().assess_now(AssessRequest {
            curriculum: c,
            concept,
            text: &w.text,
            last_tutor: w.context.as_deref(),
        });
        let credited: Vec<&str> = a
            .scores
            .iter()
            .filter(|(_, s)| s.score >= COVERED)
            .map(|(id, _)| id.as_str())
            .collect();
        let flagged: Vec<&str> = a.misconceptions.iter().map(|m| m.id.as_str()).collect();
        let example = w.kind == Kind::Example;
        let ok = if concept
            .checkpoints
            .iter()
            .any(|k| k.id.as_str() == w.target)
        {
            let hit = credited.contains(&w.target.as_str());
            tally(&mut report.checkpoints, &w.target, example, hit);
            hit == example
        } else if let Some(m) = concept
            .misconceptions
            .iter()
            .find(|m| m.id.as_str() == w.target)
        {
            let hit = flagged.contains(&w.target.as_str());
            tally(&mut report.misconceptions, &w.target, example, hit);
            let praised = example
                && concept
                    .checkpoints
                    .iter()
                    .any(|k| m.contradicts(&k.id) && credited.contains(&k.id.as_str()));
            report.praised_wrong += usize::from(praised);
            hit == example && !praised
        } else {
            report.unknown.push(w.clone());
            continue;
        };
        if !ok {
            report.failures.push(Failure {
                wording: w.clone(),
                got: describe(&a, &credited, &flagged),
            });
        }
    }
    report
}

fn tally(map: &mut BTreeMap<String, Tally>, id: &str, example: bool, hit: bool) {
    let t = map.entry(id.to_owned()).or_default();
    if example {
        t.examples += 1;
        t.hits += usize::from(hit);
    } else {
        t.counterexamples += 1;
        t.false_hits += usize::from(hit);
    }
}

fn describe(a: &Assessment, credited: &[&str], flagged: &[&str]) -> String {
    let list = |v: &[&str]| {
        if v.is_empty() {
            "nothing".to_owned()
        } else {
            v.join(", ")
        }
    };
    let contra: Vec<&str> = a
        .contradictions
        .iter()
        .map(|c| c.checkpoint.as_str())
        .collect();
    let mut out = format!("credited {}; flagged {}", list(credited), list(flagged));
    if !contra.is_empty() {
        let _ = write!(out, "; contradicts {}", contra.join(", "));
    }
    out
}
