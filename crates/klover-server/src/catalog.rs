//! The curricula the server teaches, loaded once at start-up from the curriculum folder,
//! and their JSON description for the web client's concept picker.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use klover_domain::Curriculum;
use serde::Serialize;

use crate::error::Error;

/// Curricula by id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    curricula: BTreeMap<String, Arc<Curriculum>>,
}

impl Catalog {
    /// Loads `dir`: one curriculum (it holds `curriculum.toml`) or a folder of them.
    pub fn load(dir: &Path) -> Result<Self, Error> {
        if !dir.is_dir() {
            return Err(Error::Curriculum(format!(
                "the curriculum folder `{}` does not exist: run klover from the folder that \
                 holds `curriculum/`, or pass --curriculum-dir PATH (KLOVER_CURRICULUM_DIR)",
                dir.display()
            )));
        }
        let mut catalog = Self::default();
        if dir.join("curriculum.toml").is_file() {
            catalog.insert(load_one(dir)?);
            return Ok(catalog);
        }
        let mut subdirs: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("curriculum.toml").is_file())
            .collect();
        subdirs.sort();
        for sub in subdirs {
            catalog.insert(load_one(&sub)?);
        }
        if catalog.curricula.is_empty() {
            return Err(Error::Curriculum(format!(
                "no curriculum in `{}`: expected `curriculum.toml` there or in a sub-folder \
                 (see docs/curriculum.md)",
                dir.display()
            )));
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
        let mut catalog = Self::default();
        for c in list {
            catalog.insert(c);
        }
        catalog
    }

    fn insert(&mut self, c: Curriculum) {
        self.curricula.insert(c.id.to_string(), Arc::new(c));
    }

    /// The curriculum with this id.
    pub fn get(&self, id: &str) -> Option<Arc<Curriculum>> {
        self.curricula.get(id).cloned()
    }

    /// Descriptions of every curriculum, for `GET /api/curricula` (no learner's mastery).
    pub fn describe(&self) -> Vec<CurriculumInfo> {
        self.curricula.values().map(|c| describe(c)).collect()
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
