//! What follows a tutor reply: the aha, concept-advanced and closing `progress` events
//! (stored with the reply when it is known in full), the end of a session, and the engine's
//! progress in the protocol's shape.

use std::sync::Arc;

use klover_domain::engine::{self, SessionState, TurnOutcome};
use klover_store::TurnRow;

use crate::error::Error;
use crate::live::{LiveSession, ReplySlot};
use crate::protocol::{CheckpointProgress, Progress, ReviewProgress, ServerEvent};
use crate::state::AppState;
use crate::telemetry;

/// Events that follow a tutor reply, stored with it when the reply is known in full
/// (one transaction), else after it.
pub(crate) struct Tail {
    pub(super) events: Vec<ServerEvent>,
    /// The reply slot to release once the events are stored, before they are sent: set
    /// when the last event is the turn's closing `progress`.
    pub(super) closes: Option<ReplySlot>,
}

impl Tail {
    /// The closing `progress` alone (a session's opening).
    pub(crate) fn closing(live: &LiveSession, slot: &ReplySlot, p: &engine::Progress) -> Self {
        Self {
            events: vec![closing_progress(live, p)],
            closes: Some(slot.clone()),
        }
    }

    /// Stores and sends the events on their own (one transaction).
    pub(super) async fn emit(self, app: &AppState, live: &Arc<LiveSession>) -> Result<(), Error> {
        let closes = self.closes.as_ref();
        live.emit_all(&app.store, &self.events, || {
            if let Some(slot) = closes {
                app.hub.reply_ended(live, slot);
            }
        })
        .await?;
        Ok(())
    }
}

/// The closing `progress` of a turn, with the review queue's place.
fn closing_progress(live: &LiveSession, p: &engine::Progress) -> ServerEvent {
    let mut event = progress(p);
    event.review = review_progress(&live.lock_engine().state);
    ServerEvent::Progress(event)
}

/// Releases the reply slot, then emits the turn's closing `progress`: a client that
/// waits for it may send its next message at once.
pub(crate) async fn close_turn(
    app: &AppState,
    live: &Arc<LiveSession>,
    slot: &ReplySlot,
    p: &engine::Progress,
) -> Result<(), Error> {
    app.hub.reply_ended(live, slot);
    live.emit(&app.store, closing_progress(live, p)).await?;
    Ok(())
}

/// A review session's place in its queue (`None` when learning): the checkpoints under
/// review and how many are done (shown again, or stated by the tutor).
pub fn review_progress(state: &SessionState) -> Option<ReviewProgress> {
    if state.mode != engine::Mode::Review {
        return None;
    }
    let queue = &state.review_queue;
    Some(ReviewProgress {
        checkpoints: queue.iter().map(ToString::to_string).collect(),
        reviewed: queue.iter().filter(|id| state.learner.is_done(id)).count(),
    })
}

/// The events that follow the reply: aha, concept advanced, and the closing `progress`
/// unless the session finishes (then [`end`]'s events come before the closing `progress`).
pub(super) fn tail_events(
    live: &Arc<LiveSession>,
    learner_turn: &TurnRow,
    slot: &ReplySlot,
    outcome: &TurnOutcome,
) -> Tail {
    let mut events = Vec::new();
    if let Some(aha) = &outcome.aha {
        metrics::counter!(telemetry::AHAS).increment(1);
        events.push(ServerEvent::Aha {
            turn_id: learner_turn.id.to_string(),
            checkpoint: aha.checkpoint.as_ref().map(ToString::to_string),
            checkpoint_title: aha
                .checkpoint
                .as_ref()
                .and_then(|id| live.curriculum.checkpoint(id))
                .map(|(_, cp)| cp.label()),
            misconception: aha.misconception.as_ref().map(ToString::to_string),
            quote: aha.quote.clone(),
            move_: aha.triggered_by.kind().to_owned(),
        });
    }
    if let Some((from, to)) = &outcome.advanced {
        let title = live
            .curriculum
            .concept(to)
            .map(|c| c.title.clone())
            .unwrap_or_default();
        let with_help = live.curriculum.concept(from).is_some_and(|c| {
            let engine = live.lock_engine();
            c.checkpoints
                .iter()
                .any(|k| !engine.state.learner.is_mastered(&k.id))
        });
        events.push(ServerEvent::ConceptAdvanced {
            from: from.to_string(),
            to: to.to_string(),
            title,
            with_help,
        });
    }
    let mut closes = None;
    if !outcome.finished {
        events.push(closing_progress(live, &outcome.progress));
        closes = Some(slot.clone());
    }
    Tail { events, closes }
}

/// The end of a session: stored as ended, then `curriculum_complete` (learning) or
/// `review_complete` (review), then `session_ended`.
pub(super) async fn end(app: &AppState, live: &Arc<LiveSession>) -> Result<(), Error> {
    let store = &app.store;
    store.end_session(&live.id).await?;
    let state = live.lock_engine().state.clone();
    let curriculum = live.curriculum.id.to_string();
    let event = if state.mode == engine::Mode::Review {
        let (reviewed, next) =
            crate::review::summary(app, &live.learner, &live.curriculum, &state).await?;
        ServerEvent::ReviewComplete {
            curriculum,
            reviewed,
            next_due_at: next.map(|t| t.to_rfc3339()),
        }
    } else {
        ServerEvent::CurriculumComplete { curriculum }
    };
    let ended = ServerEvent::SessionEnded {
        session_id: live.id.to_string(),
    };
    live.emit_all(store, &[event, ended], || {}).await?;
    Ok(())
}

/// The engine's progress as the protocol sends it.
pub fn progress(p: &engine::Progress) -> Progress {
    Progress {
        concept: p.concept.to_string(),
        mastery: p.mastery,
        checkpoints: p
            .checkpoints
            .iter()
            .map(|c| CheckpointProgress {
                id: c.id.to_string(),
                title: c.title.clone(),
                reached: c.reached,
                evidence: c.evidence.clone(),
                stated_by_tutor: c.stated_by_tutor,
            })
            .collect(),
        remaining: p.remaining,
        review: None,
    }
}
