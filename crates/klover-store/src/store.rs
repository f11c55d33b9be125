//! The [`Store`] type: connecting, migrating, and the helpers every query module shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{AnyConnection, Connection, Executor};

use crate::error::{StoreError, redact};

/// How long connecting may take before start-up fails with the cause: a database that
/// accepts TCP but never answers must not hang start-up silently.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a query waits for a pooled connection before it fails: a database that went
/// away makes requests fail (and `/readyz` say 503) in seconds, not hang.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (the default).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a URL names, if this build speaks it.
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// Everything Klover keeps about learners, in SQLite or PostgreSQL.
///
/// **One type over sqlx's `Any` driver, not a trait with one implementation per
/// database.** The schema is plain enough (text ids, integer timestamps, JSON as text) that
/// the same SQL runs on both backends: `$1` placeholders, `RETURNING`, `ON CONFLICT … DO
/// UPDATE` and transactions behave alike. So each operation is written once, and the story
/// tests run that one code path against both databases; a trait would double the code and
/// let the two drift. The price is `Any`'s type limits (no UUID, TIMESTAMPTZ or JSONB
/// columns, no `query!` compile-time checks), paid in the migrations and in small decoding
/// helpers. Only the migrations differ per backend (`migrations/sqlite`, `migrations/postgres`).
///
/// Cheap to clone: it is a handle on a connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// The writer queue and the open group-commit batch (see `group.rs`): writers of one
    /// process queue here instead of contending for SQLite's file lock, whose busy handler
    /// sleeps in steps of up to 100 ms (measured: 8 concurrent sessions appended 3x slower
    /// without it), and the turn path's writes of many sessions share one commit.
    pub(crate) group: Arc<crate::group::GroupCommit>,
    /// Commits of the write path so far (see [`Store::write_transactions`]).
    writes: Arc<AtomicU64>,
    /// Transactions run again after the database rolled them back (see `retry.rs`).
    pub(crate) retries: Arc<AtomicU64>,
    /// The session leases this handle holds, with their fences (see `owner.rs`).
    pub(crate) fences: crate::owner::Fences,
    /// The URL it connected to (a PostgreSQL listener opens its own connection to it).
    url: Arc<str>,
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and runs pending
    /// migrations. SQLite gets WAL mode, a busy timeout and foreign keys on.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Self::connect_with(url, 10).await
    }

    /// As [`Store::connect_with`], but while PostgreSQL cannot be reached (a container
    /// still starting, a failover) it tries again with a growing pause (0.25 s doubling up
    /// to 5 s), logging each wait, for up to `wait` in all; then fails with the cause.
    pub async fn connect_waiting(
        url: &str,
        max_connections: u32,
        wait: Duration,
    ) -> Result<Store, StoreError> {
        let started = tokio::time::Instant::now();
        let mut pause = Duration::from_millis(250);
        loop {
            match Self::connect_with(url, max_connections).await {
                Err(StoreError::Unreachable { url, cause }) if started.elapsed() + pause < wait => {
                    tracing::warn!(
                        url = %url,
                        error = %cause,
                        retry_in = ?pause,
                        waited = ?started.elapsed(),
                        gives_up_after = ?wait,
                        "waiting for the database: it cannot be reached yet"
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
                other => return other,
            }
        }
    }

    /// As [`Store::connect`], with at most `max_connections` pooled connections.
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let backend =
            Backend::from_url(url).ok_or_else(|| StoreError::UnsupportedUrl(redact(url)))?;
        sqlx::any::install_default_drivers();
        // One connection first: it reports the real cause when the server is down (the
        // pool would retry a refused connection until its timeout), and it migrates.
        tracing::info!(url = %redact(url), timeout = ?CONNECT_TIMEOUT, "connecting to the database");
        let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect(url))
            .await
            .map_err(|_| {
                let why = format!("no answer within {} s", CONNECT_TIMEOUT.as_secs());
                let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, why);
                open_error(backend, url, sqlx::Error::Io(timed_out))
            })?
            .map_err(|e| open_error(backend, url, e))?;
        if backend == Backend::Sqlite {
            // WAL is a property of the file: set once, it holds for every connection.
            conn.execute("PRAGMA journal_mode = WAL").await?;
        }
        migrate(backend, url, &mut conn).await?;
        conn.close().await?;

        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // A ping before each use finds a PostgreSQL connection the server dropped; a
            // SQLite file does not go away, and the ping is a hop to the connection's
            // worker thread before every write.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Every commit is on disk before it is acknowledged (SQLite's
                        // default, stated so that no build option changes it).
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // How long a writer waits for another writer's lock before failing.
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(|e| open_error(backend, url, e))?;
        tracing::info!(url = %redact(url), ?backend, "store connected");
        let writes = Arc::<AtomicU64>::default();
        let thread = match sqlite_file(url) {
            Some(path) => {
                // Opening the file and setting its pragmas block: off the async runtime.
                let commits = writes.clone();
                let started = tokio::task::spawn_blocking(move || {
                    crate::writer::Writer::start(&path, commits)
                })
                .await
                .map_err(|e| StoreError::Database(sqlx::Error::Io(std::io::Error::other(e))))?;
                Some(Arc::new(started?))
            }
            None => None,
        };
        let solo = backend == Backend::Postgres;
        Ok(Store {
            pool,
            backend,
            group: crate::group::GroupCommit::start(writes.clone(), solo, thread),
            writes,
            retries: Arc::default(),
            fences: Default::default(),
            url: Arc::from(url),
        })
    }

    /// Connects to `url` and runs pending migrations, then closes (`klover db migrate`).
    /// Returns the newest migration version the database now has.
    pub async fn migrate(url: &str) -> Result<i64, StoreError> {
        let store = Self::connect_with(url, 1).await?;
        let version = store
            .backend
            .migrator()
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        store.close().await;
        Ok(version)
    }

    /// The URL of the default SQLite database, `klover.db` in `data_dir`.
    pub fn default_sqlite_url(data_dir: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", data_dir.join("klover.db").display())
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL this store connected to (with its password: never log it; see `redact`).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Checks that the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Waits for this process's turn to write on a connection of its own: the open
    /// group-commit batch is committed first. Hold the guard until the write has committed.
    pub(crate) async fn write_turn(&self) -> crate::group::Writing<'_> {
        let mut writing = self.group.writer(&self.pool).await;
        writing.flush().await;
        writing
    }

    /// Waits for this process's turn to write into the open group-commit batch: run the
    /// write in [`crate::group::Writing::begin`]'s savepoint, then wait for
    /// [`crate::group::Writing::durable`].
    pub(crate) async fn write_grouped(&self) -> crate::group::Writing<'_> {
        self.group.writer(&self.pool).await
    }

    /// An empty batch of statements for this store's backend (one query on SQLite).
    pub(crate) fn batch(&self) -> crate::batch::Batch {
        crate::batch::Batch::new()
    }

    /// Runs `batch` as one write of the turn path and answers after the commit that holds
    /// it: `Ok(ran)` with [`crate::batch::Ran::complete`] when it is kept and durable, not
    /// complete when a required statement found nothing (the write was undone), the inner
    /// `Err` when a statement failed (undone). The outer error: the write could not run or
    /// commit. On a SQLite file the writer thread runs it ([`crate::writer`]); otherwise
    /// (PostgreSQL) its statements run one after the other in a group-commit write.
    pub(crate) async fn write_batch(
        &self,
        batch: crate::batch::Batch,
    ) -> Result<Result<crate::batch::Ran, crate::batch::Stopped>, StoreError> {
        if let Some(thread) = self.group.thread() {
            return match thread.write(batch).await {
                Err(crate::batch::Stopped {
                    at: None, error, ..
                }) => Err(StoreError::CommitFailed(error.to_string())),
                answer => Ok(answer),
            };
        }
        let mut writing = self.group.writer(&self.pool).await;
        let mut w = writing.begin_batched().await?;
        match w.run(batch).await {
            Ok(ran) if ran.complete() => {
                w.commit().await?;
                writing.durable().await?;
                Ok(Ok(ran))
            }
            Ok(ran) => {
                w.rollback().await?;
                Ok(Ok(ran))
            }
            Err(stopped) => {
                w.rollback().await?;
                match stopped.at {
                    None => Err(stopped.error.into()),
                    Some(_) => Ok(Err(stopped)),
                }
            }
        }
    }

    /// How many commits this store and its clones have run through the write path since
    /// connecting: a group commit counts one however many writes it holds, a write on its
    /// own connection one. For tests and benchmarks (commits per turn); it is a count,
    /// not a rate.
    pub fn write_transactions(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// How many transactions were run again since connecting because the database rolled
    /// them back to break a deadlock or a serialization conflict (see `retry.rs`).
    pub fn transient_retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// How many writes went through group commit since connecting (each acknowledged
    /// after the commit holding it). Fewer [`Store::write_transactions`] than these means
    /// commits held several writes.
    pub fn grouped_writes(&self) -> u64 {
        let thread = self.group.thread();
        let threaded = thread.map_or(0, |t| t.stats.writes.load(Ordering::Relaxed));
        self.group.grouped.load(Ordering::Relaxed) + threaded
    }

    /// How many writers had their turn at the write path since connecting, and how long
    /// they held it in all. On SQLite that is the writer thread's busy time (its writes and
    /// commits) plus the time other writers paused it: one writer at a time, so the time
    /// per write bounds the writes per second; on PostgreSQL writers run side by side. For
    /// benchmarks (`examples/load`).
    pub fn writer_queue(&self) -> (u64, std::time::Duration) {
        let mut holds = self.group.holds.load(Ordering::Relaxed);
        let mut held = self.group.held_ns.load(Ordering::Relaxed);
        if let Some(thread) = self.group.thread() {
            holds += thread.stats.writes.load(Ordering::Relaxed);
            held += thread.stats.busy_ns.load(Ordering::Relaxed);
        }
        (holds, std::time::Duration::from_nanos(held))
    }

    /// Makes this process the only server of a SQLite file: holds an exclusive lock on the
    /// file (an advisory `flock`, which SQLite's own locks do not use) until the returned
    /// guard drops. [`StoreError::SqliteInUse`] when another process holds it. `None` on
    /// PostgreSQL, where several instances are the point.
    pub fn claim_sqlite_file(&self) -> Result<Option<std::fs::File>, StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let Some(path) = sqlite_path(&self.url) else {
            return Ok(None);
        };
        let file =
            std::fs::File::open(path).map_err(|e| StoreError::Invalid(format!("{path}: {e}")))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::SqliteInUse(path.to_owned())),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(StoreError::Invalid(format!("cannot lock {path}: {e}")))
            }
        }
    }

    /// Closes every pooled connection, waiting for those in use.
    pub async fn close(&self) {
        if let Some(thread) = self.group.thread() {
            thread.stop().await;
        }
        self.pool.close().await;
    }
}

