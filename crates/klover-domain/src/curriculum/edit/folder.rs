//! A curriculum folder open for editing: each concept file parsed once into a
//! `toml_edit` document, lookups of entries by id, and the files written back (only the
//! ones an edit changed are re-rendered, so the rest keep their bytes).

use toml_edit::{DocumentMut, Table};

use super::EditError;
use crate::curriculum::SourceFile;
use crate::curriculum::load::MANIFEST;

/// The folder's files, with a document for each concept file that parses.
pub(super) struct Folder {
    files: Vec<SourceFile>,
    /// `Ok` for a parsed concept file; the parse error for a broken one; `None` for the
    /// manifest and removed files.
    docs: Vec<Option<Result<DocumentMut, String>>>,
    /// Files an edit changed (re-rendered by `finish`).
    changed: Vec<bool>,
    /// Files an edit removed.
    removed: Vec<bool>,
}

/// The array-of-tables keys whose entries carry a curriculum-wide id.
pub(super) const CHECKPOINTS: &str = "checkpoints";
pub(super) const MISCONCEPTIONS: &str = "misconceptions";

impl Folder {
    pub(super) fn parse(files: &[SourceFile]) -> Self {
        let docs = files
            .iter()
            .map(|f| {
                (f.path != MANIFEST)
                    .then(|| f.text.parse::<DocumentMut>().map_err(|e| e.to_string()))
            })
            .collect();
        Self {
            files: files.to_vec(),
            docs,
            changed: vec![false; files.len()],
            removed: vec![false; files.len()],
        }
    }

    /// The files after the edits.
    pub(super) fn finish(self) -> Vec<SourceFile> {
        let mut out = Vec::new();
        for (i, mut f) in self.files.into_iter().enumerate() {
            if self.removed[i] {
                continue;
            }
            if self.changed[i]
                && let Some(Ok(doc)) = &self.docs[i]
            {
                f.text = doc.to_string();
            }
            out.push(f);
        }
        out
    }

    /// Indexes of the concept files that parse, in the order given.
    pub(super) fn concept_files(&self) -> Vec<usize> {
        (0..self.files.len())
            .filter(|&i| matches!(self.docs[i], Some(Ok(_))))
            .collect()
    }

    /// Paths of the files, for naming a new one.
    pub(super) fn paths(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .zip(&self.removed)
            .filter(|(_, removed)| !**removed)
            .map(|(f, _)| f.path.as_str())
    }

    /// The parsed document of file `i` (read-only).
    pub(super) fn doc(&self, i: usize) -> Option<&DocumentMut> {
        match &self.docs[i] {
            Some(Ok(d)) => Some(d),
            _ => None,
        }
    }

    /// The document of file `i`, marked changed.
    pub(super) fn doc_mut(&mut self, i: usize) -> Result<&mut Table, EditError> {
        self.changed[i] = true;
        match &mut self.docs[i] {
            Some(Ok(d)) => Ok(d.as_table_mut()),
            Some(Err(message)) => Err(EditError::Unparsable {
                path: self.files[i].path.clone(),
                message: message.trim().to_owned(),
            }),
            None => Err(EditError::Unknown {
                kind: "concept file",
                id: self.files[i].path.clone(),
            }),
        }
    }

    /// A concept's `id`, when file `i` has a readable one.
    pub(super) fn concept_id(&self, i: usize) -> Option<&str> {
        self.doc(i)?.get("id")?.as_str()
    }

    /// The file defining concept `id`.
    pub(super) fn concept(&self, id: &str) -> Result<usize, EditError> {
        if let Some(i) = self
            .concept_files()
            .into_iter()
            .find(|&i| self.concept_id(i) == Some(id))
        {
            return Ok(i);
        }
        Err(self.unknown("concept", id))
    }

    /// The file and position of the `[[key]]` entry with this id (checkpoints and
    /// misconceptions: ids unique across the curriculum).
    pub(super) fn entry(&self, key: &str, id: &str) -> Option<(usize, usize)> {
        self.concept_files()
            .into_iter()
            .find_map(|i| position(self.doc(i)?.as_table(), key, id).map(|p| (i, p)))
    }

    /// Like [`Folder::entry`], an error naming the kind when absent.
    pub(super) fn entry_or(
        &self,
        key: &str,
        kind: &'static str,
        id: &str,
    ) -> Result<(usize, usize), EditError> {
        self.entry(key, id).ok_or_else(|| self.unknown(kind, id))
    }

    /// Adds a new file (already rendered) at `path`.
    pub(super) fn add_file(&mut self, path: String, doc: DocumentMut) {
        self.files.push(SourceFile {
            path,
            text: doc.to_string(),
        });
        self.docs.push(Some(Ok(doc)));
        self.changed.push(true);
        self.removed.push(false);
    }

    /// Removes file `i`.
    pub(super) fn remove_file(&mut self, i: usize) {
        self.removed[i] = true;
        self.docs[i] = None;
    }

    /// Renames file `i`.
    pub(super) fn rename_file(&mut self, i: usize, path: String) {
        self.files[i].path = path;
        self.changed[i] = true;
    }

    /// The path of file `i`.
    pub(super) fn path(&self, i: usize) -> &str {
        &self.files[i].path
    }

    /// "Unknown id", or "fix the broken file first" when a file that does not parse
    /// could be the one holding it.
    fn unknown(&self, kind: &'static str, id: &str) -> EditError {
        for (f, d) in self.files.iter().zip(&self.docs) {
            if let Some(Err(message)) = d
                && f.text.contains(id)
            {
                return EditError::Unparsable {
                    path: f.path.clone(),
                    message: message.trim().to_owned(),
                };
            }
        }
        EditError::Unknown {
            kind,
            id: id.to_owned(),
        }
    }
}

/// The position of the `[[key]]` table whose `id` is `id`.
pub(super) fn position(doc: &Table, key: &str, id: &str) -> Option<usize> {
    doc.get(key)?
        .as_array_of_tables()?
        .iter()
        .position(|t| t.get("id").and_then(|v| v.as_str()) == Some(id))
}
