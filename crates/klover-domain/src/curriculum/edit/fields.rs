//! Which fields each kind of entry has (text or list, required or not), and how a
//! [`Target`] is found in the folder.

use toml_edit::Table;

use super::folder::{CHECKPOINTS, Folder, MISCONCEPTIONS, position};
use super::{EditError, Target};

/// What an edit may do with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A string; a required one cannot be removed.
    Text {
        /// Whether the format requires it.
        required: bool,
    },
    /// A list of strings (cues, hints, examples…).
    List,
}

/// The kind of `field` on `target`, or `None` if the format has no such field there.
/// Prerequisites are not a list field: they change through the prerequisite edits, which
/// refuse cycles.
pub fn field_kind(target: &Target, field: &str) -> Option<FieldKind> {
    use FieldKind::{List, Text};
    let req = Text { required: true };
    let opt = Text { required: false };
    Some(match (target, field) {
        (Target::Concept { .. }, "title" | "opening_question" | "summary") => req,
        (Target::Checkpoint { .. }, "statement") => req,
        (Target::Checkpoint { .. }, "title" | "prompt" | "confirmation" | "review_question") => opt,
        (
            Target::Checkpoint { .. },
            "cues" | "hints" | "contradictions" | "examples" | "counterexamples",
        ) => List,
        (Target::Misconception { .. }, "belief" | "question") => req,
        (Target::Misconception { .. }, "correction") => opt,
        (Target::Misconception { .. }, "cues" | "contradicts" | "examples" | "counterexamples") => {
            List
        }
        (Target::Analogy { .. }, "text") => req,
        (Target::Analogy { .. }, "states") => List,
        (Target::Question { .. }, "answer") => req,
        (Target::Question { .. }, "cues" | "states") => List,
        _ => return None,
    })
}

/// The target's kind, for messages.
pub(super) fn target_name(target: &Target) -> &'static str {
    match target {
        Target::Concept { .. } => "concept",
        Target::Checkpoint { .. } => "checkpoint",
        Target::Misconception { .. } => "misconception",
        Target::Analogy { .. } => "analogy",
        Target::Question { .. } => "question",
    }
}

/// Where a target's table is: the file, and the root or an array-of-tables entry.
pub(super) struct Located {
    file: usize,
    entry: Option<(&'static str, usize)>,
}

/// Finds the target.
pub(super) fn locate(folder: &Folder, target: &Target) -> Result<Located, EditError> {
    let entry = |key: &'static str, kind, id: &str| {
        folder.entry_or(key, kind, id).map(|(file, pos)| Located {
            file,
            entry: Some((key, pos)),
        })
    };
    match target {
        Target::Concept { id } => folder.concept(id).map(|file| Located { file, entry: None }),
        Target::Checkpoint { id } => entry(CHECKPOINTS, "checkpoint", id),
        Target::Misconception { id } => entry(MISCONCEPTIONS, "misconception", id),
        Target::Analogy { concept, id } => {
            let file = folder.concept(concept)?;
            let pos = folder
                .doc(file)
                .and_then(|d| position(d.as_table(), "analogies", id))
                .ok_or_else(|| EditError::Unknown {
                    kind: "analogy",
                    id: format!("{concept}/{id}"),
                })?;
            Ok(Located {
                file,
                entry: Some(("analogies", pos)),
            })
        }
        Target::Question { concept, index } => {
            let file = folder.concept(concept)?;
            let len = folder
                .doc(file)
                .and_then(|d| d.get("questions")?.as_array_of_tables().map(|a| a.len()))
                .unwrap_or(0);
            if *index >= len {
                return Err(EditError::Unknown {
                    kind: "question",
                    id: format!("{concept}/{index}"),
                });
            }
            Ok(Located {
                file,
                entry: Some(("questions", *index)),
            })
        }
    }
}

/// The target's table, marked changed.
pub(super) fn table_mut<'f>(
    folder: &'f mut Folder,
    at: &Located,
) -> Result<&'f mut Table, EditError> {
    let root = folder.doc_mut(at.file)?;
    let Some((key, pos)) = at.entry else {
        return Ok(root);
    };
    root.get_mut(key)
        .and_then(|i| i.as_array_of_tables_mut())
        .and_then(|a| a.get_mut(pos))
        .ok_or_else(|| EditError::Unknown {
            kind: key,
            id: pos.to_string(),
        })
}
