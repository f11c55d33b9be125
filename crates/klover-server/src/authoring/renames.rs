//! Rename-safe ids (issue 15, item 3): a new version whose checkpoint, misconception or
//! concept ids disappear must say, for each, what became of it: renamed (`renamed_from`,
//! new id → old id, so learner data follows) or removed (`remove`, a confirmation).
//! Without either the publish is refused with how many learners have data on each.

use std::collections::BTreeMap;

use klover_domain::Curriculum;
use klover_store::{Rekey, Store};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// What an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A concept.
    Concept,
    /// A checkpoint.
    Checkpoint,
    /// A misconception.
    Misconception,
}

/// What the author says about ids that disappear (part of a publish or revert body).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Mapping {
    /// New id → old id of renamed checkpoints, misconceptions and concepts.
    #[serde(default)]
    pub renamed_from: BTreeMap<String, String>,
    /// Old ids removed on purpose (their learner data stays, unused).
    #[serde(default)]
    pub remove: Vec<String>,
}

/// An id that disappears without a word about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vanished {
    /// The old id.
    pub id: String,
    /// What it named.
    pub kind: Kind,
    /// How many learners have data on it (mastery, review cards, misconception state).
    pub learners: i64,
}

/// Why a mapping is refused.
#[derive(Debug)]
pub enum Refused {
    /// Ids disappear without a mapping or a removal: 409.
    Vanished(Vec<Vanished>),
    /// The mapping itself is wrong (an unknown id, kinds that differ): 400.
    Bad(String),
    /// The store failed.
    Error(Error),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        Refused::Error(e)
    }
}

/// Every id of `c` with its kind.
pub fn ids(c: &Curriculum) -> BTreeMap<String, Kind> {
    let mut out = BTreeMap::new();
    for k in &c.concepts {
        out.insert(k.id.to_string(), Kind::Concept);
        for cp in &k.checkpoints {
            out.insert(cp.id.to_string(), Kind::Checkpoint);
        }
        for m in &k.misconceptions {
            out.insert(m.id.to_string(), Kind::Misconception);
        }
    }
    out
}

/// Checks `mapping` for going from `old` to `new` and returns the learner data to re-key.
pub async fn plan(
    store: &Store,
    old: &Curriculum,
    new: &Curriculum,
    mapping: &Mapping,
) -> Result<Rekey, Refused> {
    let (before, after) = (ids(old), ids(new));
    let mut rekey = Rekey::default();
    let mut renamed = BTreeMap::new();
    for (to, from) in &mapping.renamed_from {
        let (Some(kind_to), Some(kind_from)) = (after.get(to), before.get(from)) else {
            return Err(Refused::Bad(format!(
                "renamed_from maps `{to}` (new) from `{from}` (old): the new id must be in the \
                 draft and the old one in the published version"
            )));
        };
        if kind_to != kind_from || after.contains_key(from) {
            return Err(Refused::Bad(format!(
                "`{from}` → `{to}` is not a rename: both must name the same kind of thing, \
                 and `{from}` must be gone from the draft"
            )));
        }
        renamed.insert(from.clone(), to.clone());
        let pair = (from.clone(), to.clone());
        match kind_to {
            Kind::Checkpoint => rekey.checkpoints.push(pair),
            Kind::Misconception => rekey.misconceptions.push(pair),
            Kind::Concept => {}
        }
    }
    let mut vanished = Vec::new();
    for (id, kind) in &before {
        let accounted = renamed.contains_key(id) || mapping.remove.contains(id);
        if after.contains_key(id) || accounted {
            continue;
        }
        let learners = match kind {
            Kind::Concept => 0,
            _ => store
                .learners_with_data(&old.id, id)
                .await
                .map_err(Error::from)?,
        };
        vanished.push(Vanished {
            id: id.clone(),
            kind: *kind,
            learners,
        });
    }
    if vanished.is_empty() {
        Ok(rekey)
    } else {
        Err(Refused::Vanished(vanished))
    }
}
