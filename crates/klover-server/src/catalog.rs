//! The curricula the server teaches: the latest published version of each (from the
//! store, see [`crate::curricula`], or straight from a folder for tools and tests), the
//! older versions live sessions are pinned to, and their JSON description for the web
//! client's concept picker.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use klover_domain::Curriculum;
use serde::Serialize;

use crate::error::Error;

/// Curricula by id. Cheap to clone: clones share one set, so a version published through
/// one handle is taught through every other.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    inner: Arc<RwLock<Inner>>,
}

/// What [`Catalog`] holds behind its lock (held only to read or swap an `Arc`).
#[derive(Debug, Default)]
struct Inner {
    /// What new sessions are taught, by curriculum id.
    latest: BTreeMap<String, Taught>,
    /// Stored versions loaded for sessions pinned to them, by (curriculum id, number).
    versions: HashMap<(String, i64), Arc<Curriculum>>,
}

/// A curriculum as taught, with the stored version it is (`None` when it was loaded from
/// a folder without the store).
#[derive(Debug, Clone)]
pub struct Taught {
    /// The curriculum.
    pub curriculum: Arc<Curriculum>,
    /// Its stored version number.
    pub number: Option<i64>,
}

impl Catalog {
    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The curriculum folders under `dir`: `dir` itself when it holds `curriculum.toml`,
    /// else each sub-folder that does (sorted). Fails, naming the setting, when there is
    /// none.
    pub fn folders(dir: &Path) -> Result<Vec<PathBuf>, Error> {
        if !dir.is_dir() {
            return Err(Error::Curriculum(format!(
                "the curriculum folder `{}` does not exist: run klover from the folder that \
                 holds `curriculum/`, or pass --curriculum-dir PATH (KLOVER_CURRICULUM_DIR)",
                dir.display()
            )));
        }
        if dir.join("curriculum.toml").is_file() {
            return Ok(vec![dir.to_path_buf()]);
        }
        let mut subdirs: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("curriculum.toml").is_file())
            .collect();
        subdirs.sort();
        if subdirs.is_empty() {
            return Err(Error::Curriculum(format!(
                "no curriculum in `{}`: expected `curriculum.toml` there or in a sub-folder \
                 (see docs/curriculum.md)",
                dir.display()
            )));
        }
        Ok(subdirs)
    }

    /// Loads `dir`: one curriculum (it holds `curriculum.toml`) or a folder of them.
    pub fn load(dir: &Path) -> Result<Self, Error> {
        let catalog = Self::default();
        for sub in Self::folders(dir)? {
            catalog.insert(load_one(&sub)?);
        }
        Ok(catalog)
    }

    /// Loads `dir` like [`Catalog::load`], except that when `dir` is the default folder
    /// (`explicit` is false) and it does not exist, the built-in reference curriculum is
    /// taught instead, so `klover serve` works from any folder.
    pub fn load_or_builtin(dir: &Path, explicit: bool) -> Result<Self, Error> {
        if explicit || dir.exists() {
            return Self::load(dir);
        }
        tracing::info!(
            folder = %dir.display(),
            "no curriculum folder here: teaching the built-in reference curriculum (async-python)"
        );
        Ok(Self::from_curricula([
            crate::builtin::reference_curriculum()?,
        ]))
    }

    /// A catalog holding the given curricula (tests).
    pub fn from_curricula(list: impl IntoIterator<Item = Curriculum>) -> Self {
        let catalog = Self::default();
        for c in list {
            catalog.insert(c);
        }
        catalog
    }

    fn insert(&self, c: Curriculum) {
        let taught = Taught {
            curriculum: Arc::new(c),
            number: None,
        };
        let id = taught.curriculum.id.to_string();
        self.write().latest.insert(id, taught);
    }

    /// Teaches stored version `number` of `c` to new sessions (unless a newer one is
    /// taught already: two requests may race to install).
    pub fn install(&self, number: i64, c: Arc<Curriculum>) {
        let id = c.id.to_string();
        let mut inner = self.write();
        inner.versions.insert((id.clone(), number), c.clone());
        let newer = inner.latest.get(&id).and_then(|t| t.number) > Some(number);
        if !newer {
            let number = Some(number);
            inner.latest.insert(
                id,
                Taught {
                    curriculum: c,
                    number,
                },
            );
        }
    }

    /// Keeps stored version `number` of `c` for the sessions pinned to it.
    pub fn keep_version(&self, number: i64, c: Arc<Curriculum>) {
        let id = c.id.to_string();
        self.write().versions.insert((id, number), c);
    }

    /// Stored version `number` of curriculum `id`, if it is loaded.
    pub fn version(&self, id: &str, number: i64) -> Option<Arc<Curriculum>> {
        self.read().versions.get(&(id.to_owned(), number)).cloned()
    }

    /// What new sessions on `id` are taught.
    pub fn latest(&self, id: &str) -> Option<Taught> {
        self.read().latest.get(id).cloned()
    }

    /// The curriculum with this id (the latest published version).
    pub fn get(&self, id: &str) -> Option<Arc<Curriculum>> {
        self.read().latest.get(id).map(|t| t.curriculum.clone())
    }

    /// Descriptions of every curriculum, for `GET /api/curricula` (no learner's mastery).
    pub fn describe(&self) -> Vec<CurriculumInfo> {
        let inner = self.read();
        inner
            .latest
            .values()
            .map(|t| describe(&t.curriculum))
            .collect()
    }
}

