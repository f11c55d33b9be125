//! Each [`Edit`] carried out on an open [`Folder`]: entries added and removed, fields set,
//! list entries inserted, replaced and removed. Prerequisite edges and renames are in
//! [`super::links`].

use std::collections::BTreeMap;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use super::arrays::{
    insert_item, list_mut, new_list, remove_item, set_item, set_string, set_value,
};
use super::fields::{FieldKind, field_kind, locate, table_mut, target_name};
use super::folder::{CHECKPOINTS, Folder, MISCONCEPTIONS, position};
use super::{Edit, EditError, Target, links};
use crate::ids::{CheckpointId, ConceptId, MisconceptionId};

/// Carries out one edit; the rename mapping it records (new id → old id).
pub(super) fn run(f: &mut Folder, edit: &Edit) -> Result<BTreeMap<String, String>, EditError> {
    match edit {
        Edit::AddConcept {
            id,
            title,
            opening_question,
            summary,
            prerequisites,
        } => add_concept(f, id, [title, opening_question, summary], prerequisites)?,
        Edit::RemoveConcept { id } => links::remove_concept(f, id)?,
        Edit::AddCheckpoint {
            concept,
            id,
            statement,
            title,
            cues,
            hints,
        } => {
            CheckpointId::parse(id)?;
            taken(f.entry(CHECKPOINTS, id).is_some(), "checkpoint", id)?;
            let mut t = Table::new();
            t.insert("id", Item::Value(id.into()));
            if let Some(title) = title {
                t.insert("title", Item::Value(title.into()));
            }
            t.insert("statement", Item::Value(statement.into()));
            t.insert("cues", Item::Value(new_list(cues)));
            t.insert("hints", Item::Value(new_list(hints)));
            push_table(f, concept, CHECKPOINTS, t)?;
        }
        Edit::RemoveCheckpoint { id } => {
            let (file, pos) = f.entry_or(CHECKPOINTS, "checkpoint", id)?;
            remove_table(f.doc_mut(file)?, CHECKPOINTS, pos);
            links::drop_checkpoint_references(f, file, id)?;
        }
        Edit::AddMisconception {
            concept,
            id,
            belief,
            question,
            cues,
        } => {
            MisconceptionId::parse(id)?;
            taken(f.entry(MISCONCEPTIONS, id).is_some(), "misconception", id)?;
            let mut t = Table::new();
            t.insert("id", Item::Value(id.into()));
            t.insert("belief", Item::Value(belief.into()));
            t.insert("cues", Item::Value(new_list(cues)));
            t.insert("question", Item::Value(question.into()));
            push_table(f, concept, MISCONCEPTIONS, t)?;
        }
        Edit::RemoveMisconception { id } => {
            let (file, pos) = f.entry_or(MISCONCEPTIONS, "misconception", id)?;
            remove_table(f.doc_mut(file)?, MISCONCEPTIONS, pos);
        }
        Edit::AddAnalogy { concept, id, text } => {
            let file = f.concept(concept)?;
            let exists = f
                .doc(file)
                .and_then(|d| position(d.as_table(), "analogies", id))
                .is_some();
            taken(exists, "analogy", id)?;
            let mut t = Table::new();
            t.insert("id", Item::Value(id.into()));
            t.insert("text", Item::Value(text.into()));
            push_table(f, concept, "analogies", t)?;
        }
        Edit::RemoveAnalogy { concept, id } => {
            let at = Target::Analogy {
                concept: concept.clone(),
                id: id.clone(),
            };
            locate(f, &at)?;
            let file = f.concept(concept)?;
            let root = f.doc_mut(file)?;
            if let Some(pos) = position(root, "analogies", id) {
                remove_table(root, "analogies", pos);
            }
        }
        Edit::AddQuestion {
            concept,
            answer,
            cues,
        } => {
            let mut t = Table::new();
            t.insert("cues", Item::Value(new_list(cues)));
            t.insert("answer", Item::Value(answer.into()));
            push_table(f, concept, "questions", t)?;
        }
        Edit::RemoveQuestion { concept, index } => {
            let at = Target::Question {
                concept: concept.clone(),
                index: *index,
            };
            locate(f, &at)?;
            let file = f.concept(concept)?;
            remove_table(f.doc_mut(file)?, "questions", *index);
        }
        Edit::SetText {
            target,
            field,
            value,
        } => set_text(f, target, field, value.as_deref())?,
        Edit::SetWeight { checkpoint, weight } => {
            let at = locate(
                f,
                &Target::Checkpoint {
                    id: checkpoint.clone(),
                },
            )?;
            let t = table_mut(f, &at)?;
            match weight {
                Some(w) => set_value(t, "weight", Value::from(*w)),
                None => {
                    t.remove("weight");
                }
            }
        }
        Edit::AddItem {
            target,
            field,
            value,
            index,
        } => {
            let t = list_table(f, target, field)?;
            let empty = t
                .get(field)
                .and_then(Item::as_array)
                .is_none_or(|a| a.is_empty());
            if empty
                && !matches!(field.as_str(), "states" | "contradicts")
                && index.is_none_or(|i| i == 0)
            {
                // A new list of texts is written one entry per line, like the reference.
                set_value(t, field, new_list(std::slice::from_ref(value)));
            } else {
                insert_item(list_mut(t, field)?, field, *index, value)?;
            }
        }
        Edit::SetItem {
            target,
            field,
            index,
            value,
        } => {
            let t = list_table(f, target, field)?;
            set_item(list_mut(t, field)?, field, *index, value)?;
        }
        Edit::RemoveItem {
            target,
            field,
            index,
        } => {
            let t = list_table(f, target, field)?;
            remove_item(list_mut(t, field)?, field, *index)?;
        }
        Edit::AddPrerequisite {
            concept,
            prerequisite,
        } => links::add_prerequisite(f, concept, prerequisite)?,
        Edit::RemovePrerequisite {
            concept,
            prerequisite,
        } => links::remove_prerequisite(f, concept, prerequisite)?,
        Edit::Rename { kind, from, to } => return links::rename(f, *kind, from, to),
    }
    Ok(BTreeMap::new())
}

