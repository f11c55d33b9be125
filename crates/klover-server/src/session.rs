//! Starting a session (in the store and in memory) with its opening question, and loading
//! a stored session back into memory for a resume. The turns that follow are
//! [`crate::turn`]'s.

use std::sync::Arc;

use klover_domain::Curriculum;
use klover_domain::engine::{self, Carried, Opening, SessionState, StartFrom};
use klover_domain::ids::ConceptId;
use klover_domain::learner::{CheckpointKnowledge, MisconceptionState};
use klover_store::{LearnerId, NewSession, SessionKind, Store};

use crate::auth::Identity;
use crate::error::Error;
use crate::live::{EngineSlot, LiveSession};
use crate::protocol::ServerEvent;
use crate::reply::ReplyGuard;
use crate::state::AppState;
use crate::turn::{Closing, Tail, mode_name, save_state, speak_offline};
use crate::voice::TutorVoice;

/// What a `start` asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Start<'a> {
    /// The concept to open; `None` continues where the learner left off.
    pub concept: Option<&'a str>,
    /// A review session (of the learner's due cards) instead of learning.
    pub review: bool,
    /// Nothing carried from earlier sessions: the prior, from the first concept (or
    /// `concept`).
    pub fresh: bool,
}

/// Creates a session in the store and in memory; call [`open`] once a socket listens. A
/// learning session starts from what the learner has shown in earlier sessions on the
/// curriculum ([`carried`]), unless it is `fresh`.
pub async fn create(
    app: &AppState,
    who: &Identity,
    curriculum: &str,
    start: Start<'_>,
) -> Result<(Arc<LiveSession>, Opening), Error> {
    let Start {
        concept,
        review,
        fresh,
    } = start;
    let taught = crate::curricula::for_new_session(&app.store, &app.catalog, curriculum).await?;
    let curr = taught.curriculum;
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
        let (carried, from) = match (concept, fresh) {
            (Some(id), true) => (Carried::default(), StartFrom::Concept(id)),
            (None, true) => (Carried::default(), StartFrom::Fresh),
            (Some(id), false) => (
                carried(&app.store, &who.learner, &curr).await?,
                StartFrom::Concept(id),
            ),
            (None, false) => (
                carried(&app.store, &who.learner, &curr).await?,
                StartFrom::Continue,
            ),
        };
        engine::start_from(&curr, &carried, &from)?
    };
    let mode = match app.voice {
        TutorVoice::Offline => klover_store::Mode::Offline,
        TutorVoice::Llm(_) => klover_store::Mode::Llm,
    };
    let row = app
        .store
        .create_pinned_session(
            &NewSession {
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
            },
            taught.number,
        )
        .await?;
    let version = save_state(app, &row.id, &state, row.state_version).await?;
    let slot = EngineSlot {
        state,
        last_tutor: Some(opening.offline_text.clone()),
        version,
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

/// What `learner` carries into a new learning session on `curr`: the store's model across
/// their sessions (mastery per checkpoint, which the tutor had to state, misconceptions
/// still open) and the concept their latest learning session was at. A review session
/// carries nothing: it re-probes its cards from the prior.
pub async fn carried(
    store: &Store,
    learner: &LearnerId,
    curr: &Curriculum,
) -> Result<Carried, Error> {
    let rows = store.learner_model(learner, &curr.id).await?;
    let mut carried = Carried::default();
    for row in rows.mastery {
        if curr.checkpoint(&row.checkpoint).is_none() {
            continue; // from an older version of the curriculum
        }
        if row.stated_by_tutor {
            carried.stated.insert(row.checkpoint.clone());
        }
        let knowledge = CheckpointKnowledge {
            p_known: row.mastery.clamp(0.0, 1.0),
            evidence: None,
            stated_by_tutor: false,
        };
        carried
            .learner
            .checkpoints
            .insert(row.checkpoint, knowledge);
    }
    for row in rows.misconceptions.into_iter().filter(|m| m.active) {
        let open = MisconceptionState {
            active: true,
            evidence: None,
            corrected_by_tutor: false,
        };
        carried
            .learner
            .misconceptions
            .insert(row.misconception, open);
    }
    carried.last_concept = store.latest_learn_concept(learner, &curr.id).await?;
    Ok(carried)
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
    let guard = ReplyGuard::claim(app, live, "")
        .map_err(|_| Error::Internal("a new session is already replying".into()))?;
    let closing = Closing {
        events: Tail::opening(live, &opening.progress),
        answers: None,
        guard: &guard,
        following: None,
        assessed: None,
    };
    speak_offline(app, live, &opening.plan, &opening.offline_text, closing).await?;
    Ok(())
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
    let live = from_row(app, row).await?;
    Ok(app.hub.attach(live))
}

/// Loads a stored session into memory with no socket attached, to finish a reply a crash
/// left unanswered (whoever owns it).
pub async fn load_detached(
    app: &AppState,
    session: &klover_store::SessionId,
) -> Result<Arc<LiveSession>, Error> {
    if let Some(live) = app.hub.get(session) {
        return Ok(live);
    }
    let row = app
        .store
        .find_session(session)
        .await?
        .ok_or_else(|| Error::NotFound(format!("session `{session}`")))?;
    let live = from_row(app, row).await?;
    Ok(app.hub.insert_detached(live))
}

/// Reloads `live`'s engine state from the store if another instance saved a newer one
/// since it was loaded here (a session followed here while it was answered there).
pub async fn refresh(app: &AppState, live: &LiveSession) -> Result<(), Error> {
    let stored = app.store.state_version(&live.id).await?;
    if stored == live.lock_engine().version {
        return Ok(());
    }
    let row = app
        .store
        .find_session(&live.id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("session `{}`", live.id)))?;
    let slot = engine_slot(app, &live.curriculum, &row).await?;
    *live.lock_engine() = slot;
    Ok(())
}

/// The engine state, the tutor's last words and the state's version, as stored.
async fn engine_slot(
    app: &AppState,
    curr: &klover_domain::Curriculum,
    row: &klover_store::SessionRow,
) -> Result<EngineSlot, Error> {
    let state: SessionState = match row.engine_state.as_deref() {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| Error::Internal(format!("stored session state is unreadable: {e}")))?,
        None => engine::start(curr, Some(&row.current_concept))?.0,
    };
    // The latest turns only (a bounded read, however long the session).
    let last_tutor = app
        .store
        .recent_turns(&row.id, crate::speculate::CONTEXT_TURNS)
        .await?
        .0
        .into_iter()
        .rev()
        .find(|t| t.role == klover_store::TurnRole::Tutor && !t.text.is_empty())
        .map(|t| t.text);
    Ok(EngineSlot {
        state,
        last_tutor,
        version: row.state_version,
    })
}

async fn from_row(
    app: &AppState,
    row: klover_store::SessionRow,
) -> Result<Arc<LiveSession>, Error> {
    let curr = crate::curricula::for_session(&app.store, &app.catalog, &row).await?;
    let slot = engine_slot(app, &curr, &row).await?;
    let head = app.store.head_seq(&row.id).await?;
    let live = LiveSession::new(
        row.id,
        row.learner,
        curr,
        row.mode.as_str().to_owned(),
        slot,
    );
    live.relayed_up_to(u64::try_from(head).unwrap_or_default());
    Ok(Arc::new(live))
}
