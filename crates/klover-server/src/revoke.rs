//! Revocation reaches open sockets: each socket authenticated by a token registers the
//! token's hash here, and [`watch`] asks the store once a second for tokens revoked
//! since its last look and fires their sockets' [`CancellationToken`]s (the connection
//! loop then stops its reply and closes with 1008).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// How often the store is asked for revoked tokens.
pub const POLL: Duration = Duration::from_secs(1);

/// Open sockets by the hash of the token that authenticated them.
#[derive(Debug, Default)]
pub struct Revocations {
    by_hash: Mutex<HashMap<String, (CancellationToken, usize)>>,
}

/// A socket's registration; dropping it unregisters the socket.
#[derive(Debug)]
pub struct Watched {
    registry: Arc<Revocations>,
    hash: String,
    /// Fires when the token is revoked.
    pub revoked: CancellationToken,
}

/// Lowercase hex SHA-256 of a token, as the store keeps it.
pub fn token_hash(token: &str) -> String {
    klover_store::token_hash(token.trim())
}

impl Revocations {
    fn map(&self) -> MutexGuard<'_, HashMap<String, (CancellationToken, usize)>> {
        self.by_hash.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a socket authenticated by `token`.
    pub fn watch(self: &Arc<Self>, token: &str) -> Watched {
        let hash = token_hash(token);
        let mut map = self.map();
        let entry = map
            .entry(hash.clone())
            .or_insert_with(|| (CancellationToken::new(), 0));
        entry.1 += 1;
        Watched {
            registry: self.clone(),
            hash,
            revoked: entry.0.clone(),
        }
    }

    /// Fires the sockets of each revoked token hash; returns how many tokens had sockets.
    pub fn revoke(&self, hashes: &[String]) -> usize {
        let map = self.map();
        hashes
            .iter()
            .filter_map(|h| map.get(h))
            .inspect(|(cancel, _)| cancel.cancel())
            .count()
    }

    fn is_empty(&self) -> bool {
        self.map().is_empty()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let mut map = self.registry.map();
        if let Some(entry) = map.get_mut(&self.hash) {
            entry.1 = entry.1.saturating_sub(1);
            if entry.1 == 0 {
                map.remove(&self.hash);
            }
        }
    }
}

/// Polls the store for revocations while the server runs (auth on only).
pub async fn watch(app: AppState) {
    let mut since = chrono::Utc::now().timestamp_millis();
    let mut every = tokio::time::interval(POLL);
    loop {
        every.tick().await;
        if app.revocations.is_empty() {
            since = chrono::Utc::now().timestamp_millis();
            continue;
        }
        // A margin for clocks of other hosts writing the revocation.
        let asked_at = chrono::Utc::now().timestamp_millis();
        match app.store.tokens_revoked_since(since - 5_000).await {
            Ok(hashes) => {
                let closed = app.revocations.revoke(&hashes);
                if closed > 0 {
                    tracing::info!(tokens = closed, "closing sockets of revoked tokens");
                }
                since = asked_at;
            }
            Err(e) => tracing::warn!(error = %e, "could not look for revoked tokens"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revoked_hash_fires_its_sockets_and_a_dropped_watch_unregisters() {
        let reg = Arc::new(Revocations::default());
        let a = reg.watch("klv_a");
        let a2 = reg.watch("klv_a");
        let b = reg.watch("klv_b");
        assert_eq!(reg.revoke(&[token_hash("klv_a")]), 1);
        assert!(a.revoked.is_cancelled() && a2.revoked.is_cancelled());
        assert!(!b.revoked.is_cancelled());
        drop((a, a2, b));
        assert!(reg.is_empty());
    }
}
