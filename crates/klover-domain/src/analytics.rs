//! Author analytics (issue 15, item 7): from what learners did on a curriculum, per
//! checkpoint how many reached it on their own, after how many tries, and how often the
//! tutor had to state it; per misconception how often it showed and was resolved; and
//! where unfinished sessions stopped. Pure aggregation over rows the store gathers; the
//! titles come from the curriculum so authors read names, not ids.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::assess::COVERED;
use crate::curriculum::Curriculum;
use crate::ids::{CheckpointId, ConceptId, MisconceptionId};
use crate::learner::MASTERED;

/// One learner turn's score on one checkpoint (learn sessions), in the order they were
/// said for each learner.
#[derive(Debug, Clone, PartialEq)]
pub struct Try {
    /// Who said it (an opaque learner key).
    pub learner: String,
    /// The checkpoint scored.
    pub checkpoint: CheckpointId,
    /// The score the turn earned (credit at or above [`COVERED`]).
    pub score: f64,
}

/// A learner's stored mastery of a checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach {
    /// The learner.
    pub learner: String,
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// P(known), highest reached.
    pub mastery: f64,
    /// The tutor stated it to this learner.
    pub stated_by_tutor: bool,
}

/// A misconception a learner showed.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// The misconception.
    pub misconception: MisconceptionId,
    /// How many turns showed it.
    pub times_seen: i64,
    /// The learner still holds it.
    pub active: bool,
}

/// An unfinished learn session: where it is, and whether it has gone idle.
#[derive(Debug, Clone, PartialEq)]
pub struct Unfinished {
    /// The learner.
    pub learner: String,
    /// The concept the session was on at its last turn.
    pub concept: ConceptId,
    /// No turn for longer than the idle limit: the learner stopped here.
    pub idle: bool,
}

/// Per checkpoint figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointStats {
    /// Concept id and title.
    pub concept: ConceptId,
    /// The concept's title.
    pub concept_title: String,
    /// Checkpoint id.
    pub checkpoint: CheckpointId,
    /// Its readable title ([`crate::Checkpoint::label`]).
    pub title: String,
    /// Learners who worked on it (a scored turn or a stored mastery).
    pub learners: usize,
    /// Learners who stated it themselves (a credited turn, or mastery not told).
    pub reached: usize,
    /// Median learner turns on it up to and including the first credited one, over the
    /// learners credited in a turn; `None` when nobody was.
    pub median_tries: Option<f64>,
    /// Learners the tutor stated it to.
    pub stated: usize,
}

/// Per misconception figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MisconceptionStats {
    /// The concept it belongs to.
    pub concept: ConceptId,
    /// Misconception id.
    pub misconception: MisconceptionId,
    /// The wrong belief, as authored (its readable name).
    pub belief: String,
    /// Learners who showed it.
    pub learners: usize,
    /// Turns that showed it, over all learners.
    pub times_seen: i64,
    /// Learners who no longer hold it.
    pub resolved: usize,
}

/// Where unfinished sessions are, per concept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StopStats {
    /// Concept id.
    pub concept: ConceptId,
    /// Its title.
    pub concept_title: String,
    /// Sessions idle here (stopped).
    pub stopped: usize,
    /// Sessions still going here (a turn within the idle limit).
    pub active: usize,
    /// For the stopped sessions: the first checkpoint of the concept (authored order)
    /// each learner had neither reached nor been told, with how many stopped there.
    pub open_checkpoints: Vec<OpenCheckpoint>,
}

/// A checkpoint sessions stopped in front of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenCheckpoint {
    /// Checkpoint id.
    pub checkpoint: CheckpointId,
    /// Its title.
    pub title: String,
    /// Stopped sessions whose learner had it open.
    pub sessions: usize,
}

/// Everything the analytics view shows, in curriculum order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analytics {
    /// Per checkpoint, concepts in prerequisite order, checkpoints as authored.
    pub checkpoints: Vec<CheckpointStats>,
    /// Per misconception, in curriculum order.
    pub misconceptions: Vec<MisconceptionStats>,
    /// Per concept with unfinished sessions.
    pub stops: Vec<StopStats>,
}

