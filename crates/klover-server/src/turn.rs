//! One learner turn, as DESIGN.md orders it: persist the learner's text (ack) → assess →
//! update the learner model → aha → choose the move → render (offline text or streamed
//! LLM reply) → persist → progress, aha and concept-advanced events. Also starting a
//! session (its opening question) and loading one back into memory for a resume.
//!
//! Nothing here knows about sockets: results leave through [`LiveSession::emit`].

use std::sync::Arc;

use klover_domain::assess::Assessor;
use klover_domain::engine::{self, Opening, SessionState, TurnOutcome};
use klover_domain::ids::ConceptId;
use klover_domain::policy::TutorPlan;
use klover_store::{NewSession, SessionKind, TurnRow, TurnStatus};

use crate::auth::Identity;
use crate::error::Error;
use crate::live::{EngineSlot, LiveSession, ReplySlot};
use crate::protocol::{CheckpointProgress, Progress, ServerEvent};
use crate::state::AppState;
use crate::voice::{Rendered, TutorVoice, cut_status, offline_chunks};
use crate::{convert, telemetry};

/// Creates a session in the store and in memory; call [`open`] once a socket listens.
pub async fn create(
    app: &AppState,
    who: &Identity,
    curriculum: &str,
    concept: Option<&str>,
    review: bool,
) -> Result<(Arc<LiveSession>, Opening), Error> {
    let curr = app
        .catalog
        .get(curriculum)
        .ok_or_else(|| Error::NotFound(format!("curriculum `{curriculum}`")))?;
    let concept = concept
        .map(|c| {
            ConceptId::parse(c)
                .ok()
                .filter(|id| curr.concept(id).is_some())
                .ok_or_else(|| Error::NotFound(format!("concept `{c}` in `{curriculum}`")))
        })
        .transpose()?;
    let (state, opening) = if review {
        let due = crate::review::due_checkpoints(app, &who.learner, &curr).await?;
        if due.is_empty() {
            return Err(Error::NotFound(format!(
                "nothing is due for review in `{curriculum}` yet: learn first, or come back later"
            )));
        }
        engine::start_review(&curr, &due)?
    } else {
        engine::start(&curr, concept.as_ref())?
    };
    let mode = match app.voice {
        TutorVoice::Offline => klover_store::Mode::Offline,
        TutorVoice::Llm(_) => klover_store::Mode::Llm,
    };
    let row = app
        .store
        .create_session(&NewSession {
            learner: who.learner.clone(),
            curriculum: curr.id.clone(),
            curriculum_version: curr.version.clone(),
            concept: state.concept.clone(),
            mode,
            kind: if review {
                SessionKind::Review
            } else {
                SessionKind::Learn
            },
        })
        .await?;
    save_state(app, &row.id, &state).await?;
    let slot = EngineSlot {
        state,
        last_tutor: Some(opening.offline_text.clone()),
    };
    let live = LiveSession::new(
        row.id,
        who.learner.clone(),
        curr,
        app.voice.name().into(),
        slot,
    );
    Ok((app.hub.attach(Arc::new(live)), opening))
}

/// Emits a new session's first events: `session`, the opening question, `progress`.
pub async fn open(app: &AppState, live: &Arc<LiveSession>, opening: Opening) -> Result<(), Error> {
    let concept = live.curriculum.concept(&opening.progress.concept);
    live.emit(
        &app.store,
        ServerEvent::Session {
            session_id: live.id.to_string(),
            curriculum: live.curriculum.id.to_string(),
            curriculum_title: live.curriculum.title.clone(),
            concept: opening.progress.concept.to_string(),
            concept_title: concept.map(|c| c.title.clone()).unwrap_or_default(),
            mode: mode_name(live),
            voice: live.voice.clone(),
        },
    )
    .await?;
    let slot = live
        .begin_reply("")
        .map_err(|_| Error::BadRequest("busy".into()))?;
    let result = speak_offline(app, live, &opening.plan, &opening.offline_text, &slot).await;
    if let Err(e) = result {
        app.hub.reply_ended(live, &slot);
        return Err(e);
    }
    close_turn(app, live, &slot, &opening.progress).await
}

