//! The state every handler shares, built once by [`AppState::new`]. Cheap to clone.

use std::num::NonZeroU32;
use std::ops::Deref;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use klover_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::catalog::Catalog;
use crate::hub::Hub;
use crate::settings::Settings;
use crate::voice::TutorVoice;

/// Shared state; see each field for why it exists.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds.
pub struct Shared {
    /// The settings the server started with (read-only).
    pub settings: Settings,
    /// The database (a pool handle).
    pub store: Store,
    /// The curricula, loaded at start-up.
    pub catalog: Catalog,
    /// Sessions in memory (engine state, reply slot, event fan-out).
    pub hub: Hub,
    /// Per-learner frame rate limit, keyed by learner id.
    pub limiter: DefaultKeyedRateLimiter<String>,
    /// Offline, or an LLM voice and judge.
    pub voice: TutorVoice,
    /// The Prometheus handle, if this process's recorder is ours.
    pub metrics: Option<PrometheusHandle>,
    /// Fires when every socket must close with 1001 (end of shutdown).
    pub close_sockets: CancellationToken,
    /// Running tutor replies, so shutdown can wait for them.
    pub replies: TaskTracker,
    /// Open websocket connections, so shutdown can wait for them to say goodbye.
    pub connections: TaskTracker,
    /// Connection caps and per-IP throttles at the edge.
    pub edge: crate::edge::Edge,
    /// Open sockets by token, so a revocation closes them.
    pub revocations: Arc<crate::revoke::Revocations>,
    /// This process's id as the owner of the replies it drives (a claim in the store).
    pub instance: String,
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// This instance's lease on a reply it drives.
    pub fn lease(&self) -> klover_store::Lease<'_> {
        klover_store::Lease {
            owner: &self.instance,
            ttl: std::time::Duration::from_millis(self.settings.reply_lease_ms.max(100)),
        }
    }

    /// Builds the shared state from its parts.
    pub fn new(settings: Settings, store: Store, catalog: Catalog, voice: TutorVoice) -> Self {
        let limits = &settings.limits;
        let per_minute = NonZeroU32::new(limits.rate_per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.rate_burst).unwrap_or(NonZeroU32::MIN);
        let limiter = RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst));
        let edge = crate::edge::Edge::new(limits);
        Self(Arc::new(Shared {
            settings,
            store,
            catalog,
            hub: Hub::default(),
            limiter,
            voice,
            metrics: crate::telemetry::handle(),
            close_sockets: CancellationToken::new(),
            replies: TaskTracker::new(),
            connections: TaskTracker::new(),
            instance: uuid::Uuid::new_v4().to_string(),
            edge,
            revocations: Arc::default(),
        }))
    }
}
