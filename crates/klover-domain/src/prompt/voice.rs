//! The voice's prompt: a system message for the plan (persona, the moves' instruction
//! blocks, what the moves may use of the concept, the gap, and — when the window drops
//! turns — the summary of them, [`super::recap`]), then the transcript window as
//! user/assistant messages.
//!
//! Ideal statements of checkpoints the learner has not reached (nor the tutor stated) are
//! never put in the prompt, except the one an `Assert` move states: the model cannot leak
//! what it was not given.

use serde::Serialize;

use super::recap::{Earlier, Recap, earlier};
use super::{Message, PromptError, Role, render, transcript_window};
use crate::CheckpointId;
use crate::curriculum::{Concept, Curriculum};
use crate::learner::LearnerModel;
use crate::policy::{Again, Move, TutorPlan};

/// The tutor's persona.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Persona {
    /// The tutor's name (default "Klover").
    pub name: String,
}

impl Default for Persona {
    fn default() -> Self {
        Self {
            name: "Klover".into(),
        }
    }
}

/// Who spoke a transcript turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Speaker {
    /// The learner (sent as a user message).
    Learner,
    /// The tutor (sent as an assistant message).
    Tutor,
}

/// One turn of the conversation so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptTurn {
    /// Who spoke.
    pub speaker: Speaker,
    /// What was said.
    pub text: String,
}

impl AsRef<str> for TranscriptTurn {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Everything the voice prompt is built from.
#[derive(Debug, Clone, Copy)]
pub struct VoiceContext<'a> {
    /// The persona.
    pub persona: &'a Persona,
    /// The curriculum.
    pub curriculum: &'a Curriculum,
    /// The plan to word (after the turn's policy decision).
    pub plan: &'a TutorPlan,
    /// The learner model after this turn's update (for what is reached and the gap).
    pub learner: &'a LearnerModel,
    /// The conversation so far (or its latest turns), oldest first, ending with the
    /// learner's latest turn.
    pub transcript: &'a [TranscriptTurn],
    /// Turns before `transcript` that were not loaded (the caller's bounded window): the
    /// prompt counts them with the turns the token budget drops.
    pub earlier: usize,
    /// What the summary of the turns not shown is built from ([`Recap`]); without it the
    /// prompt only counts them.
    pub recap: Option<&'a Recap>,
    /// The offline voice's words for the plan, offered as wording to adapt.
    pub draft: Option<&'a str>,
    /// Token budget of the transcript window.
    pub budget_tokens: usize,
}

/// One move with the authored material it may use.
#[derive(Debug, Default, Serialize)]
struct MoveView {
    kind: &'static str,
    concept_title: String,
    level: usize,
    hint: String,
    question: String,
    statement: String,
    statements: Vec<String>,
    belief: String,
    correction: String,
    analogy: String,
    answer: String,
    summary: String,
    next_title: String,
    review: bool,
}

#[derive(Serialize)]
struct ConceptView {
    title: String,
    statements: Vec<String>,
}

#[derive(Serialize)]
struct GapView {
    missing: usize,
    misconceptions: Vec<String>,
}

#[derive(Serialize)]
struct SystemView<'a> {
    persona: &'a Persona,
    moves: Vec<MoveView>,
    draft: Option<&'a str>,
    /// `question` or `off_topic` when the learner repeated themselves (see [`Again`]).
    again: Option<&'static str>,
    /// The learner's dialogue act when it shapes the wording (`greeting`, `meta`,
    /// `off_topic`, `ask_for_answer`, `dont_know`, `question`), from [`TutorPlan::act`].
    act: Option<&'static str>,
    concept: ConceptView,
    gap: GapView,
    /// The summary of the turns not shown (`earlier.jinja`), when some were dropped.
    earlier: Option<String>,
}

/// The messages for the voice: one system message; when turns were dropped and the
/// learner had aha moments among them, a user message quoting them; then the transcript
/// window.
pub fn voice_messages(ctx: &VoiceContext<'_>) -> Result<Vec<Message>, PromptError> {
    let concept = plan_concept(ctx)?;
    let start = transcript_window(ctx.transcript, ctx.budget_tokens);
    let gap = ctx.learner.gap(concept);
    let earlier = earlier(ctx, ctx.earlier + start, &gap.misconceptions)?;
    let view = SystemView {
        persona: ctx.persona,
        moves: ctx
            .plan
            .moves
            .iter()
            .map(|m| move_view(ctx.curriculum, concept, ctx.plan, m))
            .collect(),
        draft: ctx.draft.filter(|d| !d.trim().is_empty()),
        again: ctx.plan.again.map(|a| match a {
            Again::Question(_) => "question",
            Again::OffTopic => "off_topic",
        }),
        act: ctx.plan.act.map(|a| a.name()),
        concept: ConceptView {
            title: concept.title.clone(),
            statements: usable_statements(ctx, concept),
        },
        gap: GapView {
            missing: gap.missing.len(),
            misconceptions: gap
                .misconceptions
                .iter()
                .filter_map(|id| concept.misconception(id).map(|m| m.belief.clone()))
                .collect(),
        },
        earlier: earlier.block,
    };
    let mut messages = vec![Message::system(render("voice_system.jinja", view)?)];
    let mut window = ctx.transcript[start..].iter().map(|t| match t.speaker {
        Speaker::Learner => Message::user(t.text.clone()),
        Speaker::Tutor => Message::assistant(t.text.clone()),
    });
    match (earlier.quotes, window.next()) {
        // Both are the learner's words: one user message, so the roles still alternate
        // (chat templates such as Mistral's refuse two user messages in a row).
        (Some(quotes), Some(first)) if first.role == Role::User => {
            messages.push(Message::user(format!(
                "{}\n\n{}",
                quotes.content, first.content
            )));
        }
        (quotes, first) => messages.extend(quotes.into_iter().chain(first)),
    }
    messages.extend(window);
    Ok(messages)
}

