//! Replies a crash left unfinished. A learner turn acknowledged but not closed has a row
//! saying where it stands (see migration 0006); once its driver's lease has run out, some
//! instance claims it and drives it to its end: at start-up, when its session is resumed
//! (or the message is sent again), and every quarter lease by [`sweep`].

use std::sync::Arc;

use klover_store::SessionId;

use super::{ReplyGuard, Start, spawn, sweep_every};
use crate::error::Error;
use crate::live::LiveSession;
use crate::session;
use crate::state::AppState;

/// How many orphaned replies one sweep takes on.
const SWEEP_BATCH: i64 = 64;

/// Drives the oldest unfinished reply of `live`, if any and if no reply is running here.
/// Returns whether one was started (it may still find the turn held by a live instance).
pub async fn recover_session(app: &AppState, live: &Arc<LiveSession>) -> Result<bool, Error> {
    if live.replying() {
        return Ok(false);
    }
    let pending = app.store.unfinished_replies(&live.id).await?;
    let Some(first) = pending.into_iter().next() else {
        return Ok(false);
    };
    let client_id = first.turn.client_message_id.clone().unwrap_or_default();
    match ReplyGuard::claim(app, live, &client_id) {
        Ok(guard) => {
            spawn(app, live.clone(), Start::Claim(first.turn.id), guard);
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

/// Every quarter lease until `stop`: claims and drives replies whose driver is gone.
pub async fn sweep(app: AppState) {
    let mut every = tokio::time::interval(sweep_every(&app));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match sweep_once(&app).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(replies = n, "finishing replies a crash left unanswered"),
            Err(e) => tracing::warn!(error = %e, "could not look for unanswered replies"),
        }
    }
}

/// One sweep; returns how many replies it started.
pub async fn sweep_once(app: &AppState) -> Result<usize, Error> {
    let orphans = app.store.orphaned_replies(SWEEP_BATCH).await?;
    let mut started = 0;
    let mut seen: Vec<SessionId> = Vec::new();
    for (session_id, _turn) in orphans {
        if seen.contains(&session_id) {
            continue;
        }
        seen.push(session_id.clone());
        let live = match session::load_detached(app, &session_id).await {
            Ok(live) => live,
            Err(e) => {
                tracing::warn!(session = %session_id, error = %e, "cannot load a session to finish its reply");
                continue;
            }
        };
        if recover_session(app, &live).await? {
            started += 1;
        }
        app.hub.forget_if_idle(&live);
    }
    Ok(started)
}
