//! Edits that touch references between entries: prerequisite edges (a cycle is refused
//! with its path), removing a concept or checkpoint with the references to it, and
//! renaming an id everywhere it is named.

use std::collections::{BTreeMap, HashMap, VecDeque};

use toml_edit::{Item, Table, Value};

use super::arrays::{insert_item, list_mut, remove_all, rename_in, set_string};
use super::folder::{CHECKPOINTS, Folder, MISCONCEPTIONS};
use super::{EditError, IdKind};
use crate::curriculum::ConceptGraph;
use crate::ids::{CheckpointId, ConceptId, MisconceptionId};

const PREREQUISITES: &str = "prerequisites";

/// Where a concept's checkpoints are named: `[[table]]` key, then the list key.
const CHECKPOINT_REFERENCES: [(&str, &str); 3] = [
    (MISCONCEPTIONS, "contradicts"),
    ("analogies", "states"),
    ("questions", "states"),
];

/// The strings of list `key` in `table`.
fn strings(table: &Table, key: &str) -> Vec<String> {
    table
        .get(key)
        .and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Every `(prerequisite, concept)` edge of the parsed concept files.
fn edges(f: &Folder) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in f.concept_files() {
        let (Some(doc), Some(id)) = (f.doc(i), f.concept_id(i)) else {
            continue;
        };
        for p in strings(doc.as_table(), PREREQUISITES) {
            out.push((p, id.to_owned()));
        }
    }
    out
}

/// `concept` gains `prerequisite`, unless the edge closes a cycle.
pub(super) fn add_prerequisite(
    f: &mut Folder,
    concept: &str,
    prerequisite: &str,
) -> Result<(), EditError> {
    let file = f.concept(concept)?;
    f.concept(prerequisite)?;
    let mut all = edges(f);
    if all.iter().any(|(p, c)| p == prerequisite && c == concept) {
        return Ok(());
    }
    all.push((prerequisite.to_owned(), concept.to_owned()));
    if let Some(path) = cycle_through(f, &all, prerequisite, concept) {
        return Err(EditError::Cycle { path });
    }
    let root = f.doc_mut(file)?;
    insert_item(
        list_mut(root, PREREQUISITES)?,
        PREREQUISITES,
        None,
        prerequisite,
    )
}

/// The cycle the new edge `prerequisite → concept` closes, as a path from `prerequisite`
/// back to itself; `None` when the graph stays acyclic. The graph code decides whether
/// there is a cycle; the path is the shortest one through the new edge.
fn cycle_through(
    f: &Folder,
    all: &[(String, String)],
    prerequisite: &str,
    concept: &str,
) -> Option<Vec<String>> {
    let nodes: Vec<ConceptId> = f
        .concept_files()
        .into_iter()
        .filter_map(|i| ConceptId::parse(f.concept_id(i)?).ok())
        .collect();
    let typed: Vec<(ConceptId, ConceptId)> = all
        .iter()
        .filter_map(|(p, c)| Some((ConceptId::parse(p).ok()?, ConceptId::parse(c).ok()?)))
        .filter(|(p, c)| nodes.contains(p) && nodes.contains(c))
        .collect();
    ConceptGraph::build(&nodes, &typed).err()?;
    // Breadth-first from `concept` to `prerequisite` along "is a prerequisite of".
    let mut next: HashMap<&str, Vec<&str>> = HashMap::new();
    for (p, c) in all {
        next.entry(p.as_str()).or_default().push(c.as_str());
    }
    let mut came_from: HashMap<&str, &str> = HashMap::new();
    let mut queue = VecDeque::from([concept]);
    while let Some(at) = queue.pop_front() {
        if at == prerequisite {
            let mut path = vec![prerequisite.to_owned()];
            let mut step = at;
            while step != concept {
                step = came_from.get(step)?;
                path.push(step.to_owned());
            }
            path.push(prerequisite.to_owned());
            path.reverse();
            return Some(path);
        }
        for &n in next.get(at).into_iter().flatten() {
            if n != concept && !came_from.contains_key(n) {
                came_from.insert(n, at);
                queue.push_back(n);
            }
        }
    }
    // A cycle the draft had before this edge: not this edit's to refuse.
    None
}

/// `concept` no longer requires `prerequisite` (an error if it did not).
pub(super) fn remove_prerequisite(
    f: &mut Folder,
    concept: &str,
    prerequisite: &str,
) -> Result<(), EditError> {
    let file = f.concept(concept)?;
    let has = f.doc(file).is_some_and(|d| {
        strings(d.as_table(), PREREQUISITES)
            .iter()
            .any(|p| p == prerequisite)
    });
    if !has {
        return Err(EditError::Unknown {
            kind: "prerequisite",
            id: format!("{prerequisite} of {concept}"),
        });
    }
    drop_from_list(f.doc_mut(file)?, PREREQUISITES, prerequisite);
    Ok(())
}

