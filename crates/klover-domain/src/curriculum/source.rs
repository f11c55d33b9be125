//! The authored file format: `curriculum.toml` (the manifest) and one
//! `concepts/<id>.toml` per concept. Every table denies unknown keys so a typo is an
//! error, and ids keep their byte spans so problems point at a line.
//!
//! The format is documented field by field in `docs/curriculum.md`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// `curriculum.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub version: Spanned<String>,
    #[serde(default)]
    pub description: Option<Spanned<String>>,
    #[serde(default)]
    pub code_language: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub synonyms: BTreeMap<String, Vec<String>>,
    /// `[voice]`: authored variants of the offline voice's acknowledgements and follow-ups.
    #[serde(default)]
    pub voice: Option<VoiceEntry>,
}

/// `[voice]` in `curriculum.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceEntry {
    /// Short sentences that say the learner got it (`"Well put."`).
    #[serde(default)]
    pub acknowledgements: Vec<Spanned<String>>,
    /// Questions asking for more after a first answer (`"What else happens there?"`).
    #[serde(default)]
    pub follow_ups: Vec<Spanned<String>>,
}

/// `concepts/<id>.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConceptFile {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    #[serde(default)]
    pub prerequisites: Vec<Spanned<String>>,
    pub opening_question: Spanned<String>,
    pub summary: Spanned<String>,
    #[serde(default)]
    pub checkpoints: Vec<CheckpointEntry>,
    #[serde(default)]
    pub misconceptions: Vec<MisconceptionEntry>,
    #[serde(default)]
    pub analogies: Vec<AnalogyEntry>,
    #[serde(default)]
    pub questions: Vec<QuestionEntry>,
}

/// `[[checkpoints]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointEntry {
    pub id: Spanned<String>,
    #[serde(default)]
    pub title: Option<Spanned<String>>,
    pub statement: Spanned<String>,
    #[serde(default)]
    pub cues: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub hints: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub prompt: Option<Spanned<String>>,
    #[serde(default)]
    pub confirmation: Option<Spanned<String>>,
    #[serde(default)]
    pub review_question: Option<Spanned<String>>,
    #[serde(default)]
    pub weight: Option<Spanned<f64>>,
    /// Claims that contradict the checkpoint (cue syntax): they never credit it.
    #[serde(default)]
    pub contradictions: Vec<Spanned<String>>,
    /// Wordings that must be credited.
    #[serde(default)]
    pub examples: Vec<Spanned<String>>,
    /// Wordings that must not be credited.
    #[serde(default)]
    pub counterexamples: Vec<Spanned<String>>,
}

/// `[[misconceptions]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MisconceptionEntry {
    pub id: Spanned<String>,
    pub belief: Spanned<String>,
    #[serde(default)]
    pub cues: Option<Spanned<Vec<String>>>,
    pub question: Spanned<String>,
    #[serde(default)]
    pub correction: Option<Spanned<String>>,
    /// Checkpoints of the same concept the belief contradicts (default: all of them).
    #[serde(default)]
    pub contradicts: Vec<Spanned<String>>,
    /// Wordings that must be flagged.
    #[serde(default)]
    pub examples: Vec<Spanned<String>>,
    /// Wordings that must not be flagged.
    #[serde(default)]
    pub counterexamples: Vec<Spanned<String>>,
}

/// `[[analogies]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalogyEntry {
    pub id: Spanned<String>,
    pub text: Spanned<String>,
    /// Checkpoints of this concept that the analogy states.
    #[serde(default)]
    pub states: Vec<Spanned<String>>,
}

/// `[[questions]]`: a likely learner question and its brief answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionEntry {
    #[serde(default)]
    pub cues: Option<Spanned<Vec<String>>>,
    pub answer: Spanned<String>,
    /// Checkpoints of this concept that the answer states.
    #[serde(default)]
    pub states: Vec<Spanned<String>>,
}
