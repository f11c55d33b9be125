//! The write path for writes that run through sqlx, and what they share: each caller
//! hears back only after the commit that holds its write.
//!
//! On a SQLite file the turn path's writes go to the writer thread ([`crate::writer`]),
//! which groups their commits; every other write here pauses that thread for its turn
//! ([`crate::writer::Writer::exclusive`]) and commits a batch of its own (as *solo*
//! below). PostgreSQL's writers are solo too (see the end of this comment). The shared
//! batch below is for SQLite without a writer thread (an in-memory database), where sqlx
//! runs every write:
//!
//! One *open batch* per store: a transaction on one pooled connection, behind a mutex
//! that is also the process's writer queue (SQLite takes one writer at a time). A writer
//! locks it and runs its statements after the batch's savepoint (beginning the
//! transaction and setting the savepoint if none is open); keeping the write moves the
//! savepoint past it (`RELEASE` and `SAVEPOINT` again), and a write that fails, rolls back
//! or is dropped goes back to it, so it undoes only itself. The move is owed, not sent: the
//! next write makes it before its own statements (in the same query when its statements
//! go as a [`Batch`], see [`Writing::begin_batched`]), and a commit needs none. Then it
//! leaves a oneshot in the batch and lets go of the mutex ([`Writing::durable`]). The committer task of the store wakes, takes the mutex behind
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
//! a batch of its own, committed at once on its own connection (its first write needs no
//! savepoint: undoing it drops the transaction), and writers run in parallel: PostgreSQL's WAL flush already groups commits that arrive together from
//! several connections, and one shared batch serialised every write of the process on one
//! connection (offline, 200 learners: 119 → 44 turns/s, docs/benchmarks.md). The rule
//! that matters holds on both: nothing is acknowledged before the commit that holds it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use sqlx::AnyPool;
use tokio::sync::{Mutex, MutexGuard, Notify, oneshot};

use crate::StoreError;
use crate::batch::{Batch, Ran, Stopped};
use crate::writer::{Ticket, Writer};

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
    /// Holds of the writer queue so far, and their total time in nanoseconds (see
    /// `Store::writer_queue`): from a writer's turn to its letting go.
    pub(crate) holds: AtomicU64,
    pub(crate) held_ns: AtomicU64,
    /// Each writer commits a batch of its own, in parallel with the others (PostgreSQL),
    /// or after pausing the SQLite writer thread.
    solo: bool,
    /// The SQLite writer thread, which runs the turn path's writes: every other writer
    /// pauses it for its turn ([`crate::writer::Writer::exclusive`]).
    thread: Option<Arc<Writer>>,
}

#[derive(Default)]
struct Open {
    tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
    /// One per write in `tx`, answered after its commit.
    waiting: Vec<oneshot::Sender<Ack>>,
    /// A writer let go of its [`Savepoint`] without keeping or undoing it: its statements
    /// are undone (`ROLLBACK TO`) before anything else runs in `tx`.
    undo: bool,
    /// The writes since the savepoint are kept, but the savepoint was not moved past them
    /// yet: the next write moves it ([`KEEP`]) before its own statements (in the same
    /// query when it is a [`Batched`] write), and a commit needs no move. Never set with
    /// `undo`.
    keep: bool,
    /// The savepoint could not be moved or set again: the batch cannot tell its writes
    /// apart any more, so it rolls back whole and every writer in it hears this error.
    broken: Option<Arc<str>>,
}

