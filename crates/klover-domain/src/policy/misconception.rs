//! Rule 2 of the policy (see `rules.rs` and `docs/engine.md`): a misconception is an
//! open item. Shown, it is challenged by its question; while it stays open (shown again,
//! or the learner does not know, asks to be told, or answers without the correcting
//! idea) the tutor climbs its ladder: the question, then a contrast (a picture of the
//! concept, and the question again), then the stated correction. A concept never closes
//! over an open misconception.

use super::rules::Plan;
use super::{Focus, Move};
use crate::assess::act::{DialogueAct, act_of};
use crate::ids::MisconceptionId;

impl Plan<'_, '_> {
    /// The misconception this turn must deal with: one the turn shows, else one of the
    /// concept still open (the learner did not resolve it). `None` when there is none.
    fn misconception_due(&self) -> Option<MisconceptionId> {
        let a = self.input.assessment;
        let shown = a
            .misconceptions
            .iter()
            .find(|h| self.concept.misconception(&h.id).is_some())
            .map(|h| h.id.clone());
        shown.or_else(|| self.open_misconceptions().into_iter().next())
    }

    /// Misconceptions of the concept the learner still holds, less any corrected in this
    /// plan.
    pub(super) fn open_misconceptions(&self) -> Vec<MisconceptionId> {
        self.concept
            .misconceptions
            .iter()
            .filter(|m| self.input.learner.is_active(&m.id))
            .filter(|m| {
                !self.moves.contains(&Move::Correct {
                    misconception: m.id.clone(),
                    level: 1,
                })
            })
            .map(|m| m.id.clone())
            .collect()
    }

    /// Deals with a misconception shown or still open; `true` when that decides the turn
    /// (the learner must answer the challenge), `false` when the turn goes on (nothing to
    /// correct, or the correction was stated and the dialogue moves on).
    pub(super) fn correct_misconception(&mut self) -> bool {
        let Some(id) = self.misconception_due() else {
            return false;
        };
        let act = act_of(self.input.assessment);
        let shown = self
            .input
            .assessment
            .misconceptions
            .iter()
            .any(|h| h.id == id);
        // An open question about the topic is answered first; the misconception waits
        // for the next turn (it stays open). Off topic and greetings are brought back to
        // it, warmly.
        if !shown && act == DialogueAct::Question {
            return false;
        }
        if matches!(act, DialogueAct::OffTopic | DialogueAct::Greeting) {
            self.act = Some(act);
        }
        let rung = self
            .input
            .dialogue
            .corrections
            .get(&id)
            .copied()
            .unwrap_or(0);
        let question = Move::Correct {
            misconception: id.clone(),
            level: 0,
        };
        let stated = Move::Correct {
            misconception: id.clone(),
            level: 1,
        };
        let contrast = self.contrast_analogy();
        let m = match rung {
            0 => question,
            // The contrast: a picture of the concept, then the question again.
            1 if contrast.is_some() => {
                if let Some(an) = contrast {
                    self.moves.push(Move::Analogy { id: an });
                }
                question
            }
            // Never the same correction twice in a row: its question again instead.
            _ if self.said_last(&stated) => question,
            _ => stated,
        };
        let decided = matches!(m, Move::Correct { level: 0, .. });
        self.moves.push(m);
        if decided {
            self.focus = Some(Focus::Misconception(id));
        }
        decided
    }

    /// The picture for a contrast: an analogy of the concept not yet told, else its
    /// first one (a contrast may reuse the picture: it is said about the belief now).
    fn contrast_analogy(&self) -> Option<String> {
        self.unused_analogy()
            .or_else(|| self.concept.analogies.first().map(|a| a.id.clone()))
            .filter(|id| !self.said_last(&Move::Analogy { id: id.clone() }))
    }
}