fn load_one(dir: &Path) -> Result<Curriculum, Error> {
    klover_store::curriculum_files::load_dir(dir)
        .map_err(|e| Error::Curriculum(format!("{}: {e}", dir.display())))
}

/// A curriculum as the concept picker sees it. Checkpoint texts are not included: they
/// would give the answers away.
#[derive(Debug, Clone, Serialize)]
pub struct CurriculumInfo {
    /// Curriculum id.
    pub id: String,
    /// Title.
    pub title: String,
    /// What the learner will understand.
    pub description: String,
    /// Author's version.
    pub version: String,
    /// Concepts in prerequisite order.
    pub concepts: Vec<ConceptInfo>,
    /// `[prerequisite, concept]` pairs.
    pub edges: Vec<[String; 2]>,
    /// Where the caller left off: the concept a `start` without a concept opens (their
    /// unfinished concept, else the next unlocked one); `null` when they have no earlier
    /// learning session on this curriculum, or have done the whole path (filled in per
    /// learner by [`crate::api::curricula_for`]).
    pub current_concept: Option<String>,
}

/// A concept node of the picker's graph.
#[derive(Debug, Clone, Serialize)]
pub struct ConceptInfo {
    /// Concept id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Direct prerequisites.
    pub prerequisites: Vec<String>,
    /// How many checkpoints it has.
    pub checkpoints: usize,
    /// The caller's mastery in [0, 1] (weighted mean of stored P(known); 0 in
    /// [`Catalog::describe`], filled in per learner by [`crate::api::curricula_for`]).
    pub mastery: f64,
    /// Every checkpoint mastered by the caller (the engine's rule).
    pub mastered: bool,
    /// Every checkpoint mastered by the caller or stated by the tutor (the engine's rule
    /// for moving on): true when `mastered` is, and when the tutor had to help.
    pub covered: bool,
}

fn describe(c: &Curriculum) -> CurriculumInfo {
    CurriculumInfo {
        id: c.id.to_string(),
        title: c.title.clone(),
        description: c.description.clone(),
        version: c.version.clone(),
        concepts: c
            .ordered_concepts()
            .into_iter()
            .map(|k| ConceptInfo {
                id: k.id.to_string(),
                title: k.title.clone(),
                prerequisites: k.prerequisites.iter().map(ToString::to_string).collect(),
                checkpoints: k.checkpoints.len(),
                mastery: 0.0,
                mastered: false,
                covered: false,
            })
            .collect(),
        edges: c
            .graph
            .edges()
            .into_iter()
            .map(|(a, b)| [a.to_string(), b.to_string()])
            .collect(),
        current_concept: None,
    }
}