/// The file a SQLite URL names, if it names one (not an in-memory database).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr;
    if Backend::from_url(url) != Some(Backend::Sqlite) || url.contains(":memory:") {
        return None;
    }
    if url.contains("mode=memory") {
        return None;
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    Some(options.get_filename().to_path_buf())
}

async fn migrate(backend: Backend, url: &str, conn: &mut AnyConnection) -> Result<(), StoreError> {
    let migrator = backend.migrator();
    match migrator.run(&mut *conn).await {
        Ok(()) => Ok(()),
        Err(MigrateError::VersionMissing(applied)) => Err(StoreError::SchemaTooNew {
            url: redact(url),
            applied,
            known: migrator.iter().map(|m| m.version).max().unwrap_or(0),
        }),
        Err(cause) => Err(StoreError::Migrate {
            url: redact(url),
            cause,
        }),
    }
}

fn open_error(backend: Backend, url: &str, cause: sqlx::Error) -> StoreError {
    let url = redact(url);
    match backend {
        Backend::Sqlite => StoreError::CannotOpen { url, cause },
        Backend::Postgres => StoreError::Unreachable { url, cause },
    }
}

/// The file a SQLite URL names (`None` for an in-memory database).
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(":memory:")).then_some(path)
}

/// Now, as stored: Unix milliseconds, UTC.
pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A stored timestamp back as a time.
pub(crate) fn time(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or(StoreError::Corrupt {
        column: "timestamp",
        detail: format!("{ms} is out of range"),
    })
}

