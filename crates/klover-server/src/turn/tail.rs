//! What follows a tutor reply: the aha, concept-advanced and closing `progress` events
//! (stored with the reply when it is known in full), the next concept's opening as a turn
//! of its own, the end of a session, and the engine's progress in the protocol's shape.

use std::sync::Arc;

use klover_domain::engine::{self, SessionState, TurnOutcome};
use klover_store::{FollowingTurn, TurnId, TurnStatus};

use crate::error::Error;
use crate::live::LiveSession;
use crate::protocol::{CheckpointProgress, Progress, ReviewProgress, ServerEvent};
use crate::state::AppState;
use crate::voice::whole_delta;

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

/// The next concept's opening after a concept's closing: a tutor turn of its own, said
/// whole (the authored opening question, in either voice, as a session's opening is).
pub(crate) struct Following {
    id: TurnId,
    text: String,
    move_json: Option<String>,
}

impl Following {
    /// The opening the turn's outcome carries, if it closed a concept and moved on.
    pub(crate) fn of(outcome: &TurnOutcome) -> Option<Self> {
        let next = outcome.next.as_ref()?;
        Some(Self {
            id: TurnId::new(),
            text: next.offline_text.clone(),
            move_json: serde_json::to_string(&next.plan.primary()).ok(),
        })
    }

    /// What the tutor says last in the turn: the learner answers this question.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// As the store keeps it.
    pub(crate) fn as_stored(&self) -> FollowingTurn<'_> {
        FollowingTurn {
            id: &self.id,
            text: &self.text,
            move_json: self.move_json.as_deref(),
        }
    }

    /// Its `tutor_delta`s and `tutor_done`.
    fn events(&self) -> Vec<ServerEvent> {
        let turn_id = self.id.to_string();
        let mut events: Vec<ServerEvent> = whole_delta(&self.text)
            .into_iter()
            .map(|text| ServerEvent::TutorDelta {
                turn_id: turn_id.clone(),
                text,
            })
            .collect();
        events.push(ServerEvent::TutorDone {
            turn_id,
            text: self.text.clone(),
            move_: "ask".into(),
            status: TurnStatus::Complete.as_str().to_owned(),
        });
        events
    }
}

/// The events that close a turn, after its reply: the grades of a review answer
/// (`review_graded`, one per card it settled), aha, concept advanced, the next
/// concept's opening (`following`), the end of the session if it finished (it is stored as
/// ended now), and the closing `progress`. They are stored in one transaction with the end
/// of the turn's work.
pub(crate) async fn closing_events(
    app: &AppState,
    live: &Arc<LiveSession>,
    learner_turn: &TurnId,
    outcome: &TurnOutcome,
    following: Option<&Following>,
) -> Result<Vec<ServerEvent>, Error> {
    let mut events = Vec::new();
    if live.lock_engine().state.mode == engine::Mode::Review {
        events.extend(
            crate::review::graded_events(app, &live.learner, &live.curriculum, learner_turn)
                .await?,
        );
    }
    if let Some(aha) = &outcome.aha {
        events.push(ServerEvent::Aha {
            turn_id: learner_turn.to_string(),
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
    events.extend(following.map(Following::events).unwrap_or_default());
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
