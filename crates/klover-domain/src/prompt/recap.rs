//! The running summary of the turns the voice no longer sees ("Earlier in this
//! conversation"): built from state the caller already holds — the session's concept path,
//! the learner model, the latest aha quotes — with no LLM call and no read of the dropped
//! turns. Rendered only when turns were dropped, late in the system prompt (after the
//! static text, so that provider-side prompt caching keeps its prefix).
//!
//! What it may say: the titles of finished concepts; the statements of checkpoints of
//! *other* concepts than the plan's that the learner reached or the tutor stated (the
//! plan's own concept is the concept context's business, under the plan's `withhold`);
//! never a statement the plan withholds or a review still has to re-probe; the wrong
//! beliefs the learner held and dropped. The learner's aha quotes are learner text: they
//! go into a user message of their own, which the system block only points at.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{Message, PromptError, VoiceContext, render};
use crate::engine::SessionState;
use crate::learner::LearnerModel;
use crate::{CheckpointId, Concept, ConceptId, MisconceptionId};

/// Finished concepts named at most (the latest ones; the rest are counted).
pub const MAX_FINISHED: usize = 8;
/// Insights the learner reached, at most.
pub const MAX_REACHED: usize = 5;
/// Insights the tutor had to state, at most.
pub const MAX_STATED: usize = 3;
/// Cleared wrong beliefs, at most.
pub const MAX_CLEARED: usize = 4;
/// Aha quotes, at most (the caller loads no more).
pub const MAX_QUOTES: usize = 3;
/// Characters of one aha quote, at most (longer ones are cut with "…").
pub const MAX_QUOTE_CHARS: usize = 240;
/// The system block's hard cap in characters: items are dropped until it fits.
pub const MAX_BLOCK_CHARS: usize = 1600;

/// What the summary is built from. The caller builds it once per reply, from the state
/// *before* the turn being answered (that turn is in the window anyway), so that a voice
/// started before the judge answers and the real one describe the past alike.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recap {
    /// Concepts visited in this session, in order.
    pub path: Vec<ConceptId>,
    /// Concepts completed.
    pub completed: BTreeSet<ConceptId>,
    /// The learner model.
    pub learner: LearnerModel,
    /// Checkpoints a review still has to re-probe: never stated here.
    pub pending: BTreeSet<CheckpointId>,
    /// The learner's words at the latest aha moments among the turns not loaded, newest
    /// first (at most [`MAX_QUOTES`] are used).
    pub quotes: Vec<String>,
}

impl Recap {
    /// The recap of a session in `state`, with the aha quotes the caller loaded.
    pub fn of(state: &SessionState, quotes: Vec<String>) -> Self {
        Self {
            path: state.visited.clone(),
            completed: state.completed.clone(),
            learner: state.learner.clone(),
            pending: state.review_queue.iter().cloned().collect(),
            quotes,
        }
    }
}

/// One wrong belief the learner dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Cleared {
    belief: String,
    /// Corrected by the tutor rather than dropped by the learner's own words.
    by_tutor: bool,
}

/// The block's material after selection and caps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
struct EarlierView {
    dropped: usize,
    finished: Vec<String>,
    more_finished: usize,
    reached: Vec<String>,
    stated: Vec<String>,
    cleared: Vec<Cleared>,
    quotes: usize,
}

/// The summary for the voice: the system block (`None` when no turn was dropped) and the
/// user message quoting the learner's aha moments (`None` when there are none).
pub(super) struct Earlier {
    pub(super) block: Option<String>,
    pub(super) quotes: Option<Message>,
    view: EarlierView,
}

/// Renders the summary of `dropped` turns the voice does not see; `gap` is the plan
/// concept's open misconceptions (a belief held again now is not "cleared").
pub(super) fn earlier(
    ctx: &VoiceContext<'_>,
    dropped: usize,
    gap: &[MisconceptionId],
) -> Result<Earlier, PromptError> {
    if dropped == 0 {
        return Ok(Earlier {
            block: None,
            quotes: None,
            view: EarlierView::default(),
        });
    }
    let quotes: Vec<String> = ctx
        .recap
        .map(|r| r.quotes.iter().take(MAX_QUOTES).map(|q| quote(q)).collect())
        .unwrap_or_default();
    let quotes: Vec<String> = quotes.into_iter().filter(|q| !q.is_empty()).collect();
    let mut view = match ctx.recap {
        Some(recap) => select(ctx, recap, gap),
        None => EarlierView::default(),
    };
    view.dropped = dropped;
    view.quotes = quotes.len();
    let mut block = render("earlier.jinja", &view)?;
    while block.chars().count() > MAX_BLOCK_CHARS && drop_one(&mut view) {
        block = render("earlier.jinja", &view)?;
    }
    let quotes = if quotes.is_empty() {
        None
    } else {
        let material = render(
            "earlier_quotes.jinja",
            serde_json::json!({ "quotes": quotes }),
        )?;
        Some(Message::user(material))
    };
    Ok(Earlier {
        block: Some(block),
        quotes,
        view,
    })
}

