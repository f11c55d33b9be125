//! What other instances on the same PostgreSQL announce, brought to this one: the events
//! they append to a session that has sockets here (relayed from the log, so a socket here
//! follows a reply streaming there live), and the stops asked there for a reply running
//! here. One listening connection per instance (`klover_store::Listener`); SQLite has one
//! process and nothing to relay.

use std::time::Duration;

use klover_store::Notice;

use crate::state::AppState;

/// Listens until the task is aborted (shutdown), reconnecting after a failure.
pub async fn listen(app: AppState) {
    let mut pause = Duration::from_millis(250);
    loop {
        let mut listener = match app.store.listen().await {
            Ok(Some(listener)) => listener,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?pause, "cannot listen for other instances' events");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        pause = Duration::from_millis(250);
        // Whatever was announced before this connection listened is in the log.
        catch_up_all(&app).await;
        loop {
            match listener.next().await {
                Ok(notice) => on_notice(&app, notice).await,
                Err(e) => {
                    tracing::warn!(error = %e, "lost the listening connection; reconnecting");
                    break;
                }
            }
        }
    }
}

async fn on_notice(app: &AppState, notice: Notice) {
    match notice {
        Notice::Event { session, seq } => {
            let Some(live) = app.hub.get(&session) else {
                return;
            };
            let seq = u64::try_from(seq).unwrap_or_default();
            if let Err(e) = live.relay(&app.store, seq).await {
                tracing::warn!(session = %session, error = %e, "could not relay events");
            }
        }
        Notice::Stop { session } => {
            if let Some(live) = app.hub.get(&session)
                && live.stop_reply()
            {
                tracing::info!(session = %session, "stopped a reply at another instance's request");
            }
        }
        Notice::Reconnected => catch_up_all(app).await,
    }
}

/// Relays whatever the log holds beyond what each session in memory broadcast.
async fn catch_up_all(app: &AppState) {
    for live in app.hub.all() {
        if let Err(e) = live.relay(&app.store, u64::MAX).await {
            tracing::warn!(session = %live.id, error = %e, "could not relay events");
        }
    }
}
