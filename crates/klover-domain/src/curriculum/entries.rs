//! Turning one concept file's entries into model values, recording every problem met
//! (empty texts, bad ids, missing cues or hints, duplicate ids) instead of stopping.

use std::collections::HashMap;

use toml::Spanned;

use super::load::SourceFile;
use super::source::{CheckpointEntry, ConceptFile, MisconceptionEntry};
use super::validate::{Problem, Report, line_of};
use super::{Analogy, Checkpoint, Concept, Example, LearnerQuestion, Misconception};
use crate::ids::{CheckpointId, ConceptId, IdError, MisconceptionId};

pub(crate) fn parse_id<T>(
    r: &mut Report<'_>,
    s: &Spanned<String>,
    key: &str,
    parse: fn(&str) -> Result<T, IdError>,
) -> Option<T> {
    match parse(s.get_ref()) {
        Ok(id) => Some(id),
        Err(e) => {
            r.at(
                Some(s.span().start),
                Some(key.into()),
                e.to_string(),
                "use a lowercase slug such as `event-loop`",
            );
            None
        }
    }
}

pub(crate) fn text(r: &mut Report<'_>, s: &Spanned<String>, key: &str) -> String {
    if s.get_ref().trim().is_empty() {
        r.at(
            Some(s.span().start),
            Some(key.into()),
            "this text is empty",
            "write the text, or remove the key if it is optional",
        );
    }
    s.get_ref().trim().to_owned()
}

fn opt_text(r: &mut Report<'_>, s: &Option<Spanned<String>>, key: &str) -> Option<String> {
    s.as_ref().map(|s| text(r, s, key))
}

fn list(
    r: &mut Report<'_>,
    s: &Option<Spanned<Vec<String>>>,
    key: &str,
    at: usize,
    min: usize,
    what: &str,
) -> Vec<String> {
    let (items, offset) = match s {
        Some(s) => (s.get_ref().clone(), s.span().start),
        None => (Vec::new(), at),
    };
    if items.len() < min {
        r.at(
            Some(offset),
            Some(key.into()),
            if items.is_empty() {
                format!("has no {what}")
            } else {
                format!("needs at least {min} {what}, has {}", items.len())
            },
            format!("add {what} (see docs/curriculum.md)"),
        );
    }
    for (i, item) in items.iter().enumerate() {
        if item.trim().is_empty() {
            r.at(
                Some(offset),
                Some(format!("{key}[{i}]")),
                "this text is empty",
                "write the text or remove the entry",
            );
        } else if what == "evidence cues" {
            cue_problems(r, item, offset, &format!("{key}[{i}]"));
        }
    }
    items.into_iter().map(|s| s.trim().to_owned()).collect()
}

/// Reports a malformed cue (`a||b`, `+a`, `0.5:` with nothing after it, `0.3 label`).
/// The fix names the mended cue when a mechanical one settles it.
fn cue_problems(r: &mut Report<'_>, cue: &str, offset: usize, key: &str) {
    let problems = crate::assess::cue::problems(cue);
    if problems.is_empty() {
        return;
    }
    let fix = match crate::assess::cue::repaired(cue) {
        Some(mended) => format!("write `{mended}` (see \"Cue syntax\" in docs/curriculum.md)"),
        None => "write the words to match (see \"Cue syntax\" in docs/curriculum.md), or \
                 remove the cue"
            .to_owned(),
    };
    for p in problems {
        r.at(
            Some(offset),
            Some(key.to_owned()),
            format!("malformed cue `{cue}`: {p}"),
            fix.clone(),
        );
    }
}

