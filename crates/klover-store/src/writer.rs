//! SQLite's writer thread: the turn path's writes ([`Batch`]es) run here, on a connection
//! of the thread's own, without a message to another thread per statement, and share
//! commits (group commit).
//!
//! The thread takes jobs from a channel. A write runs in a savepoint of the open
//! transaction (beginning one if none is open): kept when it completes
//! ([`crate::batch::Ran::complete`]), undone alone when a required statement finds
//! nothing or a statement fails. When no job is waiting, the thread commits, and only then
//! answers the writers it kept: nothing is acknowledged before the commit that holds it.
//! Writes that arrive during a commit (its fsync) wait in the channel and form the next
//! group; nothing waits for a timer. With `synchronous = FULL` as on every connection.
//!
//! SQLite takes one writer at a time, so every other write of the process waits its turn
//! here too: [`Writer::exclusive`] commits the open group and pauses the thread until the
//! returned [`Ticket`] drops, while that write runs on a pooled sqlx connection.
//!
//! Why a thread of our own: sqlx runs each SQLite connection on a worker thread and sends
//! it one message per query, and with the writer queue held across each of those round
//! trips they bounded throughput and cost most of a turn's CPU (docs/benchmarks.md,
//! "A writer thread for SQLite").

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Instant;

use rusqlite::types::Value;
use tokio::sync::oneshot;

use crate::StoreError;
use crate::batch::{Batch, Done, LiteRow, Param, Ran, Row, Stmt, Stopped};

/// The answer to a write: what its statements returned (kept and committed when
/// complete, undone otherwise), or where it failed (undone).
type Answer = Result<Ran, Stopped>;

/// At most this many kept writes share a commit (a bound on what one failed commit
/// takes with it and on how long the first writer of a group waits).
const MAX_GROUP: usize = 256;

enum Job {
    Write {
        stmts: Vec<Stmt>,
        reply: oneshot::Sender<Answer>,
    },
    Exclusive {
        go: oneshot::Sender<()>,
        done: mpsc::Receiver<()>,
    },
    Stop {
        stopped: oneshot::Sender<()>,
    },
}

/// Counters of the writer thread (for `Store::write_transactions`, `Store::writer_queue`).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Writes run (kept or not).
    pub(crate) writes: AtomicU64,
    /// Time the thread spent running writes and their commits, in nanoseconds.
    pub(crate) busy_ns: AtomicU64,
    /// The thread's id and whether it runs ahead of the process's other threads (see
    /// [`run_first`]), once it has started.
    pub(crate) started: std::sync::OnceLock<(i32, bool)>,
}

/// How much ahead of the process's other threads the writer thread asks to run (nice
/// values: its own is the process's less this, at most -20). Every turn's write waits for
/// this one thread; at the runtime threads' priority it waited behind them for the CPU on
/// a two-core machine, and throughput was bound by it (docs/benchmarks.md, "The writer
/// thread first"). Its work is bounded by the writes it is sent.
const RUN_FIRST_BY: i32 = 10;

