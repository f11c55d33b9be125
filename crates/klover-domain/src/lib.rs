//! Klover's pure domain: everything that decides what to teach and how, with no I/O.
//!
//! - [`ids`]: identifier newtypes, parsed at the edge.
//! - [`curriculum`]: concepts, checkpoints, misconceptions; the TOML format, its
//!   validation, and the prerequisite DAG.
//! - [`analytics`]: author analytics aggregated from learners' stored turns.
//! - `testing` (tests and the `test-support` feature only): the test curricula, in one
//!   place for this crate's tests and the adapters'.
//!
//! This crate must not depend on tokio, sqlx, axum, async-openai or reqwest: it is tested
//! without a network or a database, and the adapters (store, LLM, server) wrap it.

pub mod aha;
pub mod analytics;
pub mod assess;
pub mod curriculum;
pub mod engine;
pub mod export;
pub mod ids;
pub mod learner;
pub mod policy;
pub mod prompt;
pub mod review;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod voice;

pub use curriculum::{Checkpoint, Concept, Curriculum, Misconception};
pub use ids::{CheckpointId, ConceptId, CurriculumId, MisconceptionId};
