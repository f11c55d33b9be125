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
use crate::protocol::{CheckpointProgress, Progress, ReviewProgress, ServerEvent};
use crate::state::AppState;
use crate::voice::{Rendered, TutorVoice, cut_status, offline_chunks};
use crate::{convert, telemetry};

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

/// Events that follow a tutor reply, stored with it when the reply is known in full
/// (one transaction), else after it.
pub(crate) struct Tail {
    events: Vec<ServerEvent>,
    /// The reply slot to release once the events are stored, before they are sent: set
    /// when the last event is the turn's closing `progress`.
    closes: Option<ReplySlot>,
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
    async fn emit(self, app: &AppState, live: &Arc<LiveSession>) -> Result<(), Error> {
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

/// The events that follow the reply: aha, concept advanced, and the closing `progress`
/// unless the session finishes (then [`end`]'s events come before the closing `progress`).
fn tail_events(
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
async fn end(app: &AppState, live: &Arc<LiveSession>) -> Result<(), Error> {
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

/// Speaks authored text as a tutor turn, followed by `tail`. With no pause between
/// deltas the reply is known in full at once: the turn, its deltas, `tutor_done` and `tail`
/// are stored in one transaction, then sent in seq order. With a pause it is streamed:
/// stored delta by delta (a stop keeps what was sent), then finished, and `tail` is left to
/// the caller. Returns the stored text, how it ended, and whether `tail` was sent.
pub(crate) async fn speak_offline(
    app: &AppState,
    live: &Arc<LiveSession>,
    plan: &TutorPlan,
    text: &str,
    slot: &ReplySlot,
    tail: &Tail,
) -> Result<(String, Rendered, bool), Error> {
    let store = &app.store;
    let pause = std::time::Duration::from_millis(app.settings.offline_delta_delay_ms);
    if pause.is_zero() {
        let (said, rendered) = speak_whole(app, live, plan, text, slot, tail).await?;
        return Ok((said, rendered, true));
    }
    let turn = store.begin_tutor_turn(&live.id).await?;
    for (i, chunk) in offline_chunks(text).into_iter().enumerate() {
        if i > 0 {
            tokio::select! {
                () = slot.cancel.cancelled() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        if slot.cancel.is_cancelled() {
            break;
        }
        live.emit_delta(store, &turn.id, chunk).await?;
    }
    let rendered = Rendered {
        status: cut_status(&slot.cancel),
        usage: None,
    };
    let said = finish(app, live, &turn, plan, rendered).await?;
    Ok((said, rendered, false))
}

/// An offline reply in one transaction with its events (see [`speak_offline`]). A stop
/// before it is stored leaves an empty `partial` turn, as the streamed path does.
async fn speak_whole(
    app: &AppState,
    live: &Arc<LiveSession>,
    plan: &TutorPlan,
    text: &str,
    slot: &ReplySlot,
    tail: &Tail,
) -> Result<(String, Rendered), Error> {
    let rendered = Rendered {
        status: cut_status(&slot.cancel),
        usage: None,
    };
    let chunks = match rendered.status {
        TurnStatus::Complete => offline_chunks(text),
        _ => Vec::new(),
    };
    let said = chunks.concat();
    let turn_id = klover_store::TurnId::new();
    let mut events: Vec<ServerEvent> = chunks
        .into_iter()
        .map(|chunk| ServerEvent::TutorDelta {
            turn_id: turn_id.to_string(),
            text: chunk,
        })
        .collect();
    events.push(ServerEvent::TutorDone {
        turn_id: turn_id.to_string(),
        text: said.clone(),
        move_: move_kind(plan),
        status: rendered.status.as_str().to_owned(),
    });
    events.extend(tail.events.iter().cloned());
    let move_json = serde_json::to_string(&plan.primary()).ok();
    let closes = tail.closes.as_ref();
    let row = live
        .emit_whole_reply(
            &app.store,
            &turn_id,
            &said,
            rendered.status,
            move_json.as_deref(),
            &events,
            || {
                if let Some(slot) = closes {
                    app.hub.reply_ended(live, slot);
                }
            },
        )
        .await?;
    Ok((row.text, rendered))
}

/// Stores the end of a tutor turn and emits `tutor_done`; returns the stored text.
pub(crate) async fn finish(
    app: &AppState,
    live: &Arc<LiveSession>,
    turn: &TurnRow,
    plan: &TutorPlan,
    rendered: Rendered,
) -> Result<String, Error> {
    let move_json = serde_json::to_string(&plan.primary()).ok();
    let done = app
        .store
        .finish_tutor_turn(
            &turn.id,
            rendered.status,
            move_json.as_deref(),
            rendered.usage,
        )
        .await?;
    let event = ServerEvent::TutorDone {
        turn_id: done.id.to_string(),
        text: done.text.clone(),
        move_: move_kind(plan),
        status: done.status.as_str().to_owned(),
    };
    live.emit(&app.store, event).await?;
    Ok(done.text)
}

pub(crate) fn mode_name(live: &LiveSession) -> String {
    match live.lock_engine().state.mode {
        engine::Mode::Learn => "learn".into(),
        engine::Mode::Review => "review".into(),
    }
}

fn move_kind(plan: &TutorPlan) -> String {
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