/// Asks the OS to run the calling thread (the writer) [`RUN_FIRST_BY`] nice values ahead
/// of the rest of the process; returns the thread's id and whether it runs ahead (not when
/// the process already runs at the highest priority). Without the privilege (root,
/// `CAP_SYS_NICE` or an `RLIMIT_NICE` that allows it) the thread keeps the process's
/// priority, which only costs throughput under load.
#[cfg(target_os = "linux")]
fn run_first() -> (i32, bool) {
    let tid = rustix::thread::gettid().as_raw_nonzero().get();
    // On Linux, PRIO_PROCESS with no pid is the calling thread alone.
    let raised = rustix::process::getpriority_process(None).and_then(|nice| {
        let first = (nice - RUN_FIRST_BY).max(-20);
        if first == nice {
            return Ok(false);
        }
        rustix::process::setpriority_process(None, first).map(|()| true)
    });
    match raised {
        Ok(raised) => (tid, raised),
        Err(e) => {
            tracing::info!(
                error = %e,
                "the SQLite writer thread runs at the process's priority (running it first \
                 needs root or CAP_SYS_NICE; throughput under load is lower)"
            );
            (tid, false)
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn run_first() -> (i32, bool) {
    (0, false)
}

/// The handle to the writer thread of a SQLite file.
#[derive(Debug)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
    pub(crate) stats: Arc<Stats>,
}

/// A pause of the writer thread (see [`Writer::exclusive`]): it goes on when this drops.
#[derive(Debug)]
pub(crate) struct Ticket {
    _done: mpsc::Sender<()>,
}

impl Writer {
    /// Opens `path` (a SQLite file the store already migrated) and starts the thread.
    /// `commits` counts the commits that held a kept write.
    pub(crate) fn start(
        path: &std::path::Path,
        commits: Arc<AtomicU64>,
    ) -> Result<Writer, StoreError> {
        let conn = open(path).map_err(|e| StoreError::Database(database_error(e)))?;
        let (jobs, rx) = mpsc::channel();
        let stats = Arc::new(Stats::default());
        let thread_stats = stats.clone();
        std::thread::Builder::new()
            .name("klover-sqlite-writer".into())
            .spawn(move || {
                let _ = thread_stats.started.set(run_first());
                serve(&conn, &rx, &thread_stats, &commits);
            })
            .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        Ok(Writer { jobs, stats })
    }

    /// Runs `batch` as one write and answers after the commit that holds it (at once when
    /// it was undone).
    pub(crate) async fn write(&self, batch: Batch) -> Answer {
        let (reply, answer) = oneshot::channel();
        let job = Job::Write {
            stmts: batch.stmts,
            reply,
        };
        if self.jobs.send(job).is_err() {
            return Err(closed());
        }
        answer.await.unwrap_or_else(|_| Err(closed()))
    }

    /// Waits until the thread has committed what it holds and paused: until the ticket
    /// drops, this process's other writes may run (on another connection). `None` when
    /// the thread is gone (the store was closed).
    pub(crate) async fn exclusive(&self) -> Option<Ticket> {
        let (go, gone) = oneshot::channel();
        let (done_tx, done) = mpsc::channel();
        self.jobs.send(Job::Exclusive { go, done }).ok()?;
        gone.await.ok()?;
        Some(Ticket { _done: done_tx })
    }

    /// Commits what the thread holds and stops it; later writes fail.
    pub(crate) async fn stop(&self) {
        let (stopped, wait) = oneshot::channel();
        if self.jobs.send(Job::Stop { stopped }).is_ok() {
            let _ = wait.await;
        }
    }
}

fn closed() -> Stopped {
    Stopped {
        ran: Ran::default(),
        at: None,
        error: sqlx::Error::PoolClosed,
    }
}

fn open(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(path, flags)?;
    // As every pooled connection (store.rs): each commit on disk before it is answered.
    // Temporary files in memory: each write's savepoint keeps the pages it changes in a
    // sub-journal, by default a file created and deleted per transaction; it only serves
    // rolling back to the savepoint, never recovery (that is the WAL's).
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
         PRAGMA temp_store = MEMORY",
    )?;
    // A turn's writes use about twenty statement texts (event inserts vary by count).
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// The open transaction and the writes run in it, waiting for its commit: kept ones
/// (`Ok` and complete) and undone ones alike, so that a writer that reads after its
/// answer sees every write answered before it (a retry finds the first write's turn).
struct Group {
    open: bool,
    answers: Vec<(oneshot::Sender<Answer>, Answer)>,
    kept: usize,
}

fn serve(
    conn: &rusqlite::Connection,
    jobs: &mpsc::Receiver<Job>,
    stats: &Stats,
    commits: &AtomicU64,
) {
    let mut group = Group {
        open: false,
        answers: Vec::new(),
        kept: 0,
    };
    loop {
        let job = if group.open {
            match jobs.try_recv() {
                Ok(job) => job,
                Err(mpsc::TryRecvError::Empty) => {
                    timed(stats, || commit(conn, &mut group, commits));
                    continue;
                }
                Err(mpsc::TryRecvError::Disconnected) => {
                    commit(conn, &mut group, commits);
                    return;
                }
            }
        } else {
            match jobs.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        match job {
            Job::Write { stmts, reply } => {
                stats.writes.fetch_add(1, Ordering::Relaxed);
                timed(stats, || write(conn, &mut group, stmts, reply));
                if group.answers.len() >= MAX_GROUP {
                    timed(stats, || commit(conn, &mut group, commits));
                }
            }
            Job::Exclusive { go, done } => {
                timed(stats, || commit(conn, &mut group, commits));
                if go.send(()).is_ok() {
                    // Until the ticket drops (or its writer's task is gone).
                    let _ = done.recv();
                }
            }
            Job::Stop { stopped } => {
                commit(conn, &mut group, commits);
                let _ = stopped.send(());
                return;
            }
        }
    }
}

fn timed(stats: &Stats, f: impl FnOnce()) {
    let started = Instant::now();
    f();
    let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    stats.busy_ns.fetch_add(ns, Ordering::Relaxed);
}

/// Runs one write in the open transaction's savepoint, kept or undone; its answer waits
/// for the commit.
fn write(
    conn: &rusqlite::Connection,
    group: &mut Group,
    stmts: Vec<Stmt>,
    reply: oneshot::Sender<Answer>,
) {
    if !group.open {
        if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
            let _ = reply.send(Err(around(e)));
            return;
        }
        group.open = true;
    }
    if let Err(e) = exec(conn, "SAVEPOINT klover_write") {
        let _ = reply.send(Err(around(e)));
        return broken(conn, group);
    }
    let answer = run(conn, &stmts);
    match answer {
        Ok(ran) if ran.complete() => match exec(conn, "RELEASE klover_write") {
            Ok(()) => {
                group.kept += 1;
                group.answers.push((reply, Ok(ran)));
            }
            Err(e) => {
                let _ = reply.send(Err(around(e)));
                broken(conn, group);
            }
        },
        answer => {
            let undone = exec(conn, "ROLLBACK TO klover_write")
                .and_then(|()| exec(conn, "RELEASE klover_write"));
            group.answers.push((reply, answer));
            if undone.is_err() || conn.is_autocommit() {
                // The savepoint or the whole transaction is gone (SQLite rolls back on
                // some errors): the writes kept before cannot be told apart any more.
                broken(conn, group);
            }
        }
    }
}

/// The open transaction cannot be committed as it is: roll it back whole, and every
/// writer kept in it hears that it failed.
fn broken(conn: &rusqlite::Connection, group: &mut Group) {
    if !conn.is_autocommit()
        && let Err(e) = exec(conn, "ROLLBACK")
    {
        tracing::error!(error = %e, "rolling back the writer's transaction failed");
    }
    group.open = false;
    let kept = std::mem::take(&mut group.kept);
    tracing::error!(writes = kept, "a group of writes was rolled back");
    for (reply, answer) in std::mem::take(&mut group.answers) {
        let answer = match answer {
            // Kept, now lost with the transaction.
            Ok(ran) if ran.complete() => {
                let error = sqlx::Error::Protocol("the write's transaction was rolled back".into());
                Err(Stopped {
                    ran: Ran::default(),
                    at: None,
                    error,
                })
            }
            // Undone anyway.
            undone => undone,
        };
        let _ = reply.send(answer);
    }
}

/// Commits the open transaction, if any, and answers the writes kept in it.
fn commit(conn: &rusqlite::Connection, group: &mut Group, commits: &AtomicU64) {
    if !group.open {
        return;
    }
    match exec(conn, "COMMIT") {
        Ok(()) => {
            group.open = false;
            if std::mem::take(&mut group.kept) > 0 {
                commits.fetch_add(1, Ordering::Relaxed);
            }
            for (reply, answer) in std::mem::take(&mut group.answers) {
                // A writer that stopped waiting (its task was cancelled) needs no answer.
                let _ = reply.send(answer);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, writes = group.kept, "a group commit failed");
            broken(conn, group);
        }
    }
}

fn exec(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.raw_execute().map(drop)
}

/// A failure around a write's statements (its transaction or savepoint).
fn around(e: rusqlite::Error) -> Stopped {
    Stopped {
        ran: Ran::default(),
        at: None,
        error: database_error(e),
    }
}

/// Runs the statements in order; stops after a required one that found nothing, or at a
/// failed one.
fn run(conn: &rusqlite::Connection, stmts: &[Stmt]) -> Answer {
    let mut ran = Ran::default();
    for (i, stmt) in stmts.iter().enumerate() {
        match run_one(conn, stmt) {
            Ok(done) => {
                let stop = stmt.required && !done.found();
                ran.done.push(done);
                if stop {
                    ran.short = true;
                    break;
                }
            }
            Err(e) => {
                let error = database_error(e);
                return Err(Stopped {
                    ran,
                    at: Some(i),
                    error,
                });
            }
        }
    }
    Ok(ran)
}

fn run_one(conn: &rusqlite::Connection, stmt: &Stmt) -> rusqlite::Result<Done> {
    let mut st = conn.prepare_cached(&stmt.sql)?;
    // `$k` is SQLite's named parameter "$k", numbered by first appearance: bind by name.
    for i in 1..=st.parameter_count() {
        let k = (st.parameter_name(i))
            .and_then(|n| n.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|k| k.checked_sub(1));
        let Some(param) = k.and_then(|k| stmt.params.get(k)) else {
            let name = st.parameter_name(i).unwrap_or("?").to_owned();
            return Err(rusqlite::Error::InvalidParameterName(name));
        };
        match param {
            Param::Int(v) => st.raw_bind_parameter(i, v)?,
            Param::Real(v) => st.raw_bind_parameter(i, v)?,
            Param::Text(v) => st.raw_bind_parameter(i, v.as_str())?,
            Param::NullInt | Param::NullReal | Param::NullText => {
                st.raw_bind_parameter(i, rusqlite::types::Null)?;
            }
        }
    }
    let readonly = st.readonly();
    let columns = st.column_count();
    let mut done = Done::default();
    if columns == 0 {
        st.raw_execute()?;
    } else {
        let names: Arc<[String]> = st.column_names().into_iter().map(str::to_owned).collect();
        let mut rows = st.raw_query();
        while let Some(row) = rows.next()? {
            let values = (0..columns)
                .map(|c| row.get::<_, Value>(c))
                .collect::<rusqlite::Result<Vec<Value>>>()?;
            let names = names.clone();
            done.rows.push(Row::Lite(LiteRow { names, values }));
        }
    }
    done.affected = if readonly { 0 } else { conn.changes() };
    Ok(done)
}

/// A SQLite error as sqlx reports a database's, so callers tell a unique violation
/// apart the same way on every path.
pub(crate) fn database_error(e: rusqlite::Error) -> sqlx::Error {
    use sqlx::error::ErrorKind;
    let (code, kind) = match &e {
        rusqlite::Error::SqliteFailure(f, _) => {
            let kind = match f.extended_code {
                // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
                2067 | 1555 => ErrorKind::UniqueViolation,
                787 => ErrorKind::ForeignKeyViolation,
                1299 => ErrorKind::NotNullViolation,
                275 => ErrorKind::CheckViolation,
                _ => ErrorKind::Other,
            };
            (Some(f.extended_code), kind)
        }
        _ => (None, ErrorKind::Other),
    };
    sqlx::Error::Database(Box::new(LiteError {
        message: e.to_string(),
        code,
        kind,
    }))
}

/// An error SQLite returned to the writer thread.
#[derive(Debug)]
struct LiteError {
    message: String,
    code: Option<i32>,
    kind: sqlx::error::ErrorKind,
}

impl std::fmt::Display for LiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LiteError {}

impl sqlx::error::DatabaseError for LiteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.code.map(|c| c.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        match self.kind {
            sqlx::error::ErrorKind::UniqueViolation => sqlx::error::ErrorKind::UniqueViolation,
            sqlx::error::ErrorKind::ForeignKeyViolation => {
                sqlx::error::ErrorKind::ForeignKeyViolation
            }
            sqlx::error::ErrorKind::NotNullViolation => sqlx::error::ErrorKind::NotNullViolation,
            sqlx::error::ErrorKind::CheckViolation => sqlx::error::ErrorKind::CheckViolation,
            _ => sqlx::error::ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A store on a fresh SQLite file with a scratch table, and its writer thread.
    async fn scratch() -> (tempfile::TempDir, crate::Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::connect(&crate::Store::default_sqlite_url(dir.path()))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE scratch (x INTEGER NOT NULL UNIQUE)")
            .execute(&store.pool)
            .await
            .unwrap();
        assert!(store.group.thread().is_some(), "a SQLite file has a writer");
        (dir, store)
    }

    async fn stored(store: &crate::Store) -> Vec<i64> {
        sqlx::query_scalar("SELECT x FROM scratch ORDER BY x")
            .fetch_all(&store.pool)
            .await
            .unwrap()
    }

    fn inserts(xs: &[Option<i64>]) -> Batch {
        let mut b = Batch::new();
        for x in xs {
            b.push("INSERT INTO scratch (x) VALUES ($1) RETURNING x")
                .bind(*x);
        }
        b
    }

    /// A write is kept whole, undone whole when a required statement finds nothing, and
    /// undone whole when a statement fails (saying which, as a unique violation), and each
    /// leaves the others alone.
    #[tokio::test]
    async fn each_write_is_kept_or_undone_whole() {
        let (_dir, store) = scratch().await;
        let thread = store.group.thread().unwrap();
        let ran = thread.write(inserts(&[Some(1), Some(2)])).await.unwrap();
        assert!(ran.complete());
        assert_eq!(ran.row(1).unwrap().int("x").unwrap(), 2);
        assert_eq!(ran.affected(0), 1);

        let mut b = inserts(&[Some(3)]);
        b.push("UPDATE scratch SET x = x WHERE x = $1").bind(99i64);
        b.required();
        b.push("INSERT INTO scratch (x) VALUES ($1)").bind(4i64);
        let ran = thread.write(b).await.unwrap();
        assert!(!ran.complete());
        assert_eq!(ran.len(), 2, "stopped after the required statement");

        let stopped = thread
            .write(inserts(&[Some(5), Some(1), Some(6)]))
            .await
            .unwrap_err();
        assert_eq!(stopped.at, Some(1));
        let sqlx::Error::Database(db) = &stopped.error else {
            panic!("{:?}", stopped.error)
        };
        assert!(db.is_unique_violation(), "{db}");

        let mut b = Batch::new();
        b.push("SELECT x FROM scratch WHERE x > $2 AND x < $1")
            .bind(10i64)
            .bind(0i64);
        let ran = thread.write(b).await.unwrap();
        assert_eq!(ran.rows(0).len(), 2, "placeholders bound by their number");
        assert_eq!(ran.affected(0), 0, "a SELECT changes nothing");
        assert_eq!(stored(&store).await, [1, 2]);
    }

    /// The writer thread runs [`RUN_FIRST_BY`] nice values ahead of the rest of the
    /// process when the OS allows it and says truly whether it does; the process's other
    /// threads keep their priority.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_writer_thread_runs_first_when_allowed() {
        let (_dir, store) = scratch().await;
        let thread = store.group.thread().unwrap();
        thread.write(inserts(&[Some(1)])).await.unwrap();
        let (tid, raised) = *thread.stats.started.get().unwrap();
        // The 19th field of /proc/<pid>/task/<tid>/stat, the 17th after the command's ")".
        let nice = |tid: i32| -> i32 {
            let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
            let fields = &stat[stat.rfind(')').unwrap() + 2..];
            fields.split(' ').nth(16).unwrap().parse().unwrap()
        };
        let writer = nice(tid);
        let here = nice(rustix::thread::gettid().as_raw_nonzero().get());
        if raised {
            assert_eq!(writer, (here - RUN_FIRST_BY).max(-20));
            assert_ne!(writer, here, "the writer thread alone");
        } else {
            assert_eq!(writer, here, "refused: the process's priority");
        }
    }

    /// Writes that wait while another writer holds the file share one commit, and none
    /// is answered before it.
    #[tokio::test]
    async fn writes_waiting_together_share_one_commit() {
        let (_dir, store) = scratch().await;
        let thread = store.group.thread().unwrap();
        let before = store.write_transactions();
        let ticket = thread.exclusive().await.unwrap();
        let mut writes = Vec::new();
        for x in 0..10 {
            let store = store.clone();
            writes.push(tokio::spawn(async move {
                let thread = store.group.thread().unwrap();
                thread.write(inserts(&[Some(x)])).await.unwrap()
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(
            writes.iter().all(|w| !w.is_finished()),
            "no write is answered while the thread is paused"
        );
        assert!(stored(&store).await.is_empty());
        drop(ticket);
        for w in writes {
            assert!(w.await.unwrap().complete());
        }
        assert_eq!(stored(&store).await, (0..10).collect::<Vec<_>>());
        assert_eq!(store.write_transactions() - before, 1, "one commit for all");
    }

    /// A commit that fails (here a deferred foreign key, checked at COMMIT) answers every
    /// write of its group with an error, its good writes too: nothing is acknowledged that
    /// is not committed, and nothing of the group is stored. The thread goes on.
    #[tokio::test]
    async fn a_failed_commit_fails_every_write_of_its_group() {
        let (_dir, store) = scratch().await;
        sqlx::raw_sql(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY); \
             CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        let before = store.write_transactions();
        let thread = store.group.thread().unwrap();
        let ticket = thread.exclusive().await.unwrap();
        let mut writes = Vec::new();
        for (x, bad) in [(1i64, false), (2, true), (3, false)] {
            let store = store.clone();
            writes.push(tokio::spawn(async move {
                let mut b = Batch::new();
                if bad {
                    b.push("INSERT INTO child (p) VALUES ($1)").bind(42i64);
                } else {
                    b.push("INSERT INTO scratch (x) VALUES ($1)").bind(x);
                }
                store.group.thread().unwrap().write(b).await
            }));
            // In this order in the channel.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        drop(ticket);
        for w in writes {
            let stopped = w.await.unwrap().unwrap_err();
            assert_eq!(
                stopped.at, None,
                "failed around its statements: {stopped:?}"
            );
        }
        assert!(
            stored(&store).await.is_empty(),
            "nothing of the group stored"
        );
        assert_eq!(store.write_transactions(), before, "no commit counted");
        let ran = thread.write(inserts(&[Some(7)])).await.unwrap();
        assert!(ran.complete());
        assert_eq!(stored(&store).await, [7], "the thread goes on");
    }

    /// After `close`, a write fails instead of waiting forever.
    #[tokio::test]
    async fn a_closed_store_refuses_writes() {
        let (_dir, store) = scratch().await;
        store.close().await;
        let thread = store.group.thread().unwrap();
        assert!(thread.write(inserts(&[Some(1)])).await.is_err());
        assert!(thread.exclusive().await.is_none());
    }
}
