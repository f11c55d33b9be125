//! What follows a tutor reply: the aha, concept-advanced and closing `progress` events
//! (stored with the reply when it is known in full), the end of a session, and the engine's
//! progress in the protocol's shape.

use std::sync::Arc;

use klover_domain::engine::{self, SessionState, TurnOutcome};
use klover_store::TurnRow;

use crate::error::Error;
use crate::live::LiveSession;
use crate::protocol::{CheckpointProgress, Progress, ReviewProgress, ServerEvent};
use crate::state::AppState;
use crate::telemetry;

/// Events that close a session's opening: the closing `progress` alone.
pub(crate) struct Tail;

impl Tail {
    /// The closing `progress` of a session's opening.
    pub(crate) fn opening(live: &LiveSession, p: &engine::Progress) -> Vec<ServerEvent> {
        vec![closing_progress(live, p)]
    }
}

/// The closing `progress` of a turn, with the review queue's place.
fn closing_progress(live: &LiveSession, p: &engine::Progress) -> ServerEvent {
    let mut event = progress(p);
    event.review = review_progress(&live.lock_engine().state);
    ServerEvent::Progress(event)
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

/// The events that close a turn, after its reply: aha, concept advanced, the end of the
/// session if it finished (it is stored as ended now), and the closing `progress`. They
/// are stored in one transaction with the end of the turn's work.
pub(crate) async fn closing_events(
    app: &AppState,
    live: &Arc<LiveSession>,
    learner_turn: &TurnRow,
    outcome: &TurnOutcome,
) -> Result<Vec<ServerEvent>, Error> {
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
    if outcome.finished {
        events.extend(end(app, live).await?);
    }
    events.push(closing_progress(live, &outcome.progress));
    Ok(events)
}

/// The end of a session: stored as ended, then `curriculum_complete` (learning) or
/// `review_complete` (review), then `session_ended`.
async fn end(app: &AppState, live: &Arc<LiveSession>) -> Result<Vec<ServerEvent>, Error> {
    app.store.end_session(&live.id).await?;
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
    Ok(vec![event, ended])
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
