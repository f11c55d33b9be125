//! The reply to a learner turn as owned, supervised work.
//!
//! - [`ReplyGuard`]: the session's one-reply-in-flight slot as a value; dropping it frees
//!   the slot, so an early return, an error or a panic cannot strand a session.
//! - `spawn`: runs a reply in its own task under supervision. The task holds the store's
//!   claim on the turn and renews its lease while it works; an error or a panic is caught
//!   at the task boundary, logged with the session id and a reference the learner sees, and
//!   the turn is closed as `failed` with a `tutor_done` and an `error` event in the log.
//! - [`recover`]: finds replies a crash left unfinished (at start-up, on resume, and every
//!   few seconds) and drives them to their end.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use klover_store::{PendingReply, ReplyState, SessionId, TurnId, TurnStatus};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::error::Error;
use crate::live::{LiveSession, ReplySlot};
use crate::protocol::{ErrorCode, ServerEvent};
use crate::state::AppState;
use crate::{telemetry, turn};

pub mod recover;

/// Holds a session's reply slot; dropping it frees the slot (and lets the session leave
/// memory when no socket is attached).
pub struct ReplyGuard {
    app: AppState,
    live: Arc<LiveSession>,
    slot: ReplySlot,
}

impl ReplyGuard {
    /// Claims `live`'s reply slot for the message `client_id`; `Err` with the running
    /// reply when one is in flight.
    pub fn claim(
        app: &AppState,
        live: &Arc<LiveSession>,
        client_id: &str,
    ) -> Result<Self, ReplySlot> {
        let slot = live.begin_reply(client_id)?;
        Ok(Self {
            app: app.clone(),
            live: live.clone(),
            slot,
        })
    }

    /// Frees the slot now (once a turn's closing events are stored, before they are sent,
    /// so a client that waits for them may send its next message at once). Idempotent.
    pub fn release(&self) {
        self.app.hub.reply_ended(&self.live, &self.slot);
    }
}

impl Deref for ReplyGuard {
    type Target = ReplySlot;
    fn deref(&self) -> &ReplySlot {
        &self.slot
    }
}

impl Drop for ReplyGuard {
    fn drop(&mut self) {
        self.release();
    }
}

/// Where a supervised reply starts.
pub(crate) enum Start {
    /// Already claimed by this instance (a message just acknowledged).
    Claimed(PendingReply),
    /// As `Claimed`, and the acknowledging transaction saw the engine state version the
    /// live session holds: its copy is current, no reload needed (one read fewer). With
    /// the engine's turn on that state when it was already worked out
    /// ([`turn::at_once`]: a reply not said whole), so it is not worked out twice.
    Current(PendingReply, Option<Box<turn::Worked>>),
    /// To be claimed first (recovery, a resend): nothing happens if another live
    /// instance holds it, or it is finished.
    Claim(TurnId),
}

/// Runs the reply to a learner turn in a supervised task holding `guard`.
/// The task runs in a `turn` span carrying the session, the learner and the learner turn
/// it answers: every log line of the turn, the LLM calls' included, can be found by them.
pub(crate) fn spawn(app: &AppState, live: Arc<LiveSession>, start: Start, guard: ReplyGuard) {
    let task_app = app.clone();
    let turn = match &start {
        Start::Claimed(p) | Start::Current(p, _) => p.turn.id.to_string(),
        Start::Claim(t) => t.to_string(),
    };
    let span = tracing::info_span!(
        "turn",
        session = %live.id,
        learner = %live.learner,
        turn = %turn,
    );
    app.replies.spawn(
        async move {
            supervise(task_app, live, start, guard).await;
        }
        .instrument(span),
    );
}