/// The median of `values` (`None` when empty).
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// Per learner and checkpoint: tries until the first credit (`Some(n)`), or `None` when no
/// turn was credited yet.
fn tries_to_credit(tries: &[Try]) -> BTreeMap<(&str, &CheckpointId), Option<usize>> {
    let mut out: BTreeMap<(&str, &CheckpointId), (usize, Option<usize>)> = BTreeMap::new();
    for t in tries {
        let entry = out
            .entry((t.learner.as_str(), &t.checkpoint))
            .or_insert((0, None));
        if entry.1.is_none() {
            entry.0 += 1;
            if t.score >= COVERED {
                entry.1 = Some(entry.0);
            }
        }
    }
    out.into_iter()
        .map(|(k, (_, credit))| (k, credit))
        .collect()
}

/// Learners who reached each checkpoint on their own.
fn reached_by<'a>(
    tries: &BTreeMap<(&'a str, &'a CheckpointId), Option<usize>>,
    reach: &'a [Reach],
) -> BTreeSet<(&'a str, &'a CheckpointId)> {
    let credited = tries.iter().filter(|(_, c)| c.is_some()).map(|(k, _)| *k);
    let mastered = reach
        .iter()
        .filter(|r| r.mastery >= MASTERED && !r.stated_by_tutor)
        .map(|r| (r.learner.as_str(), &r.checkpoint));
    credited.chain(mastered).collect()
}

/// The analytics of `curriculum` from the rows the store gathered.
pub fn aggregate(
    curriculum: &Curriculum,
    tries: &[Try],
    reach: &[Reach],
    shown: &[Shown],
    unfinished: &[Unfinished],
) -> Analytics {
    let per_try = tries_to_credit(tries);
    let reached = reached_by(&per_try, reach);
    let told: BTreeSet<(&str, &CheckpointId)> = reach
        .iter()
        .filter(|r| r.stated_by_tutor)
        .map(|r| (r.learner.as_str(), &r.checkpoint))
        .collect();
    let mut checkpoints = Vec::new();
    let mut misconceptions = Vec::new();
    let mut stops = Vec::new();
    for concept in curriculum.ordered_concepts() {
        for cp in &concept.checkpoints {
            let mut learners: BTreeSet<&str> = per_try
                .keys()
                .filter(|(_, c)| *c == &cp.id)
                .map(|(l, _)| *l)
                .collect();
            learners.extend(
                reach
                    .iter()
                    .filter(|r| r.checkpoint == cp.id)
                    .map(|r| r.learner.as_str()),
            );
            let mut credited: Vec<f64> = per_try
                .iter()
                .filter(|((_, c), _)| *c == &cp.id)
                .filter_map(|(_, n)| n.map(|n| n as f64))
                .collect();
            checkpoints.push(CheckpointStats {
                concept: concept.id.clone(),
                concept_title: concept.title.clone(),
                checkpoint: cp.id.clone(),
                title: cp.label(),
                learners: learners.len(),
                reached: reached.iter().filter(|(_, c)| *c == &cp.id).count(),
                median_tries: median(&mut credited),
                stated: told.iter().filter(|(_, c)| *c == &cp.id).count(),
            });
        }
        for m in &concept.misconceptions {
            let rows: Vec<&Shown> = shown.iter().filter(|s| s.misconception == m.id).collect();
            misconceptions.push(MisconceptionStats {
                concept: concept.id.clone(),
                misconception: m.id.clone(),
                belief: m.belief.clone(),
                learners: rows.len(),
                times_seen: rows.iter().map(|s| s.times_seen).sum(),
                resolved: rows.iter().filter(|s| !s.active).count(),
            });
        }
        let here: Vec<&Unfinished> = unfinished
            .iter()
            .filter(|u| u.concept == concept.id)
            .collect();
        if here.is_empty() {
            continue;
        }
        let mut open_checkpoints: Vec<OpenCheckpoint> = Vec::new();
        for u in here.iter().filter(|u| u.idle) {
            let open = concept.checkpoints.iter().find(|cp| {
                let key = (u.learner.as_str(), &cp.id);
                !reached.contains(&key) && !told.contains(&key)
            });
            let Some(cp) = open else { continue };
            match open_checkpoints.iter_mut().find(|o| o.checkpoint == cp.id) {
                Some(o) => o.sessions += 1,
                None => open_checkpoints.push(OpenCheckpoint {
                    checkpoint: cp.id.clone(),
                    title: cp.label(),
                    sessions: 1,
                }),
            }
        }
        stops.push(StopStats {
            concept: concept.id.clone(),
            concept_title: concept.title.clone(),
            stopped: here.iter().filter(|u| u.idle).count(),
            active: here.iter().filter(|u| !u.idle).count(),
            open_checkpoints,
        });
    }
    Analytics {
        checkpoints,
        misconceptions,
        stops,
    }
}

#[cfg(test)]
mod tests;