fn taken(exists: bool, kind: &'static str, id: &str) -> Result<(), EditError> {
    if exists {
        return Err(EditError::Taken {
            kind,
            id: id.to_owned(),
        });
    }
    Ok(())
}

/// A new concept file, numbered after the highest `concepts/<nn>-…` so far.
fn add_concept(
    f: &mut Folder,
    id: &str,
    [title, opening_question, summary]: [&String; 3],
    prerequisites: &[String],
) -> Result<(), EditError> {
    ConceptId::parse(id)?;
    let ids: Vec<usize> = f.concept_files();
    taken(
        ids.iter().any(|&i| f.concept_id(i) == Some(id)),
        "concept",
        id,
    )?;
    for p in prerequisites {
        f.concept(p)?;
    }
    let next = f
        .paths()
        .filter_map(|p| p.strip_prefix("concepts/"))
        .filter_map(|p| p.split(['-', '.']).next()?.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let path = format!("concepts/{next:02}-{id}.toml");
    taken(f.paths().any(|p| p == path), "file", &path)?;
    let mut doc = DocumentMut::new();
    doc.insert("id", Item::Value(id.into()));
    doc.insert("title", Item::Value(title.into()));
    if !prerequisites.is_empty() {
        let arr: toml_edit::Array = prerequisites.iter().map(String::as_str).collect();
        doc.insert("prerequisites", Item::Value(Value::Array(arr)));
    }
    doc.insert("opening_question", Item::Value(opening_question.into()));
    doc.insert("summary", Item::Value(summary.into()));
    f.add_file(path, doc);
    Ok(())
}

/// Appends a table to the concept's `[[key]]` entries; it is written after the last one.
fn push_table(f: &mut Folder, concept: &str, key: &str, table: Table) -> Result<(), EditError> {
    let file = f.concept(concept)?;
    let root = f.doc_mut(file)?;
    let entries = root
        .entry(key)
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
    match entries.as_array_of_tables_mut() {
        Some(a) => {
            a.push(table);
            Ok(())
        }
        None => Err(EditError::UnknownField {
            target: "concept",
            field: key.to_owned(),
            expected: "[[table]]",
        }),
    }
}

/// Removes the `pos`-th `[[key]]` table, and the key once none is left.
fn remove_table(root: &mut Table, key: &str, pos: usize) {
    let now_empty = match root.get_mut(key).and_then(Item::as_array_of_tables_mut) {
        Some(a) if pos < a.len() => {
            a.remove(pos);
            a.is_empty()
        }
        _ => false,
    };
    if now_empty {
        root.remove(key);
    }
}

fn set_text(
    f: &mut Folder,
    target: &Target,
    field: &str,
    value: Option<&str>,
) -> Result<(), EditError> {
    let Some(FieldKind::Text { required }) = field_kind(target, field) else {
        return Err(EditError::UnknownField {
            target: target_name(target),
            field: field.to_owned(),
            expected: "text",
        });
    };
    let at = locate(f, target)?;
    match value {
        Some(text) => set_string(table_mut(f, &at)?, field, text),
        None if required => {
            return Err(EditError::Required {
                field: field.to_owned(),
            });
        }
        None => {
            table_mut(f, &at)?.remove(field);
        }
    }
    Ok(())
}

/// The table holding the list field `field` of `target`, checked to be a list field.
fn list_table<'f>(
    f: &'f mut Folder,
    target: &Target,
    field: &str,
) -> Result<&'f mut Table, EditError> {
    if field_kind(target, field) != Some(FieldKind::List) {
        return Err(EditError::UnknownField {
            target: target_name(target),
            field: field.to_owned(),
            expected: "list",
        });
    }
    let at = locate(f, target)?;
    table_mut(f, &at)
}