/// The savepoint each write of a shared batch runs in (SQLite). It is always open while a
/// batch is: a kept write moves it past itself (`RELEASE` and a new `SAVEPOINT` in one
/// statement), a failed one goes back to it. One statement per write instead of two
/// (`SAVEPOINT` before and `RELEASE` after): each statement is a hop to sqlx's worker
/// thread (docs/benchmarks.md, "Issue 17").
const MARK: &str = "SAVEPOINT klover_write";
/// Begins a shared batch with its savepoint set.
const BEGIN_MARKED: &str = "BEGIN; SAVEPOINT klover_write";
/// Keeps the writes since [`MARK`] and sets it again.
const KEEP: &str = "RELEASE SAVEPOINT klover_write; SAVEPOINT klover_write";
/// Undoes the writes since [`MARK`]; the savepoint stays open.
const UNDO: &str = "ROLLBACK TO SAVEPOINT klover_write";

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
    /// With a writer `thread` (SQLite), each writer pauses it and commits on its own.
    pub(crate) fn start(
        commits: Arc<AtomicU64>,
        solo: bool,
        thread: Option<Arc<Writer>>,
    ) -> Arc<GroupCommit> {
        let solo = solo || thread.is_some();
        let group = Arc::new(GroupCommit {
            open: Mutex::new(Open::default()),
            wake: Arc::new(Notify::new()),
            committer_alive: Arc::new(AtomicBool::new(true)),
            commits,
            grouped: AtomicU64::new(0),
            holds: AtomicU64::new(0),
            held_ns: AtomicU64::new(0),
            solo,
            thread,
        });
        let wake = group.wake.clone();
        let alive = AliveFlag(group.committer_alive.clone());
        tokio::spawn(committer(Arc::downgrade(&group), wake, alive));
        group
    }

    /// Waits for the writer queue and returns this writer's place in the open batch.
    pub(crate) async fn writer<'g>(&'g self, pool: &'g AnyPool) -> Writing<'g> {
        let ticket = match &self.thread {
            Some(thread) => thread.exclusive().await,
            None => None,
        };
        let open = if self.solo {
            Held::Own(Box::default())
        } else {
            Held::Shared(self.open.lock().await)
        };
        Writing {
            open,
            group: self,
            pool,
            since: std::time::Instant::now(),
            _ticket: ticket,
        }
    }

    /// The SQLite writer thread, if this store has one.
    pub(crate) fn thread(&self) -> Option<&Writer> {
        self.thread.as_deref()
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
    let undo = std::mem::take(&mut open.undo);
    open.keep = false;
    let broken = open.broken.take();
    let Some(mut tx) = open.tx.take() else {
        // Nothing left to commit (a solo writer rolled its own back): nothing is lost.
        for w in waiting {
            let _ = w.send(Ok(()));
        }
        return;
    };
    if let Some(why) = broken {
        if let Err(e) = tx.rollback().await {
            tracing::error!(error = %e, "rolling back a broken batch failed");
        }
        tracing::error!(error = %why, writes = waiting.len(), "a group commit was rolled back");
        for w in waiting {
            let _ = w.send(Err(why.clone()));
        }
        return;
    }
    let ack: Ack = async {
        if undo {
            sqlx::raw_sql(UNDO).execute(&mut *tx).await?;
        }
        tx.commit().await
    }
    .await
    .map_err(|e| Arc::from(e.to_string()));
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
    /// When this writer's turn came.
    since: std::time::Instant,
    /// The writer thread's pause, if there is one: it goes on after this write.
    _ticket: Option<Ticket>,
}

impl Writing<'_> {
    /// This write's place in the open batch's transaction (beginning the transaction if
    /// none is open): [`Savepoint::commit`] keeps its statements in the batch, then call
    /// [`Writing::durable`]. In a shared batch it runs in the batch's savepoint, so a
    /// write that fails or is dropped undoes only itself; a solo batch is the write's own
    /// transaction.
    pub(crate) async fn begin(&mut self) -> Result<Savepoint<'_>, StoreError> {
        let solo = self.group.solo;
        let open = &mut *self.open;
        let whole = match open.tx.as_mut() {
            None => {
                // The batch's savepoint is set with its BEGIN (one statement).
                let tx = if solo {
                    self.pool.begin().await?
                } else {
                    self.pool.begin_with(BEGIN_MARKED).await?
                };
                open.tx = Some(tx);
                // A solo batch's first write is the whole transaction: no savepoint.
                solo
            }
            Some(tx) => {
                if open.keep {
                    if let Err(e) = sqlx::query(KEEP).execute(&mut **tx).await {
                        open.broken = Some(Arc::from(e.to_string()));
                        return Err(e.into());
                    }
                    open.keep = false;
                }
                if open.undo {
                    sqlx::raw_sql(UNDO).execute(&mut **tx).await?;
                    open.undo = false;
                }
                if solo {
                    // A second write in a solo batch keeps the first if it is undone.
                    sqlx::raw_sql(MARK).execute(&mut **tx).await?;
                }
                false
            }
        };
        Ok(Savepoint {
            open,
            solo,
            whole,
            done: false,
            pending: false,
        })
    }

    /// As [`Writing::begin`], for a write whose statements all go through
    /// [`Batched::run`]: on SQLite, moving the batch's savepoint past the write kept before
    /// it (or undoing the one dropped before it) goes in the same query as this write's
    /// first batch instead of a query of its own.
    pub(crate) async fn begin_batched(&mut self) -> Result<Batched<'_>, StoreError> {
        if self.group.solo || self.open.tx.is_none() {
            return Ok(Batched {
                sp: self.begin().await?,
            });
        }
        let open = &mut *self.open;
        let pending = open.keep || open.undo;
        Ok(Batched {
            sp: Savepoint {
                open,
                solo: false,
                whole: false,
                done: false,
                pending,
            },
        })
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
        let held = u64::try_from(self.since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.group.holds.fetch_add(1, Ordering::Relaxed);
        self.group.held_ns.fetch_add(held, Ordering::Relaxed);
        if matches!(self.open, Held::Shared(_)) && self.open.tx.is_some() {
            self.group.wake.notify_one();
        }
    }
}

