//! The dialogue policy: from the learner model and the last assessment, the tutor's next
//! move(s). Deterministic (AutoTutor's expectation–misconception tailored dialogue); the
//! LLM voice words the plan but never chooses pedagogy. The rules are in `rules`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::assess::Assessment;
use crate::assess::act::DialogueAct;
use crate::curriculum::{Concept, Curriculum};
use crate::ids::{CheckpointId, ConceptId, MisconceptionId};
use crate::learner::LearnerModel;

/// One tutor move. A tutor turn is a [`TutorPlan`]: one or more moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Move {
    /// Ask the learner to explain the concept (its opening question).
    Ask {
        /// The concept asked about.
        concept: ConceptId,
    },
    /// Ask for more ("What else?").
    Pump {
        /// The concept pumped on.
        concept: ConceptId,
    },
    /// A hint towards a checkpoint; level 0 is the vaguest. Never states the checkpoint.
    Hint {
        /// The checkpoint hinted at.
        checkpoint: CheckpointId,
        /// Index into the checkpoint's hints.
        level: usize,
    },
    /// Ask for the one missing word or idea of a checkpoint.
    Prompt {
        /// The checkpoint prompted for.
        checkpoint: CheckpointId,
    },
    /// State the checkpoint (only after the learner's second unsuccessful try).
    Assert {
        /// The checkpoint stated.
        checkpoint: CheckpointId,
    },
    /// Challenge a misconception with a question; on the second try, state the correction.
    Correct {
        /// The misconception challenged.
        misconception: MisconceptionId,
        /// 0: the question; 1: the authored correction.
        level: usize,
    },
    /// Confirm insights the learner stated, in so many words.
    Confirm {
        /// The checkpoints confirmed.
        checkpoints: Vec<CheckpointId>,
    },
    /// Offer an analogy (the learner is stuck).
    Analogy {
        /// The analogy's id in the concept.
        id: String,
    },
    /// Answer a direct question briefly, then hand the thinking back.
    Answer {
        /// Index into the concept's `questions`, or `None` for a question not authored.
        question: Option<usize>,
    },
    /// Close the concept with its summary.
    Summarize {
        /// The concept closed.
        concept: ConceptId,
    },
    /// Move on to the next concept.
    Advance {
        /// The concept left.
        from: ConceptId,
        /// The concept entered (prerequisites all mastered).
        to: ConceptId,
    },
    /// Every concept is done.
    Finish,
}

impl Move {
    /// The move's kind as in JSON (`hint`, `confirm`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Move::Ask { .. } => "ask",
            Move::Pump { .. } => "pump",
            Move::Hint { .. } => "hint",
            Move::Prompt { .. } => "prompt",
            Move::Assert { .. } => "assert",
            Move::Correct { .. } => "correct",
            Move::Confirm { .. } => "confirm",
            Move::Analogy { .. } => "analogy",
            Move::Answer { .. } => "answer",
            Move::Summarize { .. } => "summarize",
            Move::Advance { .. } => "advance",
            Move::Finish => "finish",
        }
    }

    /// Whether the move asks the learner to think (a probe), as aha detection needs.
    pub fn is_probe(&self) -> bool {
        matches!(
            self,
            Move::Ask { .. }
                | Move::Pump { .. }
                | Move::Hint { .. }
                | Move::Prompt { .. }
                | Move::Correct { .. }
                | Move::Analogy { .. }
        )
    }
}

/// What the tutor's turn is aimed at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Focus {
    /// A checkpoint the learner has not shown yet.
    Checkpoint(CheckpointId),
    /// A misconception being corrected.
    Misconception(MisconceptionId),
}

/// Why a turn says something else than its rule's usual move: the learner repeated
/// themselves, and the tutor never says the same words twice in a row. The voice
/// acknowledges it ("Put another way: …").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "question", rename_all = "snake_case")]
pub enum Again {
    /// The learner asked again the authored question (index into the plan's concept's
    /// `questions`) that the last turn answered: the tutor puts it another way (an
    /// analogy, else a shorter restatement) and probes instead of answering again.
    Question(usize),
    /// The learner went off topic again right after being brought back to the question:
    /// the tutor probes (a smaller step) instead of asking the question again.
    OffTopic,
}

