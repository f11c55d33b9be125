//! The policy's rules, in priority order (see `docs/engine.md`):
//!
//! 1. confirm what the learner just stated (always first in the turn);
//! 2. a misconception shown this turn is challenged by a question, then corrected;
//! 3. a concept with nothing missing is summarised and the session advances to the
//!    first concept of the outer fringe (or finishes);
//! 4. a direct question is answered briefly, handing the thinking back; a question
//!    authored in another concept that is unlocked (or next on the fringe) is answered
//!    there and the session moves to it; "what's your own guess?" is never said twice in
//!    a row (the second time, the current focus is probed instead);
//! 5. an off-topic turn gets the concept's question again;
//! 6. otherwise the missing checkpoint is probed: pump once after the opening answer,
//!    then hints from vague to specific, then the prompt; an analogy when stuck; at most
//!    two probes of one checkpoint in a row; an assertion only after two unsuccessful tries;
//! 7. never the same words twice in a row: the same question again is put another way
//!    and probed, off topic again gets a probe, a rung of the ladder just said is not
//!    said again (the prompt, or probed enough), nor a stated correction, nor a rest.

use std::collections::BTreeSet;

use super::{Again, Focus, Move, PolicyInput, TutorPlan};
use crate::assess::PARTIAL_SCORE;
use crate::assess::act::{DialogueAct, act_of};
use crate::curriculum::{Checkpoint, Concept};
use crate::ids::{CheckpointId, ConceptId};

/// Probes of one checkpoint allowed in a row.
pub const MAX_STREAK: u32 = 2;

/// Learner turns in a row nowhere near a checkpoint after which the learner is stuck.
pub const STUCK_AFTER: u32 = 3;

/// Unsuccessful tries before the tutor may state a checkpoint.
pub const TRIES_BEFORE_ASSERT: u32 = 2;

/// The plan being built for one turn.
pub(super) struct Plan<'i, 'a> {
    pub(super) input: &'i PolicyInput<'a>,
    pub(super) concept: &'a Concept,
    pub(super) moves: Vec<Move>,
    pub(super) focus: Option<Focus>,
    /// Checkpoints the tutor states in this turn: asserted, or said by an authored answer.
    pub(super) stated: Vec<CheckpointId>,
    pub(super) again: Option<Again>,
    /// The learner's act, when it shapes the wording (see [`TutorPlan::act`]).
    pub(super) act: Option<DialogueAct>,
}

/// Chooses the next tutor plan.
pub fn choose(input: &PolicyInput<'_>) -> TutorPlan {
    let Some(concept) = input.curriculum.concept(input.concept) else {
        return TutorPlan {
            concept: input.concept.clone(),
            moves: vec![Move::Finish],
            focus: None,
            may_state: Vec::new(),
            withhold: Vec::new(),
            again: None,
            act: None,
            wording: 0,
        };
    };
    let mut plan = Plan {
        input,
        concept,
        moves: Vec::new(),
        focus: None,
        stated: Vec::new(),
        again: None,
        act: None,
    };
    if !input.covered.is_empty() {
        plan.moves.push(Move::Confirm {
            checkpoints: input.covered.to_vec(),
        });
    }
    plan.decide();
    plan.finish()
}