/// An optional stored timestamp back as a time.
pub(crate) fn opt_time(ms: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    ms.map(time).transpose()
}

/// Reads column `col` of `row`.
pub(crate) fn col<'r, T>(row: &'r sqlx::any::AnyRow, col: &'static str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    Ok(row.try_get(col)?)
}

/// Parses a stored text value with `parse`, reporting the column when it does not parse.
pub(crate) fn parsed<T, E: std::fmt::Display>(
    column: &'static str,
    text: String,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    parse(&text).map_err(|e| StoreError::Corrupt {
        column,
        detail: format!("`{text}`: {e}"),
    })
}

/// Parses a stored text enum (see `model::text_enum!`).
pub(crate) fn parsed_enum<T>(
    column: &'static str,
    text: String,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parsed(column, text, |s| parse(s).ok_or("unknown value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_carry_the_same_migrations() {
        let names = |m: &Migrator| {
            m.iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&SQLITE_MIGRATIONS), names(&POSTGRES_MIGRATIONS));
        assert!(SQLITE_MIGRATIONS.iter().count() >= 4);
    }

    #[test]
    fn urls_pick_their_backend() {
        assert_eq!(
            Backend::from_url("sqlite://k.db?mode=rwc"),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::from_url("mysql://u@h/db"), None);
        let url = Store::default_sqlite_url(std::path::Path::new("/var/lib/klover"));
        assert_eq!(url, "sqlite:///var/lib/klover/klover.db?mode=rwc");
        assert_eq!(sqlite_path(&url), Some("/var/lib/klover/klover.db"));
        assert_eq!(sqlite_path("sqlite:k.db"), Some("k.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
