//! A write's statements sent together. On SQLite they go as one multi-statement query:
//! one message to sqlx's worker thread for the whole write instead of one per statement
//! (each is a wake-up of that thread and of the runtime, inside the writer queue;
//! docs/benchmarks.md, issue 17). On PostgreSQL, whose extended protocol takes one
//! statement per query, they run one after the other in the same transaction.
//!
//! Every statement runs whatever the one before it returned: a statement that depends on
//! an earlier one reads what it needs in SQL (a sub-select on the row the earlier one
//! wrote), and the caller checks the results afterwards, undoing the whole write (its
//! savepoint) when one is not what it needs. A statement that fails stops the batch.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, Arguments, Either, Encode, Type};

use futures_util::TryStreamExt;

/// Statements to run in order, each with its own `$1..$n` (bound in order, as
/// `sqlx::query(..).bind(..)` would).
pub(crate) struct Batch {
    /// One query: statements joined, placeholders renumbered (SQLite).
    joined: bool,
    stmts: Vec<(String, AnyArguments)>,
    /// Per statement: the batch stops after it when it returns and changes no row (when
    /// the statements run one by one; joined, they all run).
    required: Vec<bool>,
    /// The joined query's text and arguments (SQLite).
    sql: String,
    args: AnyArguments,
    /// Statements in `sql`.
    count: usize,
}

/// What each statement of a batch returned.
#[derive(Default)]
pub(crate) struct Ran {
    done: Vec<Done>,
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shape: Vec<(usize, u64)> = (self.done.iter())
            .map(|d| (d.rows.len(), d.affected))
            .collect();
        f.debug_struct("Ran")
            .field("rows_and_changes", &shape)
            .finish()
    }
}

/// One statement's rows (`RETURNING` or `SELECT`) and how many rows it changed.
#[derive(Default)]
struct Done {
    rows: Vec<AnyRow>,
    affected: u64,
}

/// A batch that stopped at a failed statement: what ran before it, and why.
#[derive(Debug)]
pub(crate) struct Stopped {
    /// The statements that ran before the failed one.
    pub(crate) ran: Ran,
    /// The failed statement's index in the batch (prefix statements not counted), or
    /// `None` when the prefix itself failed.
    pub(crate) at: Option<usize>,
    /// Why.
    pub(crate) error: sqlx::Error,
}

impl Batch {
    /// An empty batch, joined into one query when `sqlite`.
    pub(crate) fn new(sqlite: bool) -> Batch {
        Batch {
            joined: sqlite,
            stmts: Vec::new(),
            required: Vec::new(),
            sql: String::new(),
            args: AnyArguments::default(),
            count: 0,
        }
    }

    /// Adds a statement; its `$k` placeholders are its own binds, which follow. No `$`
    /// followed by a digit may appear in the SQL except as a placeholder.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Batch {
        if self.joined {
            if self.count > 0 {
                self.sql.push_str(";\n");
            }
            renumber(sql, self.args.len(), &mut self.sql);
        } else {
            self.stmts.push((sql.to_owned(), AnyArguments::default()));
        }
        self.count += 1;
        self.required.push(false);
        self
    }

    /// Marks the statement pushed last as one the rest depend on: run one by one, the batch
    /// stops after it (with fewer results than statements) when it returns and changes
    /// no row. Joined, the rest run anyway; either way the caller checks its result and
    /// undoes the write.
    pub(crate) fn required(&mut self) -> &mut Batch {
        if let Some(last) = self.required.last_mut() {
            *last = true;
        }
        self
    }

    /// Binds the next placeholder of the statement pushed last.
    pub(crate) fn bind<'t, T>(&mut self, value: T) -> &mut Batch
    where
        T: Encode<'t, Any> + Type<Any>,
    {
        let args = match self.stmts.last_mut() {
            Some((_, args)) if !self.joined => args,
            _ => &mut self.args,
        };
        // `AnyArguments::add` fails only for a value whose encoding fails; ours are plain
        // integers, floats and text. A failed one shows up as a bind count mismatch.
        if let Err(e) = args.add(value) {
            tracing::error!(error = %e, "a batch's argument could not be encoded");
        }
        self
    }

    /// Statements in the batch.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Runs the batch in `tx`, after `prefix` (`prefix_stmts` statements without
    /// arguments, e.g. a savepoint's move) when given.
    pub(crate) async fn run(
        self,
        tx: &mut sqlx::AnyConnection,
        prefix: Option<(&str, usize)>,
    ) -> Result<Ran, Stopped> {
        if self.joined {
            return self.run_joined(tx, prefix).await;
        }
        if let Some((sql, _)) = prefix
            && let Err(error) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut *tx)
                .await
        {
            let ran = Ran::default();
            return Err(Stopped {
                ran,
                at: None,
                error,
            });
        }
        let mut ran = Ran::default();
        for (i, (sql, args)) in self.stmts.into_iter().enumerate() {
            let query = sqlx::query_with(sqlx::AssertSqlSafe(sql), args);
            let mut stream = sqlx::Executor::fetch_many(&mut *tx, query);
            let mut done = Done::default();
            loop {
                match stream.try_next().await {
                    Ok(Some(Either::Right(row))) => done.rows.push(row),
                    Ok(Some(Either::Left(r))) => done.affected += r.rows_affected(),
                    Ok(None) => break,
                    Err(error) => {
                        return Err(Stopped {
                            ran,
                            at: Some(i),
                            error,
                        });
                    }
                }
            }
            let stop =
                self.required.get(i) == Some(&true) && done.rows.is_empty() && done.affected == 0;
            ran.done.push(done);
            if stop {
                break;
            }
        }
        Ok(ran)
    }

    async fn run_joined(
        self,
        tx: &mut sqlx::AnyConnection,
        prefix: Option<(&str, usize)>,
    ) -> Result<Ran, Stopped> {
        let (sql, skip) = match prefix {
            Some((p, n)) => (format!("{p};\n{}", self.sql), n),
            None => (self.sql, 0),
        };
        // Built from the statements' SQL and placeholders only; every value is bound.
        // Several statements in one prepared query: SQLite only, and sqlx calls it
        // deprecated (launchbadge/sqlx#3108) but still runs it (this module's tests check it).
        let query = sqlx::query_with(sqlx::AssertSqlSafe(sql), self.args);
        let mut stream = sqlx::Executor::fetch_many(tx, query);
        let mut finished = 0usize;
        let mut ran = Ran::default();
        let mut done = Done::default();
        loop {
            match stream.try_next().await {
                Ok(Some(Either::Right(row))) => done.rows.push(row),
                Ok(Some(Either::Left(r))) => {
                    done.affected = r.rows_affected();
                    let finished_one = std::mem::take(&mut done);
                    if finished >= skip {
                        ran.done.push(finished_one);
                    }
                    finished += 1;
                }
                Ok(None) => break,
                Err(error) => {
                    let at = finished.checked_sub(skip);
                    return Err(Stopped { ran, at, error });
                }
            }
        }
        if ran.done.len() != self.count {
            let error = sqlx::Error::Protocol(format!(
                "a batch of {} statements returned {} results",
                self.count,
                ran.done.len()
            ));
            return Err(Stopped {
                at: Some(ran.done.len()),
                ran,
                error,
            });
        }
        Ok(ran)
    }
}