/// Loads a stored session into memory (for a resume) and attaches to it; the caller's
/// learner must own it.
pub async fn load(
    app: &AppState,
    who: &Identity,
    session: &klover_store::SessionId,
) -> Result<Arc<LiveSession>, Error> {
    let row = app.store.get_session(&who.learner, session).await?;
    if let Some(live) = app.hub.get(&row.id) {
        return Ok(app.hub.attach(live));
    }
    let curr = app
        .catalog
        .get(row.curriculum.as_str())
        .ok_or_else(|| Error::NotFound(format!("curriculum `{}`", row.curriculum)))?;
    let state: SessionState = match row.engine_state.as_deref() {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| Error::BadRequest(format!("stored session state is unreadable: {e}")))?,
        None => engine::start(&curr, Some(&row.current_concept))?.0,
    };
    let last_tutor = app
        .store
        .turns(&row.id)
        .await?
        .into_iter()
        .rev()
        .find(|t| t.role == klover_store::TurnRole::Tutor)
        .map(|t| t.text);
    let live = LiveSession::new(
        row.id,
        row.learner,
        curr,
        row.mode.as_str().to_owned(),
        EngineSlot { state, last_tutor },
    );
    Ok(app.hub.attach(Arc::new(live)))
}

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
    let assessment = {
        let req = engine::assess_request(&curr, &state, text, last_tutor.as_deref())
            .ok_or_else(|| Error::NotFound(format!("concept `{}`", state.concept)))?;
        match &app.voice {
            TutorVoice::Offline => klover_domain::assess::RubricAssessor::new().assess_now(req),
            TutorVoice::Llm(llm) => llm.judge.assess(req).await,
        }
    };
    let outcome = engine::learner_turn(&curr, &mut state, text, assessment);
    let record = convert::turn_assessment(&curr, &before, &state, &outcome, text);
    app.store
        .record_assessment(&learner_turn.id, &record)
        .await?;
    save_state(app, &live.id, &state).await?;
    if let Err(e) = review_step(app, live, &state, &outcome).await {
        tracing::warn!(session = %live.id, error = %e, "review cards not updated");
    }
    live.lock_engine().state = state;
    count_turn(app, &outcome);

    let (said, rendered) = match &app.voice {
        TutorVoice::Offline => {
            speak_offline(app, live, &outcome.plan, &outcome.offline_text, slot).await?
        }
        TutorVoice::Llm(llm) => {
            let learner = live.lock_engine().state.learner.clone();
            let plan = &outcome.plan;
            crate::speak_llm::speak(app, live, llm, plan, &learner, &outcome.offline_text, slot)
                .await?
        }
    };
    if rendered.status == TurnStatus::Complete {
        live.lock_engine().last_tutor = Some(said);
    }
    after_reply(app, live, learner_turn, slot, &outcome).await
}

/// Releases the reply slot, then emits the turn's closing `progress`: a client that
/// waits for it may send its next message at once.
async fn close_turn(
    app: &AppState,
    live: &Arc<LiveSession>,
    slot: &ReplySlot,
    p: &engine::Progress,
) -> Result<(), Error> {
    app.hub.reply_ended(live, slot);
    live.emit(&app.store, ServerEvent::Progress(progress(p)))
        .await?;
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

/// The events that follow the reply: aha, concept advanced, curriculum done, and last
/// `progress`, which ends every turn.
async fn after_reply(
    app: &AppState,
    live: &Arc<LiveSession>,
    learner_turn: &TurnRow,
    slot: &ReplySlot,
    outcome: &TurnOutcome,
) -> Result<(), Error> {
    let store = &app.store;
    if let Some(aha) = &outcome.aha {
        metrics::counter!(telemetry::AHAS).increment(1);
        let event = ServerEvent::Aha {
            turn_id: learner_turn.id.to_string(),
            checkpoint: aha.checkpoint.as_ref().map(ToString::to_string),
            misconception: aha.misconception.as_ref().map(ToString::to_string),
            quote: aha.quote.clone(),
            move_: aha.triggered_by.kind().to_owned(),
        };
        live.emit(store, event).await?;
    }
    if let Some((from, to)) = &outcome.advanced {
        let title = live
            .curriculum
            .concept(to)
            .map(|c| c.title.clone())
            .unwrap_or_default();
        let event = ServerEvent::ConceptAdvanced {
            from: from.to_string(),
            to: to.to_string(),
            title,
        };
        live.emit(store, event).await?;
    }
    if outcome.finished {
        store.end_session(&live.id).await?;
        let event = ServerEvent::CurriculumComplete {
            curriculum: live.curriculum.id.to_string(),
        };
        live.emit(store, event).await?;
    }
    close_turn(app, live, slot, &outcome.progress).await
}

/// Streams authored text as a tutor turn: stored delta by delta, then finished.
async fn speak_offline(
    app: &AppState,
    live: &Arc<LiveSession>,
    plan: &TutorPlan,
    text: &str,
    slot: &ReplySlot,
) -> Result<(String, Rendered), Error> {
    let store = &app.store;
    let turn = store.begin_tutor_turn(&live.id).await?;
    let pause = std::time::Duration::from_millis(app.settings.offline_delta_delay_ms);
    for (i, chunk) in offline_chunks(text).into_iter().enumerate() {
        if i > 0 && !pause.is_zero() {
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
    Ok((said, rendered))
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

fn mode_name(live: &LiveSession) -> String {
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

async fn save_state(
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
                reached: c.reached,
                evidence: c.evidence.clone(),
                stated_by_tutor: c.stated_by_tutor,
            })
            .collect(),
        remaining: p.remaining,
    }
}
