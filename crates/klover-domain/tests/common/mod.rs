//! Helpers shared by the engine's integration tests: load a curriculum folder from the
//! repository, assess one line, replay a script.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use klover_domain::assess::{AssessRequest, Assessment, RubricAssessor};
use klover_domain::curriculum::{SourceFile, load_sources};
use klover_domain::{ConceptId, Curriculum};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Loads a curriculum folder (relative to the repository root) with std::fs.
pub fn load(dir: &str) -> Curriculum {
    let root = repo().join(dir);
    let mut files = vec![SourceFile {
        path: "curriculum.toml".into(),
        text: std::fs::read_to_string(root.join("curriculum.toml")).unwrap(),
    }];
    let mut entries: Vec<_> = std::fs::read_dir(root.join("concepts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        files.push(SourceFile {
            path: format!("concepts/{}", p.file_name().unwrap().to_string_lossy()),
            text: std::fs::read_to_string(&p).unwrap(),
        });
    }
    load_sources(&files).unwrap_or_else(|e| panic!("{dir} does not load: {e}"))
}

/// The reference curriculum.
pub fn async_python() -> Curriculum {
    load("curriculum/async-python")
}

/// Assesses one learner line in a concept with the rubric.
pub fn assess(c: &Curriculum, concept: &str, text: &str) -> Assessment {
    let id = ConceptId::parse(concept).unwrap();
    let concept = c
        .concept(&id)
        .unwrap_or_else(|| panic!("no concept {concept}"));
    RubricAssessor::new().assess_now(AssessRequest {
        curriculum: c,
        concept,
        text,
        last_tutor: None,
    })
}

/// The ids of the checkpoints a line scores as covered.
pub fn credited(c: &Curriculum, concept: &str, text: &str) -> Vec<String> {
    assess(c, concept, text)
        .covered()
        .into_iter()
        .map(|id| id.to_string())
        .collect()
}

/// The ids of the misconceptions a line shows.
pub fn flagged(c: &Curriculum, concept: &str, text: &str) -> Vec<String> {
    assess(c, concept, text)
        .misconceptions
        .into_iter()
        .map(|m| m.id.to_string())
        .collect()
}

/// Words of prose in a text: a fenced code block does not count (the voice's rule).
pub fn words(text: &str) -> usize {
    klover_domain::voice::prose_words(text)
}