/// Authored text the voice's summary of earlier turns names (titles, statements,
/// beliefs): the tutor may say it again, so a prompt-echo guard must not count it.
pub fn earlier_sayable(ctx: &VoiceContext<'_>) -> Result<Vec<String>, PromptError> {
    let concept = plan_concept(ctx)?;
    let start = transcript_window(ctx.transcript, ctx.budget_tokens);
    let gap = ctx.learner.gap(concept);
    earlier(ctx, ctx.earlier + start, &gap.misconceptions).map(|e: Earlier| e.sayable())
}

fn plan_concept<'c>(ctx: &VoiceContext<'c>) -> Result<&'c Concept, PromptError> {
    ctx.curriculum
        .concept(&ctx.plan.concept)
        .ok_or_else(|| PromptError {
            template: "voice_system.jinja".into(),
            detail: format!("unknown concept `{}`", ctx.plan.concept),
        })
}

/// Statements the voice may use: reached by the learner, stated by the tutor before, or
/// allowed by the plan (confirmed or asserted now) — never one the plan withholds,
/// unless this turn asserts it.
fn usable_statements(ctx: &VoiceContext<'_>, concept: &Concept) -> Vec<String> {
    let asserted: Vec<&CheckpointId> = ctx
        .plan
        .moves
        .iter()
        .filter_map(|m| match m {
            Move::Assert { checkpoint } => Some(checkpoint),
            _ => None,
        })
        .collect();
    concept
        .checkpoints
        .iter()
        .filter(|c| {
            let reached = ctx.learner.is_mastered(&c.id)
                || ctx
                    .learner
                    .checkpoints
                    .get(&c.id)
                    .is_some_and(|k| k.stated_by_tutor);
            let allowed = reached || ctx.plan.may_state.contains(&c.id);
            asserted.contains(&&c.id) || (allowed && !ctx.plan.withhold.contains(&c.id))
        })
        .map(|c| c.statement.clone())
        .collect()
}

fn move_view(curriculum: &Curriculum, concept: &Concept, plan: &TutorPlan, m: &Move) -> MoveView {
    let mut v = MoveView {
        kind: m.kind(),
        concept_title: concept.title.clone(),
        ..MoveView::default()
    };
    match m {
        Move::Ask { concept: id } => {
            if let Some(c) = curriculum.concept(id) {
                v.concept_title = c.title.clone();
                match plan.review_question(c) {
                    Some(q) => {
                        v.question = q.to_owned();
                        v.review = true;
                    }
                    None => v.question = c.opening_question.clone(),
                }
            }
        }
        Move::Pump { concept: id } | Move::Summarize { concept: id } => {
            if let Some(c) = curriculum.concept(id) {
                v.concept_title = c.title.clone();
                v.question = c.opening_question.clone();
                v.summary = c.summary.clone();
            }
        }
        Move::Hint { checkpoint, level } => {
            v.level = *level;
            if let Some(c) = concept.checkpoint(checkpoint) {
                let last = c.hints.len().saturating_sub(1);
                v.hint = c.hints.get((*level).min(last)).cloned().unwrap_or_default();
            }
        }
        Move::Prompt { checkpoint } => {
            v.question = concept
                .checkpoint(checkpoint)
                .and_then(|c| c.prompt.clone())
                .unwrap_or_default();
        }
        Move::Assert { checkpoint } => {
            v.statement = concept
                .checkpoint(checkpoint)
                .map(|c| c.statement.clone())
                .unwrap_or_default();
        }
        Move::Correct {
            misconception,
            level,
        } => {
            v.level = *level;
            if let Some(mc) = concept.misconception(misconception) {
                v.belief = mc.belief.clone();
                v.question = mc.question.clone();
                v.correction = mc.correction.clone().unwrap_or_else(|| mc.question.clone());
            }
        }
        Move::Confirm { checkpoints } => {
            v.statements = checkpoints
                .iter()
                .filter_map(|id| concept.checkpoint(id).map(|c| c.statement.clone()))
                .collect();
        }
        Move::Analogy { id } => {
            v.analogy = concept
                .analogies
                .iter()
                .find(|a| &a.id == id)
                .map(|a| a.text.clone())
                .unwrap_or_default();
        }
        Move::Answer { question } => {
            v.answer = question
                .and_then(|i| concept.questions.get(i))
                .map(|q| q.answer.clone())
                .unwrap_or_default();
        }
        Move::Advance { to, .. } => {
            if let Some(c) = curriculum.concept(to) {
                v.next_title = c.title.clone();
                v.question = c.opening_question.clone();
            }
        }
        Move::Finish => {}
    }
    v
}
