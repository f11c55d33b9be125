//! The router and [`run`]: serve on an already-bound listener until a shutdown future
//! fires, then stop accepting, let running replies finish (or store them as partial after
//! the grace period), and close every socket with 1001.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::state::AppState;
use crate::{api, http, review_cards, ws};

/// A reply with no write (no delta, no status change) for this long is no longer being
/// streamed by any instance: its instance crashed. Longer than any live reply can go
/// quiet (the LLM client gives up after 30 s without a chunk, ~2 min before the first
/// token with retries), so a starting instance never cuts another's reply.
pub const STALE_REPLY_AFTER: Duration = Duration::from_secs(600);

/// Every route of the service, the embedded web client at `/` included, inside the
/// request id, trace, compression and security-header layers ([`crate::http_layers`]).
pub fn router(app: AppState) -> Router {
    let routes = Router::new()
        .merge(crate::web::router())
        .merge(crate::authoring::router())
        .route("/healthz", get(http::healthz))
        .route("/readyz", get(http::readyz))
        .route("/metrics", get(http::metrics))
        .route("/ws", get(ws::upgrade))
        .route("/api/curricula", get(api::curricula))
        .route("/api/review/due", get(api::review_due))
        .route("/api/review/stats", get(api::review_stats))
        .route("/api/review/cards", get(review_cards::list))
        .route(
            "/api/review/cards/{curriculum}/{checkpoint}/{action}",
            post(review_cards::act),
        )
        .route("/api/sessions", get(http::sessions))
        .route("/api/sessions/{id}/export", get(http::export))
        .with_state(app);
    crate::http_layers::observed(crate::http_layers::security_headers(routes))
}

/// Serves `app` on `listener` until `shutdown` completes, then shuts down gracefully.
pub async fn run(
    listener: TcpListener,
    app: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    app.settings.check()?;
    // Other instances on the same database may be streaming replies right now: only
    // replies nobody has written to for a while are a crash's leftovers.
    let closed = app
        .store
        .recover_streaming_turns_idle_for(STALE_REPLY_AFTER)
        .await?;
    if closed > 0 {
        tracing::warn!(closed, "tutor replies cut by a crash were kept as partial");
    }
    let stop_accepting = CancellationToken::new();
    let local = listener.local_addr()?;
    let routes = crate::edge::layers(router(app.clone()), &app, local);
    let server = tokio::spawn(crate::edge::serve(
        listener,
        routes,
        app.clone(),
        stop_accepting.clone(),
    ));
    let housekeeping = tokio::spawn(housekeeping(app.clone()));
    // Messages acknowledged but left unanswered by a crash (this instance's or another's)
    // are claimed and answered once their driver's lease has run out.
    match crate::reply::recover::sweep_once(&app).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(replies = n, "answering messages a crash left unanswered"),
        Err(e) => tracing::warn!(error = %e, "could not look for unanswered messages"),
    }
    let sweeper = tokio::spawn(crate::reply::recover::sweep(app.clone()));
    // Other instances' events and stops (PostgreSQL; returns at once on SQLite).
    let relay = tokio::spawn(crate::relay::listen(app.clone()));
    let revocations = app
        .settings
        .auth
        .then(|| tokio::spawn(crate::revoke::watch(app.clone())));

    shutdown.await;
    tracing::info!("shutting down: no new connections");
    stop_accepting.cancel();
    housekeeping.abort();
    sweeper.abort();
    relay.abort();
    if let Some(task) = revocations {
        task.abort();
    }

    // Running replies get a grace period, then are stopped and stored as partial.
    app.replies.close();
    let grace = Duration::from_millis(app.settings.shutdown_grace_ms);
    if tokio::time::timeout(grace, app.replies.wait())
        .await
        .is_err()
    {
        tracing::warn!("stopping replies still running; they are kept as partial");
        app.hub.stop_all();
        app.replies.wait().await;
    }
    app.close_sockets.cancel();
    app.connections.close();
    let _ = tokio::time::timeout(Duration::from_secs(5), app.connections.wait()).await;
    match tokio::time::timeout(Duration::from_secs(5), server).await {
        Ok(Ok(())) => {}
        Ok(Err(join)) => tracing::error!(error = %join, "server task failed"),
        Err(_) => tracing::warn!("connections still open after shutdown; leaving them"),
    }
    // Whatever this instance still holds, another may take over at once.
    match app.store.release_owner(&app.instance).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(sessions = n, "handed session leases back"),
        Err(e) => tracing::warn!(error = %e, "could not hand session leases back; they expire"),
    }
    app.store.close().await;
    tracing::info!("shut down");
    Ok(())
}

/// Once a minute: forget rate-limit state of learners who went quiet, let the metrics
/// recorder drop expired histogram buckets, and keep as partial the replies a crashed
/// instance left streaming (once they are [`STALE_REPLY_AFTER`] quiet).
async fn housekeeping(app: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    every.tick().await;
    loop {
        every.tick().await;
        if let Err(e) = app
            .store
            .recover_streaming_turns_idle_for(STALE_REPLY_AFTER)
            .await
        {
            tracing::warn!(error = %e, "could not close stale replies");
        }
        app.limiter.retain_recent();
        app.limiter.shrink_to_fit();
        app.edge.forget_old();
        if let Some(handle) = &app.metrics {
            handle.run_upkeep();
        }
    }
}
