//! Group commit: the turn path's writes of many sessions share one transaction and one
//! commit (one fsync), and each caller hears back only after the commit that holds its
//! write.
//!
//! One *open batch* per store: a transaction on one pooled connection, behind a mutex
//! that is also the process's writer queue (SQLite takes one writer at a time). A writer
//! locks it, runs its statements inside a savepoint of the open transaction (beginning
//! one if none is open) and releases the savepoint, so a write that fails or rolls back
//! undoes only itself; then it leaves a oneshot in the batch and lets go of the mutex
//! ([`Writing::durable`]). The committer task of the store wakes, takes the mutex behind
//! the writers already queued for it (tokio's mutex is fair), commits, and answers every
//! oneshot of that batch with the commit's outcome. Writers that arrive while it commits
//! queue on the mutex and form the next batch. Under no load each write still gets its
//! own commit at once; nothing waits for a timer.
//!
//! Writes that do not use a savepoint (see [`Writing::flush`]) commit the open batch
//! first and then run on their own connection while holding the mutex, so they never wait
//! on a lock the batch holds.
//!
//! That is SQLite, which takes one writer at a time anyway. On PostgreSQL each writer has
//! a batch of its own, committed at once on its own connection, and writers run in
//! parallel: PostgreSQL's WAL flush already groups commits that arrive together from
//! several connections, and one shared batch serialised every write of the process on one
//! connection (offline, 200 learners: 119 → 44 turns/s, docs/benchmarks.md). The rule
//! that matters holds on both: nothing is acknowledged before the commit that holds it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use sqlx::{Acquire, AnyPool};
use tokio::sync::{Mutex, MutexGuard, Notify, oneshot};

use crate::StoreError;

/// The answer a writer waits for: the batch's commit succeeded, or why it failed.
type Ack = Result<(), Arc<str>>;

/// The open batch and the committer's wake-up call (one per [`crate::Store`]).
pub(crate) struct GroupCommit {
    /// The batch being filled; its lock is the writer queue.
    open: Mutex<Open>,
    /// Wakes the committer: a batch is waiting (also sent when this drops, so it exits).
    wake: Arc<Notify>,
    /// False once the committer task is gone (its runtime ended): writers then commit
    /// their batch themselves instead of waiting for an answer that cannot come.
    committer_alive: Arc<AtomicBool>,
    /// Commits so far, batches and single writes alike (see `Store::write_transactions`).
    commits: Arc<AtomicU64>,
    /// Writes that waited for a group commit so far (see `Store::grouped_writes`).
    pub(crate) grouped: AtomicU64,
    /// Each writer commits a batch of its own, in parallel with the others (PostgreSQL).
    solo: bool,
}

#[derive(Default)]
struct Open {
    tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
    /// One per write in `tx`, answered after its commit.
    waiting: Vec<oneshot::Sender<Ack>>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("commits", &self.commits)
            .finish_non_exhaustive()
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.wake.notify_one();
    }
}

impl GroupCommit {
    /// A group commit counting its commits in `commits`, with its committer task spawned
    /// on the current runtime.
    /// With `solo`, each writer has a batch of its own (see the module's docs).
    pub(crate) fn start(commits: Arc<AtomicU64>, solo: bool) -> Arc<GroupCommit> {
        let group = Arc::new(GroupCommit {
            open: Mutex::new(Open::default()),
            wake: Arc::new(Notify::new()),
            committer_alive: Arc::new(AtomicBool::new(true)),
            commits,
            grouped: AtomicU64::new(0),
            solo,
        });
        let wake = group.wake.clone();
        let alive = AliveFlag(group.committer_alive.clone());
        tokio::spawn(committer(Arc::downgrade(&group), wake, alive));
        group
    }

