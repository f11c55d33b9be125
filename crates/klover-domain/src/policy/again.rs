//! Rule 7 of the policy (see `rules.rs` and `docs/engine.md`): the tutor never says the
//! same words twice in a row. Here: what the last turn said, the same question again put
//! another way, and the rest (no third probe in a row) that is never the pump or the
//! review question just said. The ladder's rungs and corrections check `said_last` in
//! `rules.rs`.

use super::rules::Plan;
use super::{Again, Focus, Move};
use crate::ids::CheckpointId;

impl Plan<'_, '_> {
    /// Whether the last tutor turn, in this concept, already made move `m` (said in
    /// the same words: a move renders the same whatever comes around it).
    pub(super) fn said_last(&self, m: &Move) -> bool {
        self.input
            .dialogue
            .recent
            .last()
            .is_some_and(|p| p.concept == self.concept.id && p.moves.contains(m))
    }

    /// Whether the last tutor turn was this `Ask` alone with this focus, said in reply to
    /// the learner ("Let's come back to our question. …"), not as the concept's opening.
    pub(super) fn asked_last(&self, ask: &Move, focus: Option<&Focus>) -> bool {
        let replied = self.input.dialogue.turns_in_concept > 1;
        replied
            && self.input.dialogue.recent.last().is_some_and(|p| {
                p.concept == self.concept.id
                    && p.moves.as_slice() == std::slice::from_ref(ask)
                    && p.focus.as_ref() == focus
            })
    }

    /// The learner asked again the authored question `i` the last turn answered: an
    /// unused analogy ("Put another way: …"; without one the voice restates the answer
    /// briefly), then the gap is probed instead of handing back the same question.
    pub(super) fn put_another_way(&mut self, i: usize) {
        self.again = Some(Again::Question(i));
        if let Some(id) = self.unused_analogy() {
            self.moves.push(Move::Analogy { id });
        }
        self.probe(Vec::new());
    }

    /// Whether the last tutor turn already handed the question back unanswered.
    pub(super) fn guessed_last(&self) -> bool {
        self.input.dialogue.recent.last().is_some_and(|p| {
            p.moves
                .iter()
                .any(|m| matches!(m, Move::Answer { question: None }))
        })
    }

    /// The only checkpoint left was probed enough in a row without two tries (the learner
    /// asked questions): no third probe yet; an unused analogy, else a pump (in review,
    /// the review question), aimed at it so that the next answer counts as a try; never
    /// the pump or the review question just said. A review of a concept without any
    /// analogy is the exception: its review question comes again.
    pub(super) fn rest(&mut self, id: &CheckpointId) {
        let review = !self.input.review.is_empty();
        let ask = Move::Ask {
            concept: self.concept.id.clone(),
        };
        let pump = Move::Pump {
            concept: self.concept.id.clone(),
        };
        let focus = Some(Focus::Checkpoint(id.clone()));
        let first_analogy = self.concept.analogies.first().map(|an| an.id.clone());
        let m = match self.unused_analogy() {
            Some(id) => Move::Analogy { id },
            // A review never pumps: its question is the checkpoint's review question…
            None if review && !self.asked_last(&ask, focus.as_ref()) => ask,
            // …but not twice in a row: the concept's picture again, if it has one.
            None if review => first_analogy.map_or(ask, |id| Move::Analogy { id }),
            None if !self.said_last(&pump) => pump,
            None => {
                // Never the same pump twice in a row: the concept's question again (no
                // focus: the voice asks the opening question, not a review question).
                self.moves.push(ask);
                return;
            }
        };
        self.moves.push(m);
        self.focus = focus;
    }
}