/// One write's statements in the open batch (see [`Writing::begin`]): derefs to the
/// batch's transaction. Dropped without [`Savepoint::commit`] or
/// [`Savepoint::rollback`], its statements are undone before the batch goes on.
pub(crate) struct Savepoint<'w> {
    open: &'w mut Open,
    /// In a solo batch (PostgreSQL): its statements go by the simple protocol.
    solo: bool,
    /// The write is the batch's whole transaction (a solo batch's first): undoing it
    /// drops the transaction. Otherwise the batch's savepoint marks where it began.
    whole: bool,
    done: bool,
    /// Nothing of this write ran yet, and the savepoint still marks the start of an earlier
    /// write (kept or to undo; see [`Writing::begin_batched`]): undoing this one is a no-op.
    pending: bool,
}

impl Savepoint<'_> {
    /// Keeps this write's statements in the batch (durable at its commit).
    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        self.done = true;
        if self.whole || self.pending {
            return Ok(());
        }
        if !self.solo {
            // Moved by the next write, or made moot by the commit.
            self.open.keep = true;
            return Ok(());
        }
        let tx = (self.open.tx.as_mut()).ok_or(StoreError::Invalid("no open batch".into()))?;
        let kept = if self.solo {
            sqlx::raw_sql(KEEP).execute(&mut **tx).await
        } else {
            sqlx::query(KEEP).execute(&mut **tx).await
        };
        if let Err(e) = kept {
            // Whatever state the savepoint is in, this write is not kept.
            self.open.undo = true;
            return Err(e.into());
        }
        Ok(())
    }

    /// Undoes this write's statements; the rest of the batch stands.
    pub(crate) async fn rollback(mut self) -> Result<(), StoreError> {
        self.done = true;
        if self.pending {
            return Ok(());
        }
        if self.whole {
            if let Some(tx) = self.open.tx.take() {
                tx.rollback().await?;
            }
        } else if let Some(tx) = self.open.tx.as_mut()
            && let Err(e) = sqlx::raw_sql(UNDO).execute(&mut **tx).await
        {
            self.open.undo = true;
            return Err(e.into());
        }
        Ok(())
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if self.done || self.pending {
            return;
        }
        if self.whole {
            // The write's own transaction rolls back as it drops.
            self.open.tx = None;
        } else {
            self.open.undo = true;
        }
    }
}

// The batch's transaction is there while a savepoint lives: `begin` puts it there, and
// only the savepoint's own `rollback` (consuming it) or drop takes it away.
#[allow(clippy::expect_used)]
impl std::ops::Deref for Savepoint<'_> {
    type Target = sqlx::Transaction<'static, sqlx::Any>;
    fn deref(&self) -> &Self::Target {
        self.open
            .tx
            .as_ref()
            .expect("a savepoint lives in an open batch")
    }
}

#[allow(clippy::expect_used)] // as for `Deref`
impl std::ops::DerefMut for Savepoint<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.open
            .tx
            .as_mut()
            .expect("a savepoint lives in an open batch")
    }
}

/// A write whose statements go in [`Batch`]es (see [`Writing::begin_batched`]); like a
/// [`Savepoint`], dropped without [`Batched::commit`] it undoes itself.
pub(crate) struct Batched<'w> {
    sp: Savepoint<'w>,
}