async fn supervise(app: AppState, live: Arc<LiveSession>, start: Start, guard: ReplyGuard) {
    let (pending, current, worked) = match start {
        Start::Current(p, worked) => (p, true, worked),
        Start::Claimed(p) => (p, false, None),
        Start::Claim(turn) => match app.store.claim_reply(&turn, app.lease()).await {
            Ok(Some(p)) => (p, false, None),
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(session = %live.id, turn = %turn, error = %e, "could not claim a reply; retried later");
                return;
            }
        },
    };
    let turn_id = pending.turn.id.clone();
    // Another instance may have answered this session since it was loaded here.
    if !current && let Err(e) = crate::session::refresh(&app, &live).await {
        tracing::warn!(session = %live.id, error = %e, "could not reload the engine state");
    }
    // The lease is renewed by a task of its own: polled from this one, a renewal could
    // wait for the store's writer lock held by the turn it interrupted (a deadlock).
    let renewals = tokio::spawn(
        keep_claim(
            app.clone(),
            live.id.clone(),
            turn_id.clone(),
            guard.cancel.clone(),
        )
        .in_current_span(),
    );
    let result = std::panic::AssertUnwindSafe(turn::drive(&app, &live, pending, &guard, worked))
        .catch_unwind()
        .await;
    renewals.abort();
    let failure = match result {
        Ok(Ok(())) => {
            tracing::debug!("turn answered");
            return;
        }
        Ok(Err(e)) => e.to_string(),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            format!("panicked: {what}")
        }
    };
    let reference = short_reference();
    tracing::error!(session = %live.id, turn = %turn_id, reference, error = failure, "turn failed; closing it as failed");
    telemetry::error("turn");
    if let Err(e) = fail(&app, &live, &turn_id, &reference, &guard).await {
        tracing::error!(session = %live.id, turn = %turn_id, error = %e, "could not close the failed turn; it is retried");
    }
}

/// Renews this instance's claim every third of the lease; a lost claim (another instance
/// took the reply over after our lease ran out) stops this reply.
async fn keep_claim(app: AppState, session: SessionId, turn: TurnId, cancel: CancellationToken) {
    let ttl = app.lease().ttl;
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + ttl / 3, ttl / 3);
    loop {
        every.tick().await;
        match app.store.renew_reply(&turn, app.lease()).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(session = %session, turn = %turn, "lost the claim on a reply; stopping it");
                cancel.cancel();
                return;
            }
            Err(e) => {
                tracing::warn!(session = %session, error = %e, "could not renew a reply's claim")
            }
        }
    }
}

/// Closes a turn that cannot be answered as `failed`: its tutor reply (if begun) ends with
/// `tutor_done`, or an empty failed reply is logged, then an `error` event saying so.
pub(crate) async fn fail(
    app: &AppState,
    live: &Arc<LiveSession>,
    turn: &TurnId,
    reference: &str,
    guard: &ReplyGuard,
) -> Result<(), Error> {
    let Some(pending) = app.store.claim_reply(turn, app.lease()).await? else {
        return Ok(());
    };
    let error = ServerEvent::Error {
        code: ErrorCode::Internal,
        message: format!(
            "Klover could not answer this message because of a fault on our side \
             (reference {reference}). Your message is saved; send your next one to carry on."
        ),
    };
    if let Some(reply) = &pending.reply_turn {
        turn::end_cut_reply(app, live, reply, TurnStatus::Failed, "none").await?;
        live.emit_close(&app.store, turn, ReplyState::Failed, &[error], None, || {
            guard.release()
        })
        .await?;
        return Ok(());
    }
    let reply = TurnId::new();
    let done = ServerEvent::TutorDone {
        turn_id: reply.to_string(),
        text: String::new(),
        move_: "none".into(),
        status: TurnStatus::Failed.as_str().into(),
    };
    live.emit_whole_reply(
        &app.store,
        &reply,
        "",
        TurnStatus::Failed,
        None,
        &[done, error],
        Some((turn, ReplyState::Failed)),
        None,
        || guard.release(),
    )
    .await?;
    Ok(())
}

/// A short id the learner sees and the log holds, to find one failure.
fn short_reference() -> String {
    uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(8)
        .collect()
}

/// How often the sweeper looks for orphaned replies: a quarter of the lease.
pub(crate) fn sweep_every(app: &AppState) -> Duration {
    (app.lease().ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(10))
}