pub(crate) fn build_concept(
    r: &mut Report<'_>,
    c: &ConceptFile,
    seen_cp: &mut HashMap<String, String>,
    seen_mc: &mut HashMap<String, String>,
) -> Option<Concept> {
    let id = parse_id(r, &c.id, "id", ConceptId::parse);
    let title = text(r, &c.title, "title");
    let opening_question = text(r, &c.opening_question, "opening_question");
    let summary = text(r, &c.summary, "summary");
    let prerequisites: Vec<ConceptId> = c
        .prerequisites
        .iter()
        .enumerate()
        .filter_map(|(i, p)| parse_id(r, p, &format!("prerequisites[{i}]"), ConceptId::parse))
        .collect();
    if c.checkpoints.is_empty() {
        r.at(
            Some(c.id.span().start),
            None,
            "the concept has no checkpoints",
            "add at least one [[checkpoints]] table",
        );
    }
    let checkpoints: Vec<Checkpoint> = c
        .checkpoints
        .iter()
        .enumerate()
        .filter_map(|(i, e)| build_checkpoint(r, e, i, seen_cp))
        .collect();
    let misconceptions: Vec<Misconception> = c
        .misconceptions
        .iter()
        .enumerate()
        .filter_map(|(i, e)| build_misconception(r, e, i, seen_mc))
        .collect();
    let analogies = c
        .analogies
        .iter()
        .enumerate()
        .map(|(i, a)| Analogy {
            id: text(r, &a.id, &format!("analogies[{i}].id")),
            text: text(r, &a.text, &format!("analogies[{i}].text")),
            states: a
                .states
                .iter()
                .enumerate()
                .filter_map(|(j, s)| {
                    let key = format!("analogies[{i}].states[{j}]");
                    parse_id(r, s, &key, CheckpointId::parse)
                })
                .collect(),
        })
        .collect();
    let questions = c
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| LearnerQuestion {
            cues: list(
                r,
                &q.cues,
                &format!("questions[{i}].cues"),
                q.answer.span().start,
                1,
                "cues",
            ),
            answer: text(r, &q.answer, &format!("questions[{i}].answer")),
            states: q
                .states
                .iter()
                .enumerate()
                .filter_map(|(j, s)| {
                    let key = format!("questions[{i}].states[{j}]");
                    parse_id(r, s, &key, CheckpointId::parse)
                })
                .collect(),
        })
        .collect();
    Some(Concept {
        id: id?,
        title,
        prerequisites,
        opening_question,
        checkpoints,
        misconceptions,
        analogies,
        questions,
        summary,
    })
}

fn unique(
    r: &mut Report<'_>,
    seen: &mut HashMap<String, String>,
    id: &Spanned<String>,
    key: &str,
    what: &str,
) -> bool {
    let here = format!("{}:{}", r.file, line_of(r.text, id.span().start));
    if let Some(first) = seen.get(id.get_ref()) {
        r.at(
            Some(id.span().start),
            Some(key.into()),
            format!(
                "duplicate {what} id `{}` (first defined at {first})",
                id.get_ref()
            ),
            format!("{what} ids must be unique across the whole curriculum: rename one"),
        );
        return false;
    }
    seen.insert(id.get_ref().clone(), here);
    true
}

fn build_checkpoint(
    r: &mut Report<'_>,
    e: &CheckpointEntry,
    i: usize,
    seen: &mut HashMap<String, String>,
) -> Option<Checkpoint> {
    let key = format!("checkpoints[{i}]");
    let id = parse_id(r, &e.id, &format!("{key}.id"), CheckpointId::parse);
    let fresh = unique(r, seen, &e.id, &format!("{key}.id"), "checkpoint");
    let at = e.id.span().start;
    let title = opt_text(r, &e.title, &format!("{key}.title"));
    let statement = text(r, &e.statement, &format!("{key}.statement"));
    let cues = list(r, &e.cues, &format!("{key}.cues"), at, 1, "evidence cues");
    let hints = list(
        r,
        &e.hints,
        &format!("{key}.hints"),
        at,
        2,
        "hints (vague first, then specific)",
    );
    let prompt = opt_text(r, &e.prompt, &format!("{key}.prompt"));
    let confirmation = opt_text(r, &e.confirmation, &format!("{key}.confirmation"));
    let review_question = opt_text(r, &e.review_question, &format!("{key}.review_question"));
    let weight = e.weight.as_ref().map(|w| *w.get_ref()).unwrap_or(1.0);
    if !(weight.is_finite() && weight > 0.0) {
        let off = e.weight.as_ref().map(|w| w.span().start);
        r.at(
            off,
            Some(format!("{key}.weight")),
            format!("weight must be a positive number, got {weight}"),
            "use a weight such as 1.0 (the default)",
        );
    }
    let contradictions = e
        .contradictions
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let k = format!("{key}.contradictions[{j}]");
            let t = text(r, c, &k);
            cue_problems(r, &t, c.span().start, &k);
            t
        })
        .collect();
    let examples = wordings(r, &e.examples, &format!("{key}.examples"));
    let counterexamples = wordings(r, &e.counterexamples, &format!("{key}.counterexamples"));
    let id = id?;
    fresh.then_some(Checkpoint {
        id,
        title,
        statement,
        cues,
        hints,
        prompt,
        confirmation,
        review_question,
        weight,
        contradictions,
        examples,
        counterexamples,
    })
}