    /// Waits for the writer queue and returns this writer's place in the open batch.
    pub(crate) async fn writer<'g>(&'g self, pool: &'g AnyPool) -> Writing<'g> {
        let open = if self.solo {
            Held::Own(Box::default())
        } else {
            Held::Shared(self.open.lock().await)
        };
        Writing {
            open,
            group: self,
            pool,
        }
    }
}

/// Clears the committer's liveness flag when the task ends or is dropped with its runtime.
struct AliveFlag(Arc<AtomicBool>);

impl Drop for AliveFlag {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The committer task: commits whatever batch is open each time a writer asks, until
/// the store is gone.
async fn committer(group: Weak<GroupCommit>, wake: Arc<Notify>, _alive: AliveFlag) {
    loop {
        wake.notified().await;
        let Some(group) = group.upgrade() else { return };
        let mut open = group.open.lock().await;
        commit(&mut open, &group.commits).await;
    }
}

/// Commits the open batch, if any, and answers its writers.
async fn commit(open: &mut Open, commits: &AtomicU64) {
    let waiting = std::mem::take(&mut open.waiting);
    let Some(tx) = open.tx.take() else { return };
    let ack: Ack = tx.commit().await.map_err(|e| Arc::from(e.to_string()));
    if !waiting.is_empty() {
        commits.fetch_add(1, Ordering::Relaxed);
    }
    if let Err(e) = &ack {
        tracing::error!(error = %e, writes = waiting.len(), "a group commit failed");
    }
    for w in waiting {
        // A writer that stopped waiting (its task was cancelled) needs no answer.
        let _ = w.send(ack.clone());
    }
}

/// A writer's hold on the writer queue and its place in the open batch. Dropping it
/// without [`Writing::durable`] leaves nothing of its own in the batch (its savepoint
/// rolled back) and lets the committer commit the others.
pub(crate) struct Writing<'g> {
    open: Held<'g>,
    group: &'g GroupCommit,
    pool: &'g AnyPool,
}

impl Writing<'_> {
    /// A savepoint in the open batch's transaction (beginning the transaction if none is
    /// open): commit it to keep the writes in the batch, then call [`Writing::durable`].
    pub(crate) async fn begin(&mut self) -> Result<sqlx::Transaction<'_, sqlx::Any>, StoreError> {
        let outer = match self.open.tx.take() {
            Some(tx) => tx,
            None => self.pool.begin().await?,
        };
        let outer = self.open.tx.insert(outer);
        Ok(outer.begin().await?)
    }

    /// Lets go of the writer queue and waits until the commit holding this writer's
    /// savepoint: `Ok` means it is durable.
    pub(crate) async fn durable(mut self) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.open.waiting.push(tx);
        self.group.grouped.fetch_add(1, Ordering::Relaxed);
        if self.group.solo || !self.group.committer_alive.load(Ordering::Acquire) {
            commit(&mut self.open, &self.group.commits).await;
        }
        drop(self);
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::CommitFailed(e.to_string())),
            Err(_) => Err(StoreError::CommitFailed(
                "the store closed before the commit".into(),
            )),
        }
    }

    /// Commits the open batch now (its writers hear back), for a write that runs on its
    /// own connection while holding the writer queue; counts that write's own commit.
    pub(crate) async fn flush(&mut self) {
        commit(&mut self.open, &self.group.commits).await;
        self.group.commits.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if matches!(self.open, Held::Shared(_)) && self.open.tx.is_some() {
            self.group.wake.notify_one();
        }
    }
}

/// The batch a writer fills: the shared open one (behind the writer queue) or its own.
enum Held<'g> {
    Shared(MutexGuard<'g, Open>),
    Own(Box<Open>),
}

impl std::ops::Deref for Held<'_> {
    type Target = Open;
    fn deref(&self) -> &Open {
        match self {
            Held::Shared(open) => open,
            Held::Own(open) => open,
        }
    }
}

impl std::ops::DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut Open {
        match self {
            Held::Shared(open) => open,
            Held::Own(open) => open,
        }
    }
}
