//! Running a transaction again when PostgreSQL rolled it back to break a deadlock
//! (SQLSTATE 40P01) or a serialization conflict (40001).
//!
//! With auth off every connection is the one local learner, so concurrent sessions update
//! the same learner-model rows. The turn's transaction takes those row locks in one order
//! (see `learning.rs`), so no deadlock forms among turns; but a transaction outside the
//! store's control (an operator's script, a future write path) can still close a cycle, and
//! PostgreSQL then rolls one side back. Nothing of a rolled-back transaction is stored, so
//! running the whole of it again is safe: each retried write path builds its transaction
//! from its inputs alone, and its conditional statements (a compare-and-set on the engine
//! state's version, `reply = 'acknowledged'`) see the same rows as the first run did.
//! A failed commit is never retried: whether it took effect is unknown.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::{Store, StoreError};

/// Runs of one transaction at most (the first and three more).
pub(crate) const ATTEMPTS: u32 = 4;

impl StoreError {
    /// Whether the database rolled the transaction back to break a deadlock or a
    /// serialization conflict: nothing of it is stored, and running it again may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("40P01" | "40001"))
            }
            _ => false,
        }
    }
}

impl Store {
    /// Runs `transaction` until it succeeds, fails for another reason, or has run
    /// [`ATTEMPTS`] times; each run must be a whole transaction (begun and committed
    /// inside it). Counts the reruns in [`Store::transient_retries`].
    pub(crate) async fn retrying<T, F>(
        &self,
        what: &'static str,
        mut transaction: impl FnMut() -> F,
    ) -> Result<T, StoreError>
    where
        F: Future<Output = Result<T, StoreError>>,
    {
        let mut run = 1;
        loop {
            match transaction().await {
                Err(e) if e.is_transient() && run < ATTEMPTS => {
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(what, run, error = %e, "the database rolled the transaction back; running it again");
                    // A short pause, longer each time and jittered, so that the two sides
                    // of a deadlock do not meet again at once.
                    let pause = rand::random_range(5..=20) * u64::from(run);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    run += 1;
                }
                other => return other,
            }
        }
    }
}