fn build_misconception(
    r: &mut Report<'_>,
    e: &MisconceptionEntry,
    i: usize,
    seen: &mut HashMap<String, String>,
) -> Option<Misconception> {
    let key = format!("misconceptions[{i}]");
    let id = parse_id(r, &e.id, &format!("{key}.id"), MisconceptionId::parse);
    let fresh = unique(r, seen, &e.id, &format!("{key}.id"), "misconception");
    let belief = text(r, &e.belief, &format!("{key}.belief"));
    let cues = list(
        r,
        &e.cues,
        &format!("{key}.cues"),
        e.id.span().start,
        1,
        "evidence cues",
    );
    let question = text(r, &e.question, &format!("{key}.question"));
    let correction = opt_text(r, &e.correction, &format!("{key}.correction"));
    let contradicts = e
        .contradicts
        .iter()
        .enumerate()
        .filter_map(|(j, s)| {
            parse_id(
                r,
                s,
                &format!("{key}.contradicts[{j}]"),
                CheckpointId::parse,
            )
        })
        .collect();
    let examples = wordings(r, &e.examples, &format!("{key}.examples"));
    let counterexamples = wordings(r, &e.counterexamples, &format!("{key}.counterexamples"));
    let id = id?;
    fresh.then_some(Misconception {
        id,
        belief,
        cues,
        question,
        correction,
        contradicts,
        examples,
        counterexamples,
    })
}

/// Authored example wordings, each with the line it is on.
fn wordings(r: &mut Report<'_>, list: &[Spanned<String>], key: &str) -> Vec<Example> {
    list.iter()
        .enumerate()
        .map(|(j, s)| {
            let t = text(r, s, &format!("{key}[{j}]"));
            let at = format!("{}:{}", r.file, line_of(r.text, s.span().start));
            Example::parse(&t, at)
        })
        .collect()
}

/// Checks every `[[questions]]` and `[[analogies]]` entry's `states` against the whole curriculum: each id
/// must be a checkpoint of the same concept (an answer can only state what its concept
/// teaches). Runs once all concepts are built, to name the concept a foreign id is from.
pub(crate) fn check_states(
    concepts: &[Concept],
    files: &[(&SourceFile, ConceptFile)],
    problems: &mut Vec<Problem>,
) {
    let owner: HashMap<&CheckpointId, &ConceptId> = concepts
        .iter()
        .flat_map(|c| c.checkpoints.iter().map(move |k| (&k.id, &c.id)))
        .collect();
    for (f, cf) in files {
        let Some(concept) = concepts.iter().find(|c| c.id.as_str() == cf.id.get_ref()) else {
            continue;
        };
        let own: Vec<&str> = concept.checkpoints.iter().map(|k| k.id.as_str()).collect();
        let mut r = Report {
            file: &f.path,
            text: &f.text,
            problems,
        };
        let declared = cf
            .questions
            .iter()
            .enumerate()
            .flat_map(|(i, q)| {
                q.states
                    .iter()
                    .enumerate()
                    .map(move |(j, s)| (format!("questions[{i}].states[{j}]"), s))
            })
            .chain(cf.analogies.iter().enumerate().flat_map(|(i, a)| {
                a.states
                    .iter()
                    .enumerate()
                    .map(move |(j, s)| (format!("analogies[{i}].states[{j}]"), s))
            }));
        for (key, s) in declared {
            let Ok(id) = CheckpointId::parse(s.get_ref()) else {
                continue; // reported as a bad id already
            };
            let message = match owner.get(&id) {
                Some(c) if *c == &concept.id => continue,
                Some(c) => format!(
                    "checkpoint `{id}` belongs to concept `{c}`, not `{}`",
                    concept.id
                ),
                None => format!("unknown checkpoint `{id}`"),
            };
            r.at(
                Some(s.span().start),
                Some(key),
                message,
                format!(
                    "list only checkpoints of this concept that the answer states: {}",
                    own.join(", ")
                ),
            );
        }
    }
}
