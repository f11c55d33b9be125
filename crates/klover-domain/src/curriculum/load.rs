//! Parsing and validating curriculum files into a [`Curriculum`]. Pure: the caller reads
//! the files (see `klover_store::curriculum_files`) and hands over their text.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use toml::Spanned;

use super::graph::{ConceptGraph, GraphError};
use super::source::{CheckpointEntry, ConceptFile, ManifestFile, MisconceptionEntry};
use super::validate::{CurriculumError, Problem, Report};
use super::{Analogy, Checkpoint, Concept, Curriculum, LearnerQuestion, Misconception};
use crate::ids::{CheckpointId, ConceptId, CurriculumId, IdError, MisconceptionId};

/// One file of a curriculum folder: its path relative to the folder, and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// `curriculum.toml` or `concepts/<name>.toml`.
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// The manifest's file name inside a curriculum folder.
pub const MANIFEST: &str = "curriculum.toml";

/// Where a concept was defined, for messages about it.
struct Origin {
    file: String,
    line: usize,
}

/// Parses and validates a curriculum from its files; every problem is reported at once.
pub fn load_sources(files: &[SourceFile]) -> Result<Curriculum, CurriculumError> {
    let mut problems = Vec::new();
    let mut manifest = None;
    let mut concept_files = Vec::new();
    let mut sorted: Vec<&SourceFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for f in sorted {
        let mut r = Report {
            file: &f.path,
            text: &f.text,
            problems: &mut problems,
        };
        if f.path == MANIFEST {
            manifest = parse_toml::<ManifestFile>(&mut r).map(|m| (f, m));
        } else if let Some(c) = parse_toml::<ConceptFile>(&mut r) {
            concept_files.push((f, c));
        }
    }
    if manifest.is_none() && !problems.iter().any(|p| p.file == MANIFEST) {
        problems.push(Problem {
            file: MANIFEST.into(),
            line: None,
            key: None,
            message: "the curriculum has no manifest".into(),
            fix: "create curriculum.toml with id, title and version (see docs/curriculum.md)"
                .into(),
        });
    }
    let mut concepts = Vec::new();
    let mut origins: HashMap<ConceptId, Origin> = HashMap::new();
    let mut seen_cp: HashMap<String, String> = HashMap::new();
    let mut seen_mc: HashMap<String, String> = HashMap::new();
    for (f, c) in &concept_files {
        let mut r = Report {
            file: &f.path,
            text: &f.text,
            problems: &mut problems,
        };
        if let Some(concept) = build_concept(&mut r, c, &mut seen_cp, &mut seen_mc) {
            let here = format!(
                "{}:{}",
                f.path,
                super::validate::line_of(&f.text, c.id.span().start)
            );
            if let Some(first) = origins.get(&concept.id) {
                r.at(
                    Some(c.id.span().start),
                    Some("id".into()),
                    format!(
                        "duplicate concept id `{}` (first defined at {}:{})",
                        concept.id, first.file, first.line
                    ),
                    "give each concept a unique id",
                );
                let _ = here;
                continue;
            }
            origins.insert(
                concept.id.clone(),
                Origin {
                    file: f.path.clone(),
                    line: super::validate::line_of(&f.text, c.id.span().start),
                },
            );
            concepts.push(concept);
        }
    }
    let graph = build_graph(&concepts, &concept_files, &mut problems);
    let result = match (manifest, graph, problems.is_empty()) {
        (Some((f, m)), Some(graph), true) => build_curriculum(f, m, concepts, graph, &mut problems),
        _ => None,
    };
    match result {
        Some(c) if problems.is_empty() => Ok(c),
        _ => {
            problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            Err(CurriculumError { problems })
        }
    }
}

fn parse_toml<T: serde::de::DeserializeOwned>(r: &mut Report<'_>) -> Option<T> {
    match toml::from_str::<T>(r.text) {
        Ok(v) => Some(v),
        Err(e) => {
            let msg = e.message().trim().to_owned();
            let fix = if msg.contains("unknown field") {
                "check the key's spelling; the allowed keys are listed in docs/curriculum.md"
            } else if msg.contains("missing field") {
                "add the missing key (see docs/curriculum.md for every field)"
            } else {
                "fix the TOML syntax at this line"
            };
            r.at(e.span().map(|s| s.start), None, msg, fix);
            None
        }
    }
}

fn build_curriculum(
    f: &SourceFile,
    m: ManifestFile,
    concepts: Vec<Concept>,
    graph: ConceptGraph,
    problems: &mut Vec<Problem>,
) -> Option<Curriculum> {
    let mut r = Report {
        file: &f.path,
        text: &f.text,
        problems,
    };
    let id = parse_id(&mut r, &m.id, "id", CurriculumId::parse);
    let title = text(&mut r, &m.title, "title");
    let version = text(&mut r, &m.version, "version");
    let description = m
        .description
        .as_ref()
        .map(|d| text(&mut r, d, "description"))
        .unwrap_or_default();
    if concepts.is_empty() {
        r.at(
            None,
            None,
            "the curriculum has no concepts",
            "add concept files under concepts/ (one per concept)",
        );
    }
    Some(Curriculum {
        id: id?,
        title,
        version,
        description,
        code_language: m.code_language,
        tags: m.tags,
        synonyms: m
            .synonyms
            .into_iter()
            .map(|(k, v)| (k.to_lowercase(), v))
            .collect::<BTreeMap<_, _>>(),
        concepts,
        graph,
    })
}