impl<'a> Plan<'_, 'a> {
    fn decide(&mut self) {
        let a = self.input.assessment;
        if self.correct_misconception() {
            return;
        }
        if self.missing(&[]).is_empty() && self.open_misconceptions().is_empty() {
            return self.close_concept();
        }
        let act = act_of(a);
        if matches!(act, DialogueAct::Meta | DialogueAct::Greeting) {
            self.act = Some(act);
        }
        if act == DialogueAct::Question && self.answer_question() {
            return;
        }
        let redirect = matches!(act, DialogueAct::OffTopic | DialogueAct::Greeting);
        if redirect && self.input.covered.is_empty() {
            if act == DialogueAct::OffTopic {
                self.act = Some(act);
            }
            let ask = Move::Ask {
                concept: self.concept.id.clone(),
            };
            // Back to the current question: in review the review question, in learning
            // the question about the checkpoint the last turn aimed at (else the
            // concept's own).
            let focus = self
                .review_due(&self.concept.id)
                .or_else(|| self.current_focus())
                .map(|id| Focus::Checkpoint(id.clone()));
            if self.asked_last(&ask, focus.as_ref()) {
                // Never the same question twice in a row: a smaller step instead.
                self.again = Some(Again::OffTopic);
                return self.probe(Vec::new());
            }
            self.moves.push(ask);
            self.focus = focus;
            return;
        }
        self.probe(Vec::new());
    }

    /// Checkpoints in play and not done, minus `except`, in authored order.
    pub(super) fn missing(&self, except: &[CheckpointId]) -> Vec<&'a Checkpoint> {
        let review = self.input.review;
        self.concept
            .checkpoints
            .iter()
            .filter(|c| review.is_empty() || review.contains(&c.id))
            .filter(|c| !self.input.learner.is_done(&c.id))
            .filter(|c| !except.contains(&c.id) && !self.stated.contains(&c.id))
            .collect()
    }

    fn close_concept(&mut self) {
        if let Some(id) = self.open_misconceptions().into_iter().next() {
            // Never over an open misconception: its question (or, just asked, its
            // correction) first; the concept closes on a later turn.
            let question = Move::Correct {
                misconception: id.clone(),
                level: 0,
            };
            if self.said_last(&question) {
                self.moves.push(Move::Correct {
                    misconception: id,
                    level: 1,
                });
            } else {
                self.moves.push(question);
                self.focus = Some(Focus::Misconception(id));
            }
            return;
        }
        self.moves.push(Move::Summarize {
            concept: self.concept.id.clone(),
        });
        match self.next_concept() {
            Some(to) => {
                self.moves.push(Move::Advance {
                    from: self.concept.id.clone(),
                    to: to.clone(),
                });
                self.focus = self.review_due(&to).map(|id| Focus::Checkpoint(id.clone()));
                self.moves.push(Move::Ask { concept: to });
            }
            None => self.moves.push(Move::Finish),
        }
    }

    /// Review mode: the first checkpoint of `concept` still to re-probe (none in learning).
    fn review_due(&self, concept: &ConceptId) -> Option<&'a CheckpointId> {
        let learner = self.input.learner;
        self.input.review.iter().find(|id| {
            !learner.is_done(id)
                && !self.stated.contains(id)
                && self
                    .input
                    .curriculum
                    .checkpoint(id)
                    .is_some_and(|(k, _)| &k.id == concept)
        })
    }

    /// Learning: the first concept of the outer fringe. Review: the concept of the next
    /// checkpoint still to re-probe.
    pub(super) fn next_concept(&self) -> Option<ConceptId> {
        let c = self.input.curriculum;
        if !self.input.review.is_empty() {
            return self
                .input
                .review
                .iter()
                .filter(|id| !self.input.learner.is_done(id) && !self.stated.contains(id))
                .find_map(|id| c.checkpoint(id).map(|(k, _)| k.id.clone()))
                .filter(|k| k != &self.concept.id);
        }
        let mut done: BTreeSet<ConceptId> = self.input.completed.clone();
        done.insert(self.concept.id.clone());
        c.graph.fringe(&done).into_iter().next()
    }

    pub(super) fn probe(&mut self, except: Vec<CheckpointId>) {
        let missing = self.missing(&except);
        let Some(first) = missing.first() else {
            return self.close_concept();
        };
        let d = self.input.dialogue;
        let a = self.input.assessment;
        // A checkpoint the learner just contradicted without naming a known misconception
        // is treated like one: it is probed now, whatever the streak.
        // (Unless its next rung is what the tutor just said: never the same words twice.)
        let contradicted = a
            .contradictions
            .iter()
            .find_map(|c| missing.iter().find(|m| m.id == c.checkpoint).copied())
            .filter(|c| !self.said_last(&self.rung(c)));
        let mut target: &Checkpoint = contradicted.unwrap_or(first);
        if contradicted.is_none()
            && let Some((cp, n)) = &d.streak
            && let Some(current) = missing.iter().find(|c| &c.id == cp)
        {
            target = current;
            // Probed enough for now: twice in a row, or its next rung would repeat the
            // last turn's words (the hints and the prompt are used up).
            if *n >= MAX_STREAK || self.said_last(&self.rung(current)) {
                if self.tries(&current.id) >= TRIES_BEFORE_ASSERT {
                    return self.assert_and_go_on(&current.id, except);
                }
                match next_after(&missing, &current.id) {
                    Some(other) => target = other,
                    None => return self.rest(&current.id),
                }
            }
        }
        let tries = self.tries(&target.id);
        let asks = d.answer_requests.get(&target.id).copied().unwrap_or(0);
        if a.asked_for_answer && asks >= 2 && tries >= TRIES_BEFORE_ASSERT {
            return self.assert_and_go_on(&target.id, except);
        }
        let review = !self.input.review.is_empty();
        if review && !d.reprobed.contains(&target.id) && !self.dont_know() && !a.asked_for_answer {
            // Review: a due checkpoint is first re-probed by its review question.
            self.moves.push(Move::Ask {
                concept: self.concept.id.clone(),
            });
            self.focus = Some(Focus::Checkpoint(target.id.clone()));
            return;
        }
        let probes = d.probes.get(&target.id).copied().unwrap_or(0) as usize;
        let pump_time = !review
            && self.again.is_none()
            && d.turns_in_concept == 1
            && !d.pumped.contains(&self.concept.id)
            && except.is_empty()
            && contradicted.is_none()
            && !a.asked_for_answer
            && !self.dont_know()
            && (a.scores.values().any(|s| s.score >= PARTIAL_SCORE)
                || !self.input.covered.is_empty());
        if pump_time {
            self.moves.push(Move::Pump {
                concept: self.concept.id.clone(),
            });
            return;
        }
        // In review, "I don't remember" gets the vague hint before any analogy.
        let stuck = (self.dont_know() || d.dry_turns >= STUCK_AFTER) && (!review || probes > 0);
        if stuck && let Some(id) = self.unused_analogy() {
            self.moves.push(Move::Analogy { id });
        }
        let m = self.rung(target);
        self.moves.push(m);
        self.focus = Some(Focus::Checkpoint(target.id.clone()));
    }

    /// The next rung of `target`'s ladder: its hints from vague to specific, then its
    /// prompt (a first "just tell me" gets a hint); the prompt rather than the top hint
    /// the last turn said.
    fn rung(&self, target: &Checkpoint) -> Move {
        let d = self.input.dialogue;
        let probes = d.probes.get(&target.id).copied().unwrap_or(0) as usize;
        let asks = d.answer_requests.get(&target.id).copied().unwrap_or(0);
        let first_ask = self.input.assessment.asked_for_answer && asks <= 1;
        let hints = target.hints.len().max(1);
        let hint = Move::Hint {
            checkpoint: target.id.clone(),
            level: probes.min(hints - 1),
        };
        let prompt = Move::Prompt {
            checkpoint: target.id.clone(),
        };
        if target.prompt.is_none() {
            hint
        } else if (probes >= hints && !first_ask) || self.said_last(&hint) {
            prompt
        } else {
            hint
        }
    }

    fn assert_and_go_on(&mut self, id: &CheckpointId, mut except: Vec<CheckpointId>) {
        self.moves.push(Move::Assert {
            checkpoint: id.clone(),
        });
        self.stated.push(id.clone());
        except.push(id.clone());
        self.probe(except);
    }

    /// The learner said they do not know ("I really don't know", a bare "?").
    fn dont_know(&self) -> bool {
        let a = self.input.assessment;
        a.dont_know || act_of(a) == DialogueAct::DontKnow
    }

    /// Learning: the checkpoint the last turn's question aimed at, if still missing.
    fn current_focus(&self) -> Option<&'a CheckpointId> {
        let last = self.input.dialogue.last_focus()?;
        let missing = self.missing(&[]);
        missing.iter().find(|c| &c.id == last).map(|c| &c.id)
    }

    fn tries(&self, id: &CheckpointId) -> u32 {
        self.input.dialogue.tries.get(id).copied().unwrap_or(0)
    }

    pub(super) fn unused_analogy(&self) -> Option<String> {
        let used = &self.input.dialogue.analogies_used;
        self.concept
            .analogies
            .iter()
            .map(|an| an.id.clone())
            .find(|id| {
                let said = Move::Analogy { id: id.clone() };
                !used.contains(&format!("{}/{id}", self.concept.id)) && !self.moves.contains(&said)
            })
    }

    fn finish(self) -> TutorPlan {
        let concept = self
            .moves
            .iter()
            .find_map(|m| match m {
                Move::Advance { to, .. } => Some(to.clone()),
                _ => None,
            })
            .unwrap_or_else(|| self.concept.id.clone());
        let learner = self.input.learner;
        let mut may_state: Vec<CheckpointId> = self
            .concept
            .checkpoints
            .iter()
            .filter(|c| learner.is_done(&c.id))
            .map(|c| c.id.clone())
            .collect();
        may_state.extend(self.stated.iter().cloned());
        let withhold = match self.input.curriculum.concept(&concept) {
            Some(c) => c
                .checkpoints
                .iter()
                .filter(|k| !learner.is_done(&k.id) && !self.stated.contains(&k.id))
                .map(|k| k.id.clone())
                .collect(),
            None => Vec::new(),
        };
        TutorPlan {
            concept,
            moves: self.moves,
            focus: self.focus,
            may_state,
            withhold,
            again: self.again,
            act: self.act,
            wording: 0,
        }
    }
}

/// The missing checkpoint after `id` (cyclically), if there is another one.
fn next_after<'a>(missing: &[&'a Checkpoint], id: &CheckpointId) -> Option<&'a Checkpoint> {
    let i = missing.iter().position(|c| &c.id == id)?;
    (1..missing.len())
        .map(|k| missing[(i + k) % missing.len()])
        .next()
}
