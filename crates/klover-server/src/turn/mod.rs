//! One learner turn, as DESIGN.md orders it: persist the learner's text (ack) → assess →
//! update the learner model → aha → choose the move → render (offline text or streamed
//! LLM reply) → persist → progress, aha and concept-advanced events. Starting a session
//! and loading one back for a resume are in [`crate::session`].
//!
//! Nothing here knows about sockets: results leave through [`LiveSession::emit`].

use std::sync::Arc;

use klover_domain::assess::Assessor;
use klover_domain::engine::{self, SessionState, TurnOutcome};
use klover_domain::policy::TutorPlan;
use klover_store::{TurnRow, TurnStatus};

use crate::error::Error;
use crate::live::{LiveSession, ReplySlot};
use crate::protocol::ServerEvent;
use crate::state::AppState;
use crate::voice::TutorVoice;
use crate::{convert, telemetry};

mod speak;
mod tail;

pub(crate) use speak::{finish, speak_offline};
pub(crate) use tail::{Tail, close_turn};
use tail::{end, tail_events};
pub use tail::{progress, review_progress};

/// Runs the rest of a learner turn whose text is stored and acknowledged; the reply slot
/// is held by the caller and released here.
pub async fn run(app: AppState, live: Arc<LiveSession>, learner_turn: TurnRow, slot: ReplySlot) {
    if let Err(e) = run_inner(&app, &live, &learner_turn, &slot).await {
        tracing::error!(session = %live.id, error = %e, "turn failed");
        telemetry::error("turn");
        live.broadcast_transient(ServerEvent::Error {
            code: e.code(),
            message: e.public_message(),
        });
    }
    app.hub.reply_ended(&live, &slot);
}

async fn run_inner(
    app: &AppState,
    live: &Arc<LiveSession>,
    learner_turn: &TurnRow,
    slot: &ReplySlot,
) -> Result<(), Error> {
    let curr = live.curriculum.clone();
    let text = learner_turn.text.as_str();
    let (mut state, last_tutor) = {
        let guard = live.lock_engine();
        (guard.state.clone(), guard.last_tutor.clone())
    };
    let before = state.learner.clone();
    // A message after the end only hears the ending again: no judge call, no review work.
    let already_finished = state.finished;
    let judge = match &app.voice {
        TutorVoice::Llm(llm) if !already_finished => Some(llm),
        _ => None,
    };
    let assessment = {
        let req = engine::assess_request(&curr, &state, text, last_tutor.as_deref())
            .ok_or_else(|| Error::NotFound(format!("concept `{}`", state.concept)))?;
        match judge {
            None => klover_domain::assess::RubricAssessor::new().assess_now(req),
            // The judge is an LLM call: a stop (or shutdown) must not wait for it. The
            // rubric's verdict stands in, as on any judge failure.
            Some(llm) => tokio::select! {
                biased;
                _ = slot.cancel.cancelled() => {
                    klover_domain::assess::RubricAssessor::new().assess_now(req)
                }
                verdict = llm.judge.assess(req) => verdict,
            },
        }
    };
    let outcome = engine::learner_turn(&curr, &mut state, text, assessment);
    let record = convert::turn_assessment(&curr, &before, &state, &outcome, text);
    let json = serde_json::to_string(&state)
        .map_err(|e| Error::BadRequest(format!("cannot encode session state: {e}")))?;
    app.store
        .record_assessment_and_state(&learner_turn.id, &record, &state.concept, &json)
        .await?;
    if already_finished {
        // Nothing to schedule: the ending's cards were made when the session finished.
    } else if let Err(e) = review_step(app, live, &state, &outcome).await {
        tracing::warn!(session = %live.id, error = %e, "review cards not updated");
    }
    live.lock_engine().state = state;
    count_turn(app, &outcome);
    let tail = tail_events(live, learner_turn, slot, &outcome);

    let (said, rendered, tail_sent) = match &app.voice {
        TutorVoice::Offline => {
            speak_offline(app, live, &outcome.plan, &outcome.offline_text, slot, &tail).await?
        }
        TutorVoice::Llm(llm) => {
            let learner = live.lock_engine().state.learner.clone();
            let plan = &outcome.plan;
            let (said, rendered) = crate::speak_llm::speak(
                app,
                live,
                llm,
                plan,
                &learner,
                &outcome.offline_text,
                slot,
            )
            .await?;
            (said, rendered, false)
        }
    };
    if rendered.status == TurnStatus::Complete {
        live.lock_engine().last_tutor = Some(said);
    }
    if !tail_sent {
        tail.emit(app, live).await?;
    }
    if outcome.finished {
        end(app, live).await?;
        close_turn(app, live, slot, &outcome.progress).await?;
    }
    Ok(())
}

/// Review bookkeeping of a turn: reschedule settled cards in a review session; add cards
/// when a learning session finishes a concept.
async fn review_step(
    app: &AppState,
    live: &Arc<LiveSession>,
    state: &SessionState,
    outcome: &TurnOutcome,
) -> Result<(), Error> {
    let curr = &live.curriculum;
    if state.mode == engine::Mode::Review {
        return crate::review::reschedule(app, &live.learner, curr, state, outcome).await;
    }
    if outcome.advanced.is_none() && !outcome.finished {
        return Ok(());
    }
    let aha: Vec<_> = app
        .store
        .aha_moments(&live.learner)
        .await?
        .into_iter()
        .filter(|a| a.session == live.id)
        .filter_map(|a| a.checkpoint)
        .collect();
    crate::review::add_cards(app, &live.learner, curr, state, &aha).await
}

pub(crate) fn mode_name(live: &LiveSession) -> String {
    match live.lock_engine().state.mode {
        engine::Mode::Learn => "learn".into(),
        engine::Mode::Review => "review".into(),
    }
}

pub(super) fn move_kind(plan: &TutorPlan) -> String {
    plan.primary().map(|m| m.kind()).unwrap_or("ask").to_owned()
}

fn count_turn(app: &AppState, outcome: &TurnOutcome) {
    metrics::counter!(telemetry::TURNS, "voice" => app.voice.name()).increment(1);
    for m in &outcome.plan.moves {
        metrics::counter!(telemetry::MOVES, "move" => m.kind()).increment(1);
    }
}

pub(crate) async fn save_state(
    app: &AppState,
    session: &klover_store::SessionId,
    state: &SessionState,
) -> Result<(), Error> {
    let json = serde_json::to_string(state)
        .map_err(|e| Error::BadRequest(format!("cannot encode session state: {e}")))?;
    app.store
        .save_engine_state(session, &state.concept, &json)
        .await?;
    Ok(())
}
