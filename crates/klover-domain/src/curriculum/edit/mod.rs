//! Fine-grained edits of a curriculum folder, for drafts edited in the running service.
//!
//! A curriculum version is its files ([`SourceFile`]); an [`Edit`] changes them with
//! `toml_edit`, so everything the edit does not touch keeps its bytes: comments, key
//! order, array layout. A one-word edit is a one-line diff, and a file the edit does not
//! touch is returned byte-identical.
//!
//! [`apply`] refuses an edit that names an unknown id, reuses a taken one, or adds a
//! prerequisite edge that closes a cycle (with the path). An edit that leaves the
//! curriculum otherwise invalid (a checkpoint with one hint, an empty statement) is
//! applied: drafts may be invalid, and the caller runs the checker on the result.
//! Pure: no I/O.

mod arrays;
mod fields;
mod folder;
mod links;
#[cfg(test)]
mod links_tests;
mod ops;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::SourceFile;
use crate::ids::IdError;

pub use fields::{FieldKind, field_kind};

/// One change to a curriculum folder. JSON: an object tagged by `op`
/// (`{"op": "set_text", "target": {"kind": "checkpoint", "id": "…"}, "field": "statement",
/// "value": "…"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Edit {
    /// A new concept in a new file `concepts/<nn>-<id>.toml`, numbered after the last one.
    AddConcept {
        /// The new concept's id (a slug not used by another concept).
        id: String,
        /// Section title.
        title: String,
        /// The first question the tutor asks.
        opening_question: String,
        /// Said when the concept is mastered.
        summary: String,
        /// Concepts that must be mastered first (each must exist).
        #[serde(default)]
        prerequisites: Vec<String>,
    },
    /// Removes a concept's file, and the prerequisite edges that named it.
    RemoveConcept {
        /// The concept's id.
        id: String,
    },
    /// A new `[[checkpoints]]` entry after the concept's last one.
    AddCheckpoint {
        /// The concept it belongs to.
        concept: String,
        /// Its id, unique across the curriculum.
        id: String,
        /// The ideal statement.
        statement: String,
        /// Short label, if any.
        #[serde(default)]
        title: Option<String>,
        /// Evidence cues.
        #[serde(default)]
        cues: Vec<String>,
        /// Hints, vague to specific.
        #[serde(default)]
        hints: Vec<String>,
    },
    /// Removes a checkpoint, and the `contradicts`/`states` entries that named it.
    RemoveCheckpoint {
        /// The checkpoint's id.
        id: String,
    },
    /// A new `[[misconceptions]]` entry after the concept's last one.
    AddMisconception {
        /// The concept it belongs to.
        concept: String,
        /// Its id, unique across the curriculum.
        id: String,
        /// The wrong belief.
        belief: String,
        /// The question that makes the learner see it.
        question: String,
        /// How to spot it.
        #[serde(default)]
        cues: Vec<String>,
    },
    /// Removes a misconception.
    RemoveMisconception {
        /// The misconception's id.
        id: String,
    },
    /// A new `[[analogies]]` entry.
    AddAnalogy {
        /// The concept it belongs to.
        concept: String,
        /// Short name, unique in the concept.
        id: String,
        /// The analogy as the tutor tells it.
        text: String,
    },
    /// Removes an analogy.
    RemoveAnalogy {
        /// The concept it belongs to.
        concept: String,
        /// Its short name.
        id: String,
    },
    /// A new `[[questions]]` entry (a likely learner question and its brief answer).
    AddQuestion {
        /// The concept it belongs to.
        concept: String,
        /// The brief answer.
        answer: String,
        /// Cues that recognise the question.
        #[serde(default)]
        cues: Vec<String>,
    },
    /// Removes the concept's `index`-th question (0-based, file order).
    RemoveQuestion {
        /// The concept it belongs to.
        concept: String,
        /// Its position among the concept's questions.
        index: usize,
    },
    /// Sets a text field (`statement`, `title`, `opening_question`…); `null` removes an
    /// optional one. [`field_kind`] lists the fields of each target.
    SetText {
        /// What holds the field.
        target: Target,
        /// The field's key.
        field: String,
        /// The new text, or `null` to remove an optional field.
        value: Option<String>,
    },
    /// Sets a checkpoint's weight; `null` removes it (default 1.0).
    SetWeight {
        /// The checkpoint's id.
        checkpoint: String,
        /// The new weight.
        weight: Option<f64>,
    },
    /// Inserts an entry into a list field (`cues`, `hints`, `examples`…) at `index`, or at
    /// its end.
    AddItem {
        /// What holds the list.
        target: Target,
        /// The list's key.
        field: String,
        /// The new entry.
        value: String,
        /// Where to insert it (0-based); the end when absent.
        #[serde(default)]
        index: Option<usize>,
    },
    /// Replaces the `index`-th entry of a list field.
    SetItem {
        /// What holds the list.
        target: Target,
        /// The list's key.
        field: String,
        /// The entry's position (0-based).
        index: usize,
        /// Its new text.
        value: String,
    },
    /// Removes the `index`-th entry of a list field.
    RemoveItem {
        /// What holds the list.
        target: Target,
        /// The list's key.
        field: String,
        /// The entry's position (0-based).
        index: usize,
    },
    /// `concept` now requires `prerequisite`; refused when that closes a cycle.
    AddPrerequisite {
        /// The concept that gains a prerequisite.
        concept: String,
        /// The concept it requires.
        prerequisite: String,
    },
    /// `concept` no longer requires `prerequisite`.
    RemovePrerequisite {
        /// The concept that loses a prerequisite.
        concept: String,
        /// The concept it required.
        prerequisite: String,
    },
    /// Renames an id everywhere it is named (a concept's file name and the prerequisites
    /// naming it; a checkpoint's `contradicts` and `states` entries). The result's
    /// [`Applied::renamed_from`] records the mapping so learner data can follow.
    Rename {
        /// What kind of id.
        kind: IdKind,
        /// The current id.
        from: String,
        /// The new id.
        to: String,
    },
}