/// One tutor turn: the moves in the order they are spoken (e.g. a confirmation, then the
/// next hint), what it aims at, and which authored content the voice may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TutorPlan {
    /// The concept the turn is about (after any advance).
    pub concept: ConceptId,
    /// Moves in speaking order; at most one of them asks a question, and it comes last.
    pub moves: Vec<Move>,
    /// The checkpoint or misconception the question aims at.
    pub focus: Option<Focus>,
    /// Checkpoints whose ideal statement the voice may say: stated by the learner, or
    /// being asserted now.
    pub may_state: Vec<CheckpointId>,
    /// Checkpoints the voice must not state or give away (not yet shown by the learner).
    pub withhold: Vec<CheckpointId>,
    /// Set when the learner repeated themselves and the plan avoids repeating the last
    /// turn (absent from JSON otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub again: Option<Again>,
    /// The learner's dialogue act, when it shapes the wording: a greeting is greeted,
    /// a remark about the tutor answered, an off-topic turn redirected warmly (absent
    /// from JSON otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<DialogueAct>,
    /// Which of the acknowledgement and follow-up variants the offline voice says: the
    /// engine picks it so that neither is the one said last (absent from JSON when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub wording: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl TutorPlan {
    /// A review re-probe: an `Ask` whose focus is a checkpoint of `concept` asks that
    /// checkpoint's review question, else its last hint (neither states it). `None` when
    /// the plan is not aimed at a checkpoint of `concept`.
    pub fn review_question<'c>(&self, concept: &'c Concept) -> Option<&'c str> {
        let Some(Focus::Checkpoint(id)) = &self.focus else {
            return None;
        };
        let cp = concept.checkpoint(id)?;
        cp.review_question
            .as_deref()
            .or(cp.hints.last().map(String::as_str))
    }

    /// The checkpoints this turn states to the learner, in speaking order: those it
    /// asserts, and those the authored answer it gives states (the question's `states`;
    /// an answer's index is into the plan's concept's questions). Checkpoints the
    /// learner has already mastered are left out: the tutor repeating them takes nothing
    /// from the learner. The engine marks these stated by the tutor (never credited to the
    /// learner afterwards) and the server stores them so; pass the learner model of the
    /// turn (mastery is not changed by the plan, so before or after applying it).
    pub fn stated_checkpoints(
        &self,
        curriculum: &Curriculum,
        learner: &LearnerModel,
    ) -> Vec<CheckpointId> {
        let answered = |i: usize| {
            curriculum
                .concept(&self.concept)
                .and_then(|c| c.questions.get(i))
                .map_or(&[][..], |q| &q.states[..])
        };
        let told = |id: &str| {
            curriculum
                .concept(&self.concept)
                .and_then(|c| c.analogies.iter().find(|a| a.id == id))
                .map_or(&[][..], |a| &a.states[..])
        };
        let mut stated: Vec<CheckpointId> = Vec::new();
        for m in &self.moves {
            let ids = match m {
                Move::Assert { checkpoint } => std::slice::from_ref(checkpoint),
                Move::Answer { question: Some(i) } => answered(*i),
                Move::Analogy { id } => told(id),
                _ => &[],
            };
            for id in ids {
                if !learner.is_mastered(id) && !stated.contains(id) {
                    stated.push(id.clone());
                }
            }
        }
        stated
    }

    /// The move that decides the turn (a correction over a hint over a confirmation…).
    pub fn primary(&self) -> Option<&Move> {
        self.moves.iter().min_by_key(|m| rank(m))
    }
}

fn rank(m: &Move) -> u8 {
    match m {
        Move::Finish => 0,
        Move::Advance { .. } => 1,
        Move::Correct { .. } => 2,
        Move::Assert { .. } => 3,
        Move::Answer { .. } => 4,
        Move::Prompt { .. } => 5,
        Move::Hint { .. } => 6,
        Move::Analogy { .. } => 7,
        Move::Pump { .. } => 8,
        Move::Ask { .. } => 9,
        Move::Summarize { .. } => 10,
        Move::Confirm { .. } => 11,
    }
}

/// The policy's memory of the dialogue so far (persisted with the session).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DialogueState {
    /// The last two tutor plans, oldest first.
    pub recent: Vec<TutorPlan>,
    /// The checkpoint probed by the last plan, and how many probes of it in a row.
    pub streak: Option<(CheckpointId, u32)>,
    /// Probes so far per checkpoint (position on the hint ladder).
    pub probes: BTreeMap<CheckpointId, u32>,
    /// Learner turns answering a probe of a checkpoint without stating it.
    pub tries: BTreeMap<CheckpointId, u32>,
    /// Corrections so far per misconception.
    pub corrections: BTreeMap<MisconceptionId, u32>,
    /// Times the learner asked to be told the answer, per checkpoint.
    pub answer_requests: BTreeMap<CheckpointId, u32>,
    /// Analogies already told, as `concept/analogy`.
    pub analogies_used: BTreeSet<String>,
    /// Concepts already pumped.
    pub pumped: BTreeSet<ConceptId>,
    /// Learner turns in the current concept.
    pub turns_in_concept: u32,
    /// Learner turns in a row that came nowhere near any checkpoint.
    #[serde(default)]
    pub dry_turns: u32,
    /// Review mode: checkpoints already re-probed by a review question (an `Ask` whose
    /// focus is the checkpoint); after that, the hint ladder takes over.
    #[serde(default)]
    pub reprobed: BTreeSet<CheckpointId>,
    /// What the learner struggled with in the current concept so far (a misconception,
    /// "I don't know", a question answered): an aha needs a struggle before it.
    #[serde(default)]
    pub concept_struggle: Option<crate::aha::Struggle>,
    /// The offline voice's last acknowledgement and last follow-up (see
    /// [`TutorPlan::wording`]): the next one is another.
    #[serde(default)]
    pub last_said: LastSaid,
}

