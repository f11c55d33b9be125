//! Parsing and validating curriculum files into a [`Curriculum`]. Pure: the caller reads
//! the files (see `klover_store::curriculum_files`) and hands over their text.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::entries::{build_concept, check_states, parse_id, text};
use super::graph::ConceptGraph;
use super::prereqs::build_graph;
use super::source::VoiceEntry;
use super::source::{ConceptFile, ManifestFile};
use super::validate::{CurriculumError, Problem, Report};
use super::{Concept, Curriculum, VoiceVariants};
use crate::ids::{ConceptId, CurriculumId};

/// One file of a curriculum folder: its path relative to the folder, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    // Concept files that do not parse: their problem is reported once, and a prerequisite
    // naming them is not reported again as unknown (no cascade from one typo).
    let mut unparsed = Unparsed::default();
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
        } else {
            unparsed.add(f);
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
        } else {
            // Reported already; its dependents' prerequisite is not "unknown" too.
            unparsed.ids.insert(c.id.get_ref().to_string());
        }
    }
    check_states(&concepts, &concept_files, &mut problems);
    let graph = build_graph(&concepts, &concept_files, &unparsed, &mut problems);
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

/// Concept files that failed to parse: the ids they seem to define (read from an
/// `id = "…"` line before the first table), and the files where none could be read.
#[derive(Default)]
pub(crate) struct Unparsed {
    /// Concept ids recovered from unparsable files.
    pub(crate) ids: BTreeSet<String>,
    /// Unparsable files with no recoverable id.
    pub(crate) anonymous: Vec<String>,
}

impl Unparsed {
    fn add(&mut self, f: &SourceFile) {
        match top_level_id(&f.text) {
            Some(id) => {
                self.ids.insert(id);
            }
            None => self.anonymous.push(f.path.clone()),
        }
    }
}

/// The value of a top-level `id = "…"` line (before any `[table]`), if one is readable.
fn top_level_id(text: &str) -> Option<String> {
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            return None;
        }
        let Some(rest) = line.strip_prefix("id") else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim();
        let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'')?;
        let inner = &value[1..];
        return inner.find(quote).map(|end| inner[..end].to_owned());
    }
    None
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
    let voice = voice_variants(&mut r, m.voice.as_ref());
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
        voice,
        concepts,
        graph,
    })
}

/// The `[voice]` table: every text non-empty; an acknowledgement says, a follow-up asks
/// (one question, at its end). Whether one gives an answer away is the giveaway lint's.
fn voice_variants(r: &mut Report<'_>, v: Option<&VoiceEntry>) -> VoiceVariants {
    let Some(v) = v else {
        return VoiceVariants::default();
    };
    let mut out = VoiceVariants::default();
    for (i, a) in v.acknowledgements.iter().enumerate() {
        let key = format!("voice.acknowledgements[{i}]");
        let t = text(r, a, &key);
        if t.contains('?') {
            r.at(
                Some(a.span().start),
                Some(key),
                "an acknowledgement asks a question",
                "say that the learner got it (`Well put.`); questions go in `follow_ups`",
            );
        }
        out.acknowledgements.push(t);
    }
    for (i, f) in v.follow_ups.iter().enumerate() {
        let key = format!("voice.follow_ups[{i}]");
        let t = text(r, f, &key);
        if !t.is_empty() && (!t.ends_with('?') || t.matches('?').count() > 1) {
            r.at(
                Some(f.span().start),
                Some(key),
                "a follow-up is not one question ending with `?`",
                "ask for more in one question (`What else happens there?`)",
            );
        }
        out.follow_ups.push(t);
    }
    out
}
