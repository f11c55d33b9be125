//! Speaking authored text as a tutor turn (whole, in one transaction, or streamed delta by
//! delta), ending a reply a crash cut, and closing a turn with its closing events.

use std::sync::Arc;

use klover_domain::policy::TutorPlan;
use klover_store::{ReplyState, TurnId, TurnRow, TurnStatus};

use super::move_kind;
use super::tail::Following;
use crate::error::Error;
use crate::fault;
use crate::live::{AssessedTurn, LiveSession};
use crate::protocol::ServerEvent;
use crate::reply::ReplyGuard;
use crate::state::AppState;
use crate::voice::{cut_status, offline_chunks, whole_delta};

/// What ends a turn: its closing events (aha, concept advanced, the next concept's
/// opening, the end of a session, the closing `progress`), the learner turn they close
/// (none for a session's opening), and the reply slot, freed once they are stored.
pub(crate) struct Closing<'a> {
    pub(crate) events: Vec<ServerEvent>,
    pub(crate) answers: Option<&'a TurnId>,
    pub(crate) guard: &'a ReplyGuard,
    /// The next concept's opening, a tutor turn of its own whose events are among
    /// `events`: stored in the same transaction, so a stop or a crash during the closing
    /// never leaves the learner without the next question.
    pub(crate) following: Option<&'a Following>,
    /// The learner turn's assessment and engine state, when they are stored with its
    /// offline reply (said whole) instead of before it.
    pub(crate) assessed: Option<AssessedTurn>,
}

impl Closing<'_> {
    /// Stores the closing events, closing the learner turn as the reply `status` says, in
    /// one transaction; frees the slot; sends them. Logged once: a second close is a no-op.
    pub(crate) async fn close(
        self,
        app: &AppState,
        live: &Arc<LiveSession>,
        status: TurnStatus,
    ) -> Result<(), Error> {
        let guard = self.guard;
        let following = self.following.map(Following::as_stored);
        match self.answers {
            Some(turn) => {
                let state = reply_state(status);
                live.emit_close(&app.store, turn, state, &self.events, following, || {
                    guard.release()
                })
                .await?;
            }
            None => {
                live.emit_all(&app.store, &self.events, || guard.release())
                    .await?;
            }
        }
        Ok(())
    }
}

/// How a reply that ended as `status` leaves the learner turn it answers.
fn reply_state(status: TurnStatus) -> ReplyState {
    match status {
        TurnStatus::Complete => ReplyState::Answered,
        TurnStatus::Failed => ReplyState::Failed,
        TurnStatus::Partial | TurnStatus::Streaming => ReplyState::Partial,
    }
}

/// Speaks authored text as a tutor turn, then closes the turn. With no pause between
/// deltas the reply is known in full at once: the turn, its deltas, `tutor_done` and the
/// closing events are stored in one transaction, then sent in seq order. With a pause it is
/// streamed: stored delta by delta (a stop keeps what was sent), ended with `tutor_done`,
/// then closed. Returns how the reply ended.
pub(crate) async fn speak_offline(
    app: &AppState,
    live: &Arc<LiveSession>,
    plan: &TutorPlan,
    text: &str,
    closing: Closing<'_>,
) -> Result<TurnStatus, Error> {
    let store = &app.store;
    let pause = std::time::Duration::from_millis(app.settings.offline_delta_delay_ms);
    if pause.is_zero() || closing.assessed.is_some() {
        return speak_whole(app, live, plan, text, closing).await;
    }
    let cancel = closing.guard.cancel.clone();
    let turn = match closing.answers {
        Some(answers) => store.begin_reply_turn(&live.id, answers).await?,
        None => store.begin_tutor_turn(&live.id).await?,
    };
    for (i, chunk) in offline_chunks(text).into_iter().enumerate() {
        if i > 0 {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        if cancel.is_cancelled() {
            break;
        }
        live.emit_delta(store, &turn.id, chunk).await?;
        if i == 0 && closing.answers.is_some() {
            fault::point("mid_reply").await;
        }
    }
    let move_json = serde_json::to_string(&plan.primary()).ok();
    let done = live
        .emit_finish(
            store,
            &turn.id,
            cut_status(&cancel),
            &move_kind(plan),
            move_json.as_deref(),
            None,
        )
        .await?;
    if closing.answers.is_some() {
        fault::point("before_close").await;
    }
    closing.close(app, live, done.status).await?;
    Ok(done.status)
}

/// An offline reply in one transaction with its events (see [`speak_offline`]). A stop
/// before it is stored leaves an empty `partial` turn, as the streamed path does.
async fn speak_whole(
    app: &AppState,
    live: &Arc<LiveSession>,
    plan: &TutorPlan,
    text: &str,
    closing: Closing<'_>,
) -> Result<TurnStatus, Error> {
    let status = cut_status(&closing.guard.cancel);
    let turn_id = TurnId::new();
    let (said, mut events) = said_whole(&turn_id, plan, text, status);
    events.extend(closing.events);
    let move_json = serde_json::to_string(&plan.primary()).ok();
    let guard = closing.guard;
    let answers = closing.answers.map(|t| (t, reply_state(status)));
    let following = closing.following.map(Following::as_stored);
    let row = match (answers, closing.assessed) {
        (Some(answers), Some(d)) => {
            live.emit_assessed_reply(
                &app.store,
                &turn_id,
                &said,
                status,
                move_json.as_deref(),
                &events,
                answers,
                d,
                || guard.release(),
            )
            .await?
        }
        (None, Some(_)) => {
            return Err(Error::Internal(
                "an assessment to store with a reply that answers no turn".into(),
            ));
        }
        (_, None) => {
            live.emit_whole_reply(
                &app.store,
                &turn_id,
                &said,
                status,
                move_json.as_deref(),
                &events,
                answers,
                following,
                || guard.release(),
            )
            .await?
        }
    };
    Ok(row.status)
}

/// A reply said whole as turn `turn_id`: what is said (all of `text` when `status` is
/// complete, nothing when the reply was stopped first), its `tutor_delta` and `tutor_done`.
pub(crate) fn said_whole(
    turn_id: &TurnId,
    plan: &TutorPlan,
    text: &str,
    status: TurnStatus,
) -> (String, Vec<ServerEvent>) {
    let chunks = match status {
        TurnStatus::Complete => whole_delta(text),
        _ => Vec::new(),
    };
    let said = chunks.concat();
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
        status: status.as_str().to_owned(),
    });
    (said, events)
}

/// Ends the tutor turn `reply` if a crash (or a failure) left it streaming: what it holds
/// stands, as `partial` (or `if_empty` when it holds nothing), with its `tutor_done`.
/// Returns the turn as it now is (`None` if there is no such turn).
pub(crate) async fn end_cut_reply(
    app: &AppState,
    live: &Arc<LiveSession>,
    reply: &TurnId,
    if_empty: TurnStatus,
    move_: &str,
) -> Result<Option<TurnRow>, Error> {
    let Some(turn) = app.store.turn(&live.id, reply).await? else {
        return Ok(None);
    };
    if turn.status != TurnStatus::Streaming {
        return Ok(Some(turn));
    }
    let status = if turn.text.is_empty() {
        if_empty
    } else {
        TurnStatus::Partial
    };
    let done = live
        .emit_finish(&app.store, &turn.id, status, move_, None, None)
        .await?;
    tracing::warn!(session = %live.id, turn = %turn.id, status = %done.status, "a reply cut by a crash was ended");
    Ok(Some(done))
}