impl Batched<'_> {
    /// Runs `batch` in the write's savepoint (a failed statement stops it; undo the write
    /// with [`Batched::rollback`] or by dropping it).
    pub(crate) async fn run(&mut self, batch: Batch) -> Result<Ran, Stopped> {
        let open = &mut *self.sp.open;
        let prefix = match (self.sp.pending, open.undo, open.keep) {
            (false, _, _) => None,
            (true, true, _) => Some(UNDO),
            (true, false, true) => Some(KEEP),
            (true, false, false) => None,
        };
        let Some(tx) = open.tx.as_mut() else {
            return Err(Stopped {
                ran: Ran::default(),
                at: None,
                error: sqlx::Error::Protocol("no open batch".into()),
            });
        };
        let ran = batch.run(tx, prefix).await;
        if self.sp.pending {
            self.sp.pending = false;
            if let Err(Stopped {
                at: None, error, ..
            }) = &ran
            {
                open.broken = Some(Arc::from(error.to_string()));
            }
            open.keep = false;
            open.undo = false;
        }
        ran
    }

    /// Keeps the write's statements in the batch (durable at its commit).
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.sp.commit().await
    }

    /// Undoes the write's statements; the rest of the batch stands.
    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        self.sp.rollback().await
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A store on a fresh SQLite file with a scratch table.
    async fn scratch() -> (tempfile::TempDir, crate::Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::connect(&crate::Store::default_sqlite_url(dir.path()))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE scratch (x INTEGER NOT NULL)")
            .execute(&store.pool)
            .await
            .unwrap();
        (dir, store)
    }

    async fn insert(sp: &mut Savepoint<'_>, x: Option<i64>) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO scratch (x) VALUES ($1)")
            .bind(x)
            .execute(&mut ***sp)
            .await
            .map(|_| ())
    }

    async fn stored(store: &crate::Store) -> Vec<i64> {
        sqlx::query_scalar("SELECT x FROM scratch ORDER BY x")
            .fetch_all(&store.pool)
            .await
            .unwrap()
    }

    /// Dropped, rolled back or failed, a write leaves nothing in the batch, and the writes
    /// kept beside it in the same batch are committed: in a shared batch and a solo one.
    #[tokio::test]
    async fn a_write_not_kept_undoes_only_itself() {
        for solo in [false, true] {
            let (_dir, store) = scratch().await;
            let group = GroupCommit::start(Arc::default(), solo, None);

            let mut w = group.writer(&store.pool).await;
            let mut sp = w.begin().await.unwrap();
            insert(&mut sp, Some(1)).await.unwrap();
            sp.commit().await.unwrap();
            // Dropped mid-write (as a cancelled task would be).
            let mut sp = w.begin().await.unwrap();
            insert(&mut sp, Some(2)).await.unwrap();
            drop(sp);
            // Rolled back.
            let mut sp = w.begin().await.unwrap();
            insert(&mut sp, Some(3)).await.unwrap();
            sp.rollback().await.unwrap();
            // Failed half-way: its first row goes with it.
            let mut sp = w.begin().await.unwrap();
            insert(&mut sp, Some(4)).await.unwrap();
            assert!(insert(&mut sp, None).await.is_err());
            drop(sp);
            w.durable().await.unwrap();
            // A writer that lets go of the queue with its write undone, then one more.
            let mut w = group.writer(&store.pool).await;
            let mut sp = w.begin().await.unwrap();
            insert(&mut sp, Some(5)).await.unwrap();
            drop(sp);
            drop(w);
            let mut w = group.writer(&store.pool).await;
            let mut sp = w.begin().await.unwrap();
            insert(&mut sp, Some(6)).await.unwrap();
            sp.commit().await.unwrap();
            w.durable().await.unwrap();

            assert_eq!(stored(&store).await, [1, 6], "solo: {solo}");
        }
    }

    fn inserts(xs: &[Option<i64>]) -> Batch {
        let mut b = Batch::new();
        for x in xs {
            b.push("INSERT INTO scratch (x) VALUES ($1)").bind(*x);
        }
        b
    }

    /// Batched writes beside plain ones in one shared batch: the move of the savepoint
    /// past a kept write rides with the next write's batch, and a batched write dropped
    /// before it ran, failed half-way or rolled back undoes only itself, never the kept
    /// write before it.
    #[tokio::test]
    async fn a_batched_write_moves_the_savepoint_past_the_write_before_it() {
        let (_dir, store) = scratch().await;
        let group = GroupCommit::start(Arc::default(), false, None);
        let mut w = group.writer(&store.pool).await;
        // Kept: its savepoint move is left to the next write.
        let mut b = w.begin_batched().await.unwrap();
        b.run(inserts(&[Some(1), Some(2)])).await.unwrap();
        b.commit().await.unwrap();
        // Dropped before running anything: the write before it stays.
        let b = w.begin_batched().await.unwrap();
        drop(b);
        // Rolled back before running anything.
        let b = w.begin_batched().await.unwrap();
        b.rollback().await.unwrap();
        // Failed half-way: its first row goes, the kept ones stay.
        let mut b = w.begin_batched().await.unwrap();
        let stopped = b.run(inserts(&[Some(3), None, Some(4)])).await.unwrap_err();
        assert_eq!(stopped.at, Some(1));
        drop(b);
        // A plain write after it (the undo is owed first), kept.
        let mut sp = w.begin().await.unwrap();
        insert(&mut sp, Some(5)).await.unwrap();
        sp.commit().await.unwrap();
        // Ran, then rolled back.
        let mut b = w.begin_batched().await.unwrap();
        b.run(inserts(&[Some(6)])).await.unwrap();
        b.rollback().await.unwrap();
        // Kept, then the batch commits with the move still owed.
        let mut b = w.begin_batched().await.unwrap();
        b.run(inserts(&[Some(7)])).await.unwrap();
        b.commit().await.unwrap();
        w.durable().await.unwrap();
        assert_eq!(stored(&store).await, [1, 2, 5, 7]);
    }
}
