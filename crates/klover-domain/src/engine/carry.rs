//! Continue where you left off: a learner's model is per learner, not per session. A new
//! learning session starts from what the learner has shown before (the store's model:
//! mastery per checkpoint, misconceptions still open) and at the concept they were working
//! on, or at the next unlocked one once that is done; or where the learner chooses, or
//! from scratch.

use std::collections::BTreeSet;

use super::{EngineError, Opening, SessionState, progress, start};
use crate::curriculum::Curriculum;
use crate::ids::ConceptId;
use crate::learner::LearnerModel;

/// Where a new learning session starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StartFrom {
    /// The learner's current concept with what they have shown ([`current_concept`]).
    #[default]
    Continue,
    /// This concept, with what the learner has shown.
    Concept(ConceptId),
    /// The first concept of the path from the prior, as a new learner would (`--new`).
    Fresh,
}

/// What a learner brings to a new session from earlier ones on the same curriculum.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Carried {
    /// Mastery per checkpoint and the misconceptions still open, across earlier sessions.
    pub learner: LearnerModel,
    /// Checkpoints the tutor had to state in an earlier session: they count for the path
    /// (the concept was covered), and the learner may still state them in a new one.
    pub stated: BTreeSet<crate::ids::CheckpointId>,
    /// The concept the learner's latest learning session was at.
    pub last_concept: Option<ConceptId>,
}

/// Concepts the learner is done with: every checkpoint mastered or stated by the tutor
/// (in an earlier session), and no misconception of theirs open (the engine's rule for
/// moving on).
pub fn completed(curriculum: &Curriculum, carried: &Carried) -> BTreeSet<ConceptId> {
    let learner = &carried.learner;
    let done = |id| learner.is_done(id) || carried.stated.contains(id);
    curriculum
        .concepts
        .iter()
        .filter(|c| !c.checkpoints.is_empty() && c.checkpoints.iter().all(|k| done(&k.id)))
        .filter(|c| !c.misconceptions.iter().any(|m| learner.is_active(&m.id)))
        .map(|c| c.id.clone())
        .collect()
}

/// The concept a continued session opens: the latest session's concept while it is not
/// done, else the first unlocked concept not done (prerequisite order); `None` when the
/// whole path is done (or nothing was carried and the path is empty).
pub fn current_concept(curriculum: &Curriculum, carried: &Carried) -> Option<ConceptId> {
    let done = completed(curriculum, carried);
    let last = carried.last_concept.as_ref();
    last.filter(|id| curriculum.concept(id).is_some() && !done.contains(*id))
        .cloned()
        .or_else(|| curriculum.graph.fringe(&done).into_iter().next())
}

/// Starts a learning session from what the learner carries. `Continue` opens
/// [`current_concept`] (the first concept when the whole path is done); `Concept` opens
/// the chosen one; both start from the carried model, except that a chosen concept the
/// learner is done with is explained again: its checkpoints start from the prior in this
/// session (the store keeps the best mastery, so nothing is lowered). `Fresh` is [`start`]
/// from the prior.
pub fn start_from(
    curriculum: &Curriculum,
    carried: &Carried,
    from: &StartFrom,
) -> Result<(SessionState, Opening), EngineError> {
    let at = match from {
        StartFrom::Fresh => return start(curriculum, None),
        StartFrom::Concept(id) => Some(id.clone()),
        StartFrom::Continue => current_concept(curriculum, carried),
    };
    let (mut state, mut opening) = start(curriculum, at.as_ref())?;
    state.learner = carried.learner.clone();
    state.completed = completed(curriculum, carried);
    if matches!(from, StartFrom::Concept(_)) && state.completed.remove(&state.concept) {
        for k in curriculum
            .concept(&state.concept)
            .into_iter()
            .flat_map(|c| &c.checkpoints)
        {
            state.learner.checkpoints.remove(&k.id);
        }
    }
    opening.progress = progress(curriculum, &state);
    Ok((state, opening))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learner::{CheckpointKnowledge, MisconceptionState};

    fn id(s: &str) -> ConceptId {
        ConceptId::parse(s).unwrap()
    }

    fn knows(model: &mut LearnerModel, checkpoint: &str, p: f64) {
        model.checkpoints.insert(
            crate::ids::CheckpointId::parse(checkpoint).unwrap(),
            CheckpointKnowledge {
                p_known: p,
                evidence: None,
                stated_by_tutor: false,
            },
        );
    }

    /// `tiny()`: A (x, y; misconception m) → B (z) → C.
    fn a_mastered() -> Carried {
        let mut learner = LearnerModel::default();
        knows(&mut learner, "x", 0.97);
        knows(&mut learner, "y", 0.96);
        Carried {
            learner,
            stated: BTreeSet::new(),
            last_concept: Some(id("a")),
        }
    }

    #[test]
    fn a_mastered_concept_continues_at_the_next_unlocked_one_with_its_mastery_carried() {
        let c = crate::testing::tiny();
        let carried = a_mastered();
        assert_eq!(current_concept(&c, &carried), Some(id("b")));
        let (state, opening) = start_from(&c, &carried, &StartFrom::Continue).unwrap();
        assert_eq!(state.concept, id("b"));
        assert!(state.completed.contains(&id("a")));
        assert!(
            state
                .learner
                .is_mastered(&crate::ids::CheckpointId::parse("x").unwrap())
        );
        assert_eq!(opening.progress.concept, id("b"));
        // Choosing A again is explaining it again: A from the prior, the rest carried.
        let (again, opening) = start_from(&c, &carried, &StartFrom::Concept(id("a"))).unwrap();
        assert_eq!(opening.progress.remaining, 2);
        assert!(!again.completed.contains(&id("a")));
        // An unfinished concept chosen keeps what was shown in it.
        let mut unfinished = a_mastered();
        knows(&mut unfinished.learner, "y", 0.5);
        let (_, opening) = start_from(&c, &unfinished, &StartFrom::Concept(id("a"))).unwrap();
        assert_eq!(opening.progress.remaining, 1);
    }

    #[test]
    fn an_unfinished_concept_or_an_open_misconception_continues_where_it_was() {
        let c = crate::testing::tiny();
        let mut carried = a_mastered();
        carried.learner.misconceptions.insert(
            crate::ids::MisconceptionId::parse("m").unwrap(),
            MisconceptionState {
                active: true,
                evidence: None,
                corrected_by_tutor: false,
            },
        );
        assert_eq!(current_concept(&c, &carried), Some(id("a")), "m is open");
        let mut unfinished = a_mastered();
        knows(&mut unfinished.learner, "y", 0.5);
        assert_eq!(current_concept(&c, &unfinished), Some(id("a")));
        // A checkpoint the tutor stated counts for the path, not for the learner.
        unfinished
            .stated
            .insert(crate::ids::CheckpointId::parse("y").unwrap());
        assert_eq!(current_concept(&c, &unfinished), Some(id("b")));
    }

    #[test]
    fn fresh_starts_at_the_first_concept_from_the_prior() {
        let c = crate::testing::tiny();
        let (state, opening) = start_from(&c, &a_mastered(), &StartFrom::Fresh).unwrap();
        assert_eq!(state.concept, id("a"));
        assert_eq!(state.learner, LearnerModel::default());
        assert!(state.completed.is_empty());
        assert!((opening.progress.mastery - 0.25).abs() < 1e-9);
    }

    #[test]
    fn nothing_carried_continues_at_the_start_of_the_path() {
        let c = crate::testing::tiny();
        let (state, _) = start_from(&c, &Carried::default(), &StartFrom::Continue).unwrap();
        assert_eq!(state.concept, id("a"));
    }
}