fn parse_id<T>(
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

fn text(r: &mut Report<'_>, s: &Spanned<String>, key: &str) -> String {
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
        }
    }
    items.into_iter().map(|s| s.trim().to_owned()).collect()
}

fn build_concept(
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
    let here = format!(
        "{}:{}",
        r.file,
        super::validate::line_of(r.text, id.span().start)
    );
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
    let id = id?;
    fresh.then_some(Checkpoint {
        id,
        statement,
        cues,
        hints,
        prompt,
        confirmation,
        weight,
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
    let id = id?;
    fresh.then_some(Misconception {
        id,
        belief,
        cues,
        question,
        correction,
    })
}

/// Checks prerequisites, cycles and reachability; returns the graph when all hold.
fn build_graph(
    concepts: &[Concept],
    files: &[(&SourceFile, ConceptFile)],
    problems: &mut Vec<Problem>,
) -> Option<ConceptGraph> {
    let known: BTreeSet<&ConceptId> = concepts.iter().map(|c| &c.id).collect();
    let file_of = |id: &ConceptId| files.iter().find(|(_, c)| c.id.get_ref() == id.as_str());
    let mut edges = Vec::new();
    let mut ok = true;
    for c in concepts {
        for p in &c.prerequisites {
            if known.contains(p) {
                edges.push((p.clone(), c.id.clone()));
                continue;
            }
            ok = false;
            if let Some((f, cf)) = file_of(&c.id) {
                let span = cf
                    .prerequisites
                    .iter()
                    .find(|s| s.get_ref() == p.as_str())
                    .map(|s| s.span().start);
                let names: Vec<&str> = known.iter().map(|k| k.as_str()).collect();
                Report {
                    file: &f.path,
                    text: &f.text,
                    problems,
                }
                .at(
                    span,
                    Some("prerequisites".into()),
                    format!("unknown prerequisite `{p}`"),
                    format!("use the id of an existing concept: {}", names.join(", ")),
                );
            }
        }
    }
    let nodes: Vec<ConceptId> = concepts.iter().map(|c| c.id.clone()).collect();
    match ConceptGraph::build(&nodes, &edges) {
        Ok(g) if ok => Some(g),
        Ok(_) => None,
        Err(GraphError::UnknownConcept(_)) => None,
        Err(GraphError::Cycles(cycles)) => {
            report_cycles(&cycles, &nodes, &edges, &file_of, problems);
            None
        }
    }
}

fn report_cycles<'a>(
    cycles: &[Vec<ConceptId>],
    nodes: &[ConceptId],
    edges: &[(ConceptId, ConceptId)],
    file_of: &dyn Fn(&ConceptId) -> Option<&'a (&'a SourceFile, ConceptFile)>,
    problems: &mut Vec<Problem>,
) {
    let on_cycle: BTreeSet<&ConceptId> = cycles.iter().flatten().collect();
    for cycle in cycles {
        let path: Vec<&str> = cycle.iter().map(|c| c.as_str()).collect();
        if let Some((f, cf)) = cycle.first().and_then(|c| file_of(c)) {
            let span = cf.prerequisites.first().map(|s| s.span().start);
            Report { file: &f.path, text: &f.text, problems }.at(span, Some("prerequisites".into()),
                format!("prerequisite cycle: {}", path.join(" -> ")),
                "a concept cannot depend on itself, even indirectly: remove one prerequisite on this path");
        }
    }
    // A concept is unlockable when all its prerequisites are; the rest hang off a cycle.
    let mut unlockable: BTreeSet<&ConceptId> = BTreeSet::new();
    loop {
        let before = unlockable.len();
        for n in nodes {
            if !unlockable.contains(n)
                && edges
                    .iter()
                    .filter(|(_, b)| b == n)
                    .all(|(a, _)| unlockable.contains(a))
            {
                unlockable.insert(n);
            }
        }
        if unlockable.len() == before {
            break;
        }
    }
    for n in nodes
        .iter()
        .filter(|n| !unlockable.contains(n) && !on_cycle.contains(n))
    {
        if let Some((f, cf)) = file_of(n) {
            Report { file: &f.path, text: &f.text, problems }.at(Some(cf.id.span().start), Some("id".into()),
                format!("concept `{n}` is unreachable from any root: its prerequisites lead into a cycle"),
                "break the cycle reported above, or change this concept's prerequisites");
        }
    }
}
