//! Helpers shared by the engine's integration tests: the repository's curricula (from
//! `klover_domain::testing`), assess one line, count prose words.

#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use klover_domain::assess::{AssessRequest, Assessment, RubricAssessor};
use klover_domain::{ConceptId, Curriculum};

// One home for the curricula: `klover_domain::testing` (the `test-support` feature).
pub use klover_domain::testing::{async_python, load, repo};

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