/// The entry an edit of a field addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// A concept's own fields (`title`, `opening_question`, `summary`).
    Concept {
        /// The concept's id.
        id: String,
    },
    /// A checkpoint, found by its curriculum-wide id.
    Checkpoint {
        /// The checkpoint's id.
        id: String,
    },
    /// A misconception, found by its curriculum-wide id.
    Misconception {
        /// The misconception's id.
        id: String,
    },
    /// An analogy of a concept.
    Analogy {
        /// The concept's id.
        concept: String,
        /// The analogy's short name.
        id: String,
    },
    /// A learner question of a concept, by position.
    Question {
        /// The concept's id.
        concept: String,
        /// Its position among the concept's questions (0-based).
        index: usize,
    },
}

/// The kinds of id a rename can change: the ones learner data is keyed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// A concept id.
    Concept,
    /// A checkpoint id.
    Checkpoint,
    /// A misconception id.
    Misconception,
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Concept => "concept",
            Self::Checkpoint => "checkpoint",
            Self::Misconception => "misconception",
        })
    }
}

/// The outcome of an edit: the folder's files after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Every file, in the order given (a new concept's file last; a removed one gone).
    /// Files the edit did not touch are the same text, byte for byte.
    pub files: Vec<SourceFile>,
    /// New id → old id, for a rename (empty otherwise); see [`compose_renames`].
    pub renamed_from: BTreeMap<String, String>,
}

/// Why an edit was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    /// No entry has this id.
    #[error("no {kind} `{id}` in the curriculum")]
    Unknown {
        /// What was looked for (`concept`, `checkpoint`, `analogy`…).
        kind: &'static str,
        /// The id (or position) given.
        id: String,
    },
    /// The id is already used.
    #[error("{kind} id `{id}` is already used")]
    Taken {
        /// What kind of id.
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// The id is not a slug.
    #[error(transparent)]
    BadId(#[from] IdError),
    /// The target has no such field, or it is not of the edit's kind (text, list).
    #[error("a {target} has no {expected} field `{field}`")]
    UnknownField {
        /// The target's kind.
        target: &'static str,
        /// The field given.
        field: String,
        /// `text` or `list`.
        expected: &'static str,
    },
    /// A required field cannot be removed.
    #[error("`{field}` is required and cannot be removed")]
    Required {
        /// The field.
        field: String,
    },
    /// A list position past its end.
    #[error("`{field}` has {len} entries; there is no entry {index}")]
    NoIndex {
        /// The list's key.
        field: String,
        /// The position given.
        index: usize,
        /// The list's length.
        len: usize,
    },
    /// The prerequisite would close a cycle; `path` starts and ends with the same concept
    /// and follows "is a prerequisite of".
    #[error("prerequisite cycle: {}", .path.join(" → "))]
    Cycle {
        /// The cycle, `a → b → c → a`.
        path: Vec<String>,
    },
    /// A file the edit must change does not parse as TOML.
    #[error("{path} does not parse ({message}); fix the file first")]
    Unparsable {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
}

/// Applies one edit to a curriculum's files; see the module docs for what is refused.
pub fn apply(files: &[SourceFile], edit: &Edit) -> Result<Applied, EditError> {
    let mut folder = folder::Folder::parse(files);
    let renamed_from = ops::run(&mut folder, edit)?;
    Ok(Applied {
        files: folder.finish(),
        renamed_from,
    })
}

/// Folds a new `renamed_from` (new → old) into a draft's mapping so far: renaming `b`
/// (once `a`) to `c` records `c → a`; renaming back to the original drops the entry.
pub fn compose_renames(
    so_far: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut out = so_far.clone();
    for (to, from) in new {
        let original = out.remove(from).unwrap_or_else(|| from.clone());
        if &original != to {
            out.insert(to.clone(), original);
        }
    }
    out
}