/// Removes the entries equal to `text` from list `key`, and the key once it is empty.
fn drop_from_list(table: &mut Table, key: &str, text: &str) {
    if let Some(arr) = table.get_mut(key).and_then(Item::as_array_mut) {
        remove_all(arr, text);
        if arr.is_empty() {
            table.remove(key);
        }
    }
}

/// Removes a concept's file and the prerequisite edges naming it.
pub(super) fn remove_concept(f: &mut Folder, id: &str) -> Result<(), EditError> {
    let file = f.concept(id)?;
    f.remove_file(file);
    for i in f.concept_files() {
        let names = f
            .doc(i)
            .is_some_and(|d| strings(d.as_table(), PREREQUISITES).iter().any(|p| p == id));
        if names {
            drop_from_list(f.doc_mut(i)?, PREREQUISITES, id);
        }
    }
    Ok(())
}

/// Removes `contradicts`/`states` entries naming a removed checkpoint (they only name
/// checkpoints of their own concept, so of file `file`).
pub(super) fn drop_checkpoint_references(
    f: &mut Folder,
    file: usize,
    id: &str,
) -> Result<(), EditError> {
    let root = f.doc_mut(file)?;
    for (tables, key) in CHECKPOINT_REFERENCES {
        if let Some(a) = root.get_mut(tables).and_then(Item::as_array_of_tables_mut) {
            for t in a.iter_mut() {
                drop_from_list(t, key, id);
            }
        }
    }
    Ok(())
}

/// Renames an id and every reference to it; the mapping `to → from`.
pub(super) fn rename(
    f: &mut Folder,
    kind: IdKind,
    from: &str,
    to: &str,
) -> Result<BTreeMap<String, String>, EditError> {
    if from == to {
        return Ok(BTreeMap::new());
    }
    match kind {
        IdKind::Concept => rename_concept(f, from, to)?,
        IdKind::Checkpoint => {
            CheckpointId::parse(to)?;
            let (file, pos) = f.entry_or(CHECKPOINTS, "checkpoint", from)?;
            if f.entry(CHECKPOINTS, to).is_some() {
                return Err(EditError::Taken {
                    kind: "checkpoint",
                    id: to.to_owned(),
                });
            }
            let root = f.doc_mut(file)?;
            set_entry_id(root, CHECKPOINTS, pos, to);
            for (tables, key) in CHECKPOINT_REFERENCES {
                if let Some(a) = root.get_mut(tables).and_then(Item::as_array_of_tables_mut) {
                    for t in a.iter_mut() {
                        if let Some(arr) = t.get_mut(key).and_then(Item::as_array_mut) {
                            rename_in(arr, from, to);
                        }
                    }
                }
            }
        }
        IdKind::Misconception => {
            MisconceptionId::parse(to)?;
            let (file, pos) = f.entry_or(MISCONCEPTIONS, "misconception", from)?;
            if f.entry(MISCONCEPTIONS, to).is_some() {
                return Err(EditError::Taken {
                    kind: "misconception",
                    id: to.to_owned(),
                });
            }
            set_entry_id(f.doc_mut(file)?, MISCONCEPTIONS, pos, to);
        }
    }
    Ok(BTreeMap::from([(to.to_owned(), from.to_owned())]))
}

fn set_entry_id(root: &mut Table, key: &str, pos: usize, to: &str) {
    if let Some(t) = root
        .get_mut(key)
        .and_then(Item::as_array_of_tables_mut)
        .and_then(|a| a.get_mut(pos))
    {
        set_string(t, "id", to);
    }
}

/// Renames a concept: its `id`, its file (`concepts/03-old.toml` → `03-new.toml` when the
/// name ends with the id) and every prerequisite naming it.
fn rename_concept(f: &mut Folder, from: &str, to: &str) -> Result<(), EditError> {
    ConceptId::parse(to)?;
    let file = f.concept(from)?;
    if f.concept(to).is_ok() {
        return Err(EditError::Taken {
            kind: "concept",
            id: to.to_owned(),
        });
    }
    set_string(f.doc_mut(file)?, "id", to);
    let old_suffix = format!("{from}.toml");
    if let Some(stem) = f.path(file).strip_suffix(&old_suffix)
        && (stem.ends_with('-') || stem.ends_with('/'))
    {
        let path = format!("{stem}{to}.toml");
        if !f.paths().any(|p| p == path) {
            f.rename_file(file, path);
        }
    }
    for i in f.concept_files() {
        let names = f.doc(i).is_some_and(|d| {
            strings(d.as_table(), PREREQUISITES)
                .iter()
                .any(|p| p == from)
        });
        if names
            && let Some(arr) = f
                .doc_mut(i)?
                .get_mut(PREREQUISITES)
                .and_then(Item::as_array_mut)
        {
            rename_in(arr, from, to);
        }
    }
    Ok(())
}
