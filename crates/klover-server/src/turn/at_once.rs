//! A learner's message answered in the write that acknowledges it. With the offline voice a
//! reply said whole in the same concept is known as soon as the message is assessed (tens
//! of microseconds), so the message, its assessment, the engine state and the reply are
//! stored in one transaction and the `learner_ack` goes out with the reply: one write and
//! one commit a turn instead of two (docs/benchmarks.md, issue 17). Nothing is
//! acknowledged before the commit that also holds its answer, so a crash leaves either
//! both or neither (the client sends an unacknowledged message again).
//!
//! Every other turn (the LLM voice, a streamed offline reply, a concept's closing, a
//! session's end, a review answer) is acknowledged alone first and answered by
//! [`super::drive`], as is a message this path hands back (a retry, an earlier reply
//! unfinished, another instance holding the session, a state stored elsewhere).

use std::sync::Arc;

use klover_domain::engine::{self, SessionState, TurnOutcome};
use klover_store::{TurnId, TurnStatus};
use tracing::Instrument;

use super::{can_defer, closing_events, count_turn, speak::said_whole};
use crate::live::{AssessedTurn, LiveSession};
use crate::reply::ReplyGuard;
use crate::state::AppState;
use crate::voice::TutorVoice;
use crate::{convert, fault};

/// What [`answer`] did.
pub(crate) enum Answer {
    /// The message and its reply are stored (and sent).
    Stored,
    /// Nothing is stored: the message is to be acknowledged alone. With the engine's turn
    /// when it was worked out (a reply not said whole: a concept's closing, say), for
    /// [`super::drive`] to use instead of working it out again.
    Not(Option<Box<Worked>>),
}

/// Answers the new message `text` (client id `client_id`) in the write that acknowledges
/// it, when its reply allows ([`can_defer`]); the reply slot `guard` is freed with the
/// commit.
pub(crate) async fn answer(
    app: &AppState,
    live: &Arc<LiveSession>,
    client_id: &str,
    text: &str,
    guard: &ReplyGuard,
) -> Answer {
    if !matches!(app.voice, TutorVoice::Offline) || app.settings.offline_delta_delay_ms != 0 {
        return Answer::Not(None);
    }
    let curr = &live.curriculum;
    let (mut state, last_tutor, version) = {
        let engine = live.lock_engine();
        (
            engine.state.clone(),
            engine.last_tutor.clone(),
            engine.version,
        )
    };
    if state.finished || state.mode != engine::Mode::Learn {
        return Answer::Not(None);
    }
    let before = state.learner.clone();
    let Some(req) = engine::assess_request(curr, &state, text, last_tutor.as_deref()) else {
        return Answer::Not(None);
    };
    let assessment = klover_domain::assess::RubricAssessor::new().assess_now(req);
    let outcome = engine::learner_turn(curr, &mut state, text, assessment);
    if !can_defer(app, false, &state, &outcome) {
        let worked = Worked {
            version,
            last_tutor,
            text: text.to_owned(),
            state,
            outcome,
        };
        return Answer::Not(Some(Box::new(worked)));
    }
    let turn = TurnId::new();
    let record = convert::turn_assessment(curr, &before, &state, &outcome, text);
    let Ok(json) = serde_json::to_string(&state) else {
        return Answer::Not(None);
    };
    let Ok(closing) = closing_events(app, live, &turn, &outcome, None).await else {
        return Answer::Not(None);
    };
    let reply = TurnId::new();
    let spoken = &outcome.offline_text;
    let (said, mut events) = said_whole(&reply, &outcome.plan, spoken, TurnStatus::Complete);
    events.extend(closing);
    let move_json = serde_json::to_string(&outcome.plan.primary()).ok();
    fault::point("before_answer").await;
    let assessed = AssessedTurn {
        record,
        state,
        json,
        version,
    };
    // The same span as a turn answered by its own task (`crate::reply::spawn`).
    let span = tracing::info_span!(
        "turn",
        session = %live.id,
        learner = %live.learner,
        turn = %turn,
    );
    let stored = live
        .emit_answered_at_once(
            &app.store,
            app.lease(),
            (&turn, client_id, text),
            (&reply, &said, move_json.as_deref()),
            &events,
            assessed,
            || {
                live.lock_engine().last_tutor = Some(spoken.clone());
                guard.release();
            },
        )
        .instrument(span.clone())
        .await;
    let _in_turn = span.enter();
    match stored {
        Ok(Some(_)) => {
            count_turn(app, &outcome);
            tracing::debug!("turn answered");
            Answer::Stored
        }
        Ok(None) => Answer::Not(None),
        Err(e) => {
            tracing::debug!(error = %e, "not answered with its acknowledgement; acknowledged alone");
            Answer::Not(None)
        }
    }
}

/// The engine's turn on a message, worked out on the live session's state at `version`
/// (with `last_tutor` said last): the offline path's reading is a function of these
/// and the text, so [`super::assess`] takes it as it is when they have not changed.
pub(crate) struct Worked {
    pub(crate) version: i64,
    pub(crate) last_tutor: Option<String>,
    pub(crate) text: String,
    /// The engine state after the turn.
    pub(crate) state: SessionState,
    pub(crate) outcome: TurnOutcome,
}
