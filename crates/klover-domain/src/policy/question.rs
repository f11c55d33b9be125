//! Rule 4 of the policy (see `rules.rs` and `docs/engine.md`): a direct question about
//! the topic is answered briefly with the authored answer, which hands the thinking back;
//! a question only another concept answers moves the session there; an unknown one gets
//! "what's your own guess?", never twice in a row.

use super::rules::Plan;
use super::{Focus, Move};
use crate::assess::PARTIAL_SCORE;
use crate::curriculum::Concept;
use crate::ids::ConceptId;

impl Plan<'_, '_> {
    /// Answers the learner's on-topic question; `true` when that decides the turn.
    pub(super) fn answer_question(&mut self) -> bool {
        let a = self.input.assessment;
        let nothing = a.scores.values().all(|s| s.score < PARTIAL_SCORE);
        // Only a question the current concept neither answers nor learns from.
        let unmatched = a.question.is_none() && self.input.covered.is_empty() && nothing;
        if unmatched && let Some((to, i)) = self.question_elsewhere() {
            self.answer_elsewhere(to, i);
            return true;
        }
        let answer = match a.question {
            Some(i) => Some(Some(i)),
            None if self.input.covered.is_empty() && nothing => Some(None),
            None => None,
        };
        if answer == Some(None) && self.guessed_last() {
            // Never "what's your own guess?" twice in a row: probe the focus instead.
            self.probe(Vec::new());
            return true;
        }
        if let Some(Some(i)) = answer
            && self.said_last(&Move::Answer { question: Some(i) })
        {
            // Never the same answer twice in a row: put it another way, then probe.
            self.put_another_way(i);
            return true;
        }
        if let Some(question) = answer {
            self.moves.push(Move::Answer { question });
            if let Some(i) = question {
                self.answer_states(self.concept, i);
            }
            let missing = self.missing(&[]);
            self.focus = self
                .input
                .dialogue
                .streak
                .as_ref()
                .filter(|(cp, _)| missing.iter().any(|m| &m.id == cp))
                .map(|(cp, _)| Focus::Checkpoint(cp.clone()));
            return true;
        }
        false
    }

    /// The first authored question of another concept the learner's question matches,
    /// when that concept is unlocked by the completed ones or next on the fringe (learning
    /// only; never a concept with unmet prerequisites).
    fn question_elsewhere(&self) -> Option<(ConceptId, usize)> {
        if !self.input.review.is_empty() {
            return None;
        }
        let graph = &self.input.curriculum.graph;
        let next = self.next_concept();
        self.input
            .elsewhere
            .iter()
            .find(|(to, _)| {
                to != &self.concept.id
                    && !self.input.completed.contains(to)
                    && (graph.is_unlocked(to, self.input.completed) || next.as_ref() == Some(to))
            })
            .cloned()
    }

    /// Moves the session to `to` (without completing the concept left) and answers its
    /// authored question `i` there, which hands the thinking back.
    fn answer_elsewhere(&mut self, to: ConceptId, i: usize) {
        self.moves.push(Move::Advance {
            from: self.concept.id.clone(),
            to: to.clone(),
        });
        self.moves.push(Move::Answer { question: Some(i) });
        if let Some(c) = self.input.curriculum.concept(&to) {
            self.answer_states(c, i);
        }
    }

    /// The authored answer `i` of `concept` states its `states`: those the learner has not
    /// shown are stated by the tutor now (no longer a gap, never withheld, never probed).
    fn answer_states(&mut self, concept: &Concept, i: usize) {
        let learner = self.input.learner;
        let states = concept.questions.get(i).map_or(&[][..], |q| &q.states[..]);
        for id in states {
            if !learner.is_done(id) && !self.stated.contains(id) {
                self.stated.push(id.clone());
            }
        }
    }
}