impl Ran {
    /// How many statements ran (fewer than the batch's when a required one stopped it).
    pub(crate) fn len(&self) -> usize {
        self.done.len()
    }

    /// The rows statement `i` returned.
    pub(crate) fn rows(&self, i: usize) -> &[AnyRow] {
        self.done.get(i).map_or(&[], |d| &d.rows)
    }

    /// The first row statement `i` returned, if any.
    pub(crate) fn row(&self, i: usize) -> Option<&AnyRow> {
        self.rows(i).first()
    }

    /// The rows statement `i` changed.
    pub(crate) fn affected(&self, i: usize) -> u64 {
        self.done.get(i).map_or(0, |d| d.affected)
    }
}

/// Appends `sql` to `out` with each `$k` placeholder as `$(k + offset)`.
fn renumber(sql: &str, offset: usize, out: &mut String) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            continue;
        }
        let k: usize = rest[..digits].parse().unwrap_or(0);
        out.push_str(&(k + offset).to_string());
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn placeholders_are_renumbered_past_the_earlier_statements_binds() {
        let mut out = String::new();
        renumber("SELECT $1, $12, '$x', $", 3, &mut out);
        assert_eq!(out, "SELECT $4, $15, '$x', $");
    }

    /// On both kinds of batch: each statement's rows and changes, in order; a failed
    /// statement stops the batch and says which one it was.
    #[tokio::test]
    async fn statements_run_in_order_and_a_failure_says_where() {
        for joined in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let url = crate::Store::default_sqlite_url(dir.path());
            let store = crate::Store::connect(&url).await.unwrap();
            let mut conn = store.pool.acquire().await.unwrap();
            sqlx::raw_sql("CREATE TABLE t (x INTEGER NOT NULL UNIQUE)")
                .execute(&mut *conn)
                .await
                .unwrap();
            let mut b = Batch::new(joined);
            b.push("INSERT INTO t (x) VALUES ($1), ($2)")
                .bind(1i64)
                .bind(2i64);
            b.push("UPDATE t SET x = x + $1 WHERE x >= $2 RETURNING x")
                .bind(10i64)
                .bind(2i64);
            b.push("SELECT COUNT(*) AS n FROM t WHERE x > $1")
                .bind(0i64);
            assert_eq!(b.len(), 3);
            let ran = b
                .run(&mut conn, Some(("SELECT 1; SELECT 2", 2)))
                .await
                .unwrap();
            assert_eq!(ran.affected(0), 2, "joined: {joined}");
            let x: i64 = sqlx::Row::get(ran.row(1).unwrap(), "x");
            assert_eq!(x, 12);
            let n: i64 = sqlx::Row::get(ran.row(2).unwrap(), "n");
            assert_eq!(n, 2);

            let mut b = Batch::new(joined);
            b.push("INSERT INTO t (x) VALUES ($1)").bind(5i64);
            b.push("INSERT INTO t (x) VALUES ($1)").bind(5i64);
            b.push("INSERT INTO t (x) VALUES ($1)").bind(6i64);
            let stopped = b.run(&mut conn, None).await.unwrap_err();
            assert_eq!(stopped.at, Some(1), "joined: {joined}");
            assert_eq!(stopped.ran.affected(0), 1);
            let left: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY x")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
            assert_eq!(
                left,
                [1, 5, 12],
                "the statement after the failed one did not run"
            );
        }
    }
}