/// The acknowledgement and the follow-up the offline voice said last, each kept until the
/// next one is said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSaid {
    /// The last acknowledgement (`Well put.`).
    pub acknowledgement: Option<String>,
    /// The last follow-up (`What else happens there?`).
    pub follow_up: Option<String>,
}

impl DialogueState {
    /// The checkpoint the last plan's question aimed at.
    pub fn last_focus(&self) -> Option<&CheckpointId> {
        match self.recent.last().and_then(|p| p.focus.as_ref()) {
            Some(Focus::Checkpoint(id)) => Some(id),
            _ => None,
        }
    }

    /// Notes the learner's turn before the policy runs: a turn that answered a probe of a
    /// checkpoint without stating it is an unsuccessful try (a question is not a try; a
    /// request for the answer is).
    pub fn note_learner_turn(&mut self, assessment: &Assessment, covered: &[CheckpointId]) {
        self.turns_in_concept += 1;
        let near = assessment
            .scores
            .values()
            .any(|s| s.score >= crate::assess::PARTIAL_SCORE);
        self.dry_turns = if near || !covered.is_empty() {
            0
        } else {
            self.dry_turns + 1
        };
        let act = crate::assess::act::act_of(assessment);
        let struggle = match act {
            _ if !assessment.misconceptions.is_empty() => {
                Some(crate::aha::Struggle::Misconception {
                    id: assessment.misconceptions[0].id.clone(),
                })
            }
            DialogueAct::DontKnow | DialogueAct::AskForAnswer => {
                Some(crate::aha::Struggle::DontKnow)
            }
            DialogueAct::Question => Some(crate::aha::Struggle::Question),
            _ => None,
        };
        if self.concept_struggle.is_none() {
            self.concept_struggle = struggle;
        }
        // An unnamed contradiction ("threads each get their own memory" against "threads
        // share memory") is a wrong try on the checkpoint it contradicts.
        for c in &assessment.contradictions {
            *self.tries.entry(c.checkpoint.clone()).or_default() += 1;
        }
        let Some(focus) = self.last_focus().cloned() else {
            return;
        };
        if assessment.asked_for_answer {
            *self.answer_requests.entry(focus.clone()).or_default() += 1;
        }
        let attempted = crate::assess::act::act_of(assessment).is_attempt();
        if attempted && !covered.contains(&focus) {
            *self.tries.entry(focus).or_default() += 1;
        }
    }

    /// Records the plan the tutor is about to say.
    pub fn record(&mut self, plan: &TutorPlan) {
        let mut probed: Option<CheckpointId> = None;
        for m in &plan.moves {
            match m {
                Move::Hint { checkpoint, .. } | Move::Prompt { checkpoint } => {
                    *self.probes.entry(checkpoint.clone()).or_default() += 1;
                    probed = Some(checkpoint.clone());
                }
                Move::Correct { misconception, .. } => {
                    *self.corrections.entry(misconception.clone()).or_default() += 1;
                }
                Move::Analogy { id } => {
                    self.analogies_used.insert(format!("{}/{id}", plan.concept));
                }
                Move::Pump { concept } => {
                    self.pumped.insert(concept.clone());
                }
                Move::Advance { .. } => {
                    self.concept_struggle = None;
                    self.turns_in_concept = 0;
                    self.dry_turns = 0;
                    self.streak = None;
                }
                Move::Ask { .. } => {
                    if let Some(Focus::Checkpoint(cp)) = &plan.focus {
                        self.reprobed.insert(cp.clone());
                    }
                }
                _ => {}
            }
        }
        // A turn without a probe (an answer, a correction) does not break the streak.
        if let Some(cp) = probed {
            self.streak = Some(match self.streak.take() {
                Some((prev, n)) if prev == cp => (cp, n + 1),
                _ => (cp, 1),
            });
        }
        self.recent.push(plan.clone());
        if self.recent.len() > 2 {
            self.recent.remove(0);
        }
    }
}

/// Everything the policy looks at to choose the next plan.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    /// The curriculum.
    pub curriculum: &'a Curriculum,
    /// The current concept.
    pub concept: &'a ConceptId,
    /// The learner model after this turn's update.
    pub learner: &'a LearnerModel,
    /// The dialogue so far.
    pub dialogue: &'a DialogueState,
    /// This turn's assessment.
    pub assessment: &'a Assessment,
    /// Checkpoints this turn newly credited.
    pub covered: &'a [CheckpointId],
    /// Concepts already completed (for the fringe).
    pub completed: &'a BTreeSet<ConceptId>,
    /// Review mode: the checkpoints to re-probe (empty when learning the path).
    pub review: &'a [CheckpointId],
    /// Authored questions of other concepts that this turn's question matches, as
    /// `(concept, index into its questions)` (empty unless the current concept has none).
    pub elsewhere: &'a [(ConceptId, usize)],
}

pub use rules::choose;

mod again;
#[cfg(test)]
mod again_tests;
mod misconception;
#[cfg(test)]
mod misconception_tests;
mod question;
#[cfg(test)]
mod review_tests;
mod rules;
#[cfg(test)]
mod states_tests;
#[cfg(test)]
mod tests;