impl Earlier {
    /// The authored text the block names (titles, statements, beliefs): the tutor may
    /// say it again, so the echo guard must not count it.
    pub(super) fn sayable(&self) -> Vec<String> {
        let v = &self.view;
        v.finished
            .iter()
            .chain(&v.reached)
            .chain(&v.stated)
            .cloned()
            .chain(v.cleared.iter().map(|c| c.belief.clone()))
            .collect()
    }
}

/// Picks the block's items from the recap, under the item caps.
fn select(ctx: &VoiceContext<'_>, recap: &Recap, gap: &[MisconceptionId]) -> EarlierView {
    let curriculum = ctx.curriculum;
    let mut view = EarlierView::default();

    // Finished concepts: in the order visited, then any carried from earlier sessions.
    let mut finished: Vec<&ConceptId> = Vec::new();
    for id in recap.path.iter().chain(recap.completed.iter()) {
        if recap.completed.contains(id) && !finished.contains(&id) {
            finished.push(id);
        }
    }
    let titles: Vec<String> = finished
        .iter()
        .filter_map(|id| curriculum.concept(id).map(|c| c.title.clone()))
        .collect();
    view.more_finished = titles.len().saturating_sub(MAX_FINISHED);
    view.finished = titles[view.more_finished..].to_vec();

    // Insights elsewhere: the latest visited concepts first, then the rest of the course.
    for concept in elsewhere(ctx, recap) {
        for c in &concept.checkpoints {
            if ctx.plan.withhold.contains(&c.id) || recap.pending.contains(&c.id) {
                continue;
            }
            if recap.learner.is_mastered(&c.id) {
                if view.reached.len() < MAX_REACHED {
                    view.reached.push(c.statement.clone());
                }
            } else if recap
                .learner
                .checkpoints
                .get(&c.id)
                .is_some_and(|k| k.stated_by_tutor)
                && view.stated.len() < MAX_STATED
            {
                view.stated.push(c.statement.clone());
            }
        }
    }

    // Wrong beliefs held and dropped (not one the learner holds again now).
    for concept in curriculum.ordered_concepts() {
        for m in &concept.misconceptions {
            let Some(state) = recap.learner.misconceptions.get(&m.id) else {
                continue;
            };
            if !state.active && !gap.contains(&m.id) && view.cleared.len() < MAX_CLEARED {
                view.cleared.push(Cleared {
                    belief: m.belief.clone(),
                    by_tutor: state.corrected_by_tutor,
                });
            }
        }
    }
    view
}

/// The concepts other than the plan's, the latest visited first, then the rest in
/// course order.
fn elsewhere<'c>(ctx: &VoiceContext<'c>, recap: &Recap) -> Vec<&'c Concept> {
    let mut ids: Vec<&ConceptId> = Vec::new();
    for id in recap.path.iter().rev() {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut concepts: Vec<&Concept> = ids
        .into_iter()
        .filter_map(|id| ctx.curriculum.concept(id))
        .collect();
    for c in ctx.curriculum.ordered_concepts() {
        if !concepts.iter().any(|k| k.id == c.id) {
            concepts.push(c);
        }
    }
    concepts.retain(|c| c.id != ctx.plan.concept);
    concepts
}

/// Drops the least useful item left; false when there is nothing left to drop.
fn drop_one(view: &mut EarlierView) -> bool {
    if view.reached.pop().is_some() || view.stated.pop().is_some() {
        return true;
    }
    if view.cleared.pop().is_some() {
        return true;
    }
    if view.finished.is_empty() {
        return false;
    }
    view.finished.remove(0);
    view.more_finished += 1;
    true
}

/// A quote on one line, cut at [`MAX_QUOTE_CHARS`].
fn quote(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= MAX_QUOTE_CHARS {
        return line;
    }
    let cut: String = line.chars().take(MAX_QUOTE_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}
