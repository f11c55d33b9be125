//! A write's statements, built once and run either by sqlx one after the other in a
//! transaction (PostgreSQL, and SQLite writes on a pooled connection) or by the SQLite
//! writer thread ([`crate::writer`]), which runs them without a message to another thread
//! per statement (docs/benchmarks.md, issue 17).
//!
//! Every statement runs whatever the one before it returned, except a *required* one: a
//! statement that depends on an earlier one reads what it needs in SQL (a sub-select on the
//! row the earlier one wrote); a statement the rest depend on is marked
//! [`Batch::required`], and when it returns no row and changes none the batch stops there
//! and the write is undone ([`Ran::complete`] is false). The caller reads the results
//! afterwards. A statement that fails stops the batch and the write is undone.

use std::sync::Arc;

use futures_util::TryStreamExt;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Arguments, Either};

use crate::StoreError;

/// A value bound to a placeholder. A NULL keeps its type: PostgreSQL checks a parameter's
/// type against its column even when the value is NULL.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Int(i64),
    Real(f64),
    Text(String),
    NullInt,
    NullReal,
    NullText,
}

impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(v)
    }
}

impl From<f64> for Param {
    fn from(v: f64) -> Param {
        Param::Real(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Param {
        Param::Text(v.to_owned())
    }
}

impl From<String> for Param {
    fn from(v: String) -> Param {
        Param::Text(v)
    }
}

impl From<&String> for Param {
    fn from(v: &String) -> Param {
        Param::Text(v.clone())
    }
}

impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Param {
        v.map_or(Param::NullInt, Param::Int)
    }
}

impl From<Option<f64>> for Param {
    fn from(v: Option<f64>) -> Param {
        v.map_or(Param::NullReal, Param::Real)
    }
}

impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Param {
        v.map_or(Param::NullText, |s| Param::Text(s.to_owned()))
    }
}

impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Param {
        v.map_or(Param::NullText, Param::Text)
    }
}

impl Param {
    fn add_to(&self, args: &mut AnyArguments) -> Result<(), sqlx::error::BoxDynError> {
        match self {
            Param::Int(v) => args.add(*v),
            Param::Real(v) => args.add(*v),
            Param::Text(v) => args.add(v.clone()),
            Param::NullInt => args.add(None::<i64>),
            Param::NullReal => args.add(None::<f64>),
            Param::NullText => args.add(None::<String>),
        }
    }
}

/// One statement of a batch, with its `$1..$n` values in order.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
    /// The batch stops after it, and the write is undone, when it returns no row and
    /// changes none.
    pub(crate) required: bool,
}

/// Statements to run in order, each with its own `$1..$n` (bound in order, as
/// `sqlx::query(..).bind(..)` would).
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) stmts: Vec<Stmt>,
}

/// A row a statement returned: from sqlx, or from the SQLite writer thread.
pub(crate) enum Row {
    Any(AnyRow),
    Lite(LiteRow),
}

/// A row the writer thread read: its columns' names and values.
#[derive(Debug, Clone)]
pub(crate) struct LiteRow {
    pub(crate) names: Arc<[String]>,
    pub(crate) values: Vec<rusqlite::types::Value>,
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Row::Any(row) => write!(f, "AnyRow({} columns)", sqlx::Row::len(row)),
            Row::Lite(row) => row.fmt(f),
        }
    }
}

impl Row {
    /// The integer in column `col`.
    pub(crate) fn int(&self, col: &'static str) -> Result<i64, StoreError> {
        match self {
            Row::Any(row) => crate::store::col(row, col),
            Row::Lite(row) => {
                let at = (row.names.iter().position(|n| n == col)).ok_or_else(|| {
                    StoreError::Database(sqlx::Error::ColumnNotFound(col.to_owned()))
                })?;
                match row.values.get(at) {
                    Some(rusqlite::types::Value::Integer(v)) => Ok(*v),
                    other => Err(StoreError::Corrupt {
                        column: col,
                        detail: format!("expected an integer, found {other:?}"),
                    }),
                }
            }
        }
    }
}

/// What each statement of a batch returned.
#[derive(Default)]
pub(crate) struct Ran {
    pub(crate) done: Vec<Done>,
    /// A required statement returned no row and changed none: the batch stopped after it
    /// and the write was undone.
    pub(crate) short: bool,
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shape: Vec<(usize, u64)> = (self.done.iter())
            .map(|d| (d.rows.len(), d.affected))
            .collect();
        f.debug_struct("Ran")
            .field("rows_and_changes", &shape)
            .field("short", &self.short)
            .finish()
    }
}

/// One statement's rows (`RETURNING` or `SELECT`) and how many rows it changed.
#[derive(Default, Debug)]
pub(crate) struct Done {
    pub(crate) rows: Vec<Row>,
    pub(crate) affected: u64,
}

impl Done {
    /// Whether a required statement found what the rest need.
    pub(crate) fn found(&self) -> bool {
        !self.rows.is_empty() || self.affected > 0
    }
}

/// A batch that stopped at a failed statement: what ran before it, and why. The write was
/// undone.
#[derive(Debug)]
pub(crate) struct Stopped {
    /// The statements that ran before the failed one.
    pub(crate) ran: Ran,
    /// The failed statement's index in the batch, or `None` when the write failed around
    /// its statements (its transaction, savepoint or commit).
    pub(crate) at: Option<usize>,
    /// Why.
    pub(crate) error: sqlx::Error,
}

impl Batch {
    /// An empty batch.
    pub(crate) fn new() -> Batch {
        Batch::default()
    }

    /// Adds a statement; its `$k` placeholders are its own binds, which follow.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Batch {
        self.stmts.push(Stmt {
            sql: sql.to_owned(),
            params: Vec::new(),
            required: false,
        });
        self
    }

    /// Marks the statement pushed last as one the rest depend on: when it returns no row
    /// and changes none, the batch stops after it and the write is undone.
    pub(crate) fn required(&mut self) -> &mut Batch {
        if let Some(last) = self.stmts.last_mut() {
            last.required = true;
        }
        self
    }

    /// Binds the next placeholder of the statement pushed last.
    pub(crate) fn bind(&mut self, value: impl Into<Param>) -> &mut Batch {
        if let Some(last) = self.stmts.last_mut() {
            last.params.push(value.into());
        }
        self
    }

    /// Statements in the batch.
    pub(crate) fn len(&self) -> usize {
        self.stmts.len()
    }

    /// Runs the batch on `tx` (a transaction the caller undoes when the result is not
    /// [`Ran::complete`] or an error), after `prefix` (statements without arguments,
    /// e.g. a savepoint's move) when given.
    pub(crate) async fn run(
        self,
        tx: &mut sqlx::AnyConnection,
        prefix: Option<&str>,
    ) -> Result<Ran, Stopped> {
        if let Some(sql) = prefix
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
        for (i, stmt) in self.stmts.into_iter().enumerate() {
            let mut args = AnyArguments::default();
            for p in &stmt.params {
                if let Err(e) = p.add_to(&mut args) {
                    let error = sqlx::Error::Encode(e);
                    return Err(Stopped {
                        ran,
                        at: Some(i),
                        error,
                    });
                }
            }
            let query = sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql), args);
            let mut stream = sqlx::Executor::fetch_many(&mut *tx, query);
            let mut done = Done::default();
            loop {
                match stream.try_next().await {
                    Ok(Some(Either::Right(row))) => done.rows.push(Row::Any(row)),
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
            let stop = stmt.required && !done.found();
            ran.done.push(done);
            if stop {
                ran.short = true;
                break;
            }
        }
        Ok(ran)
    }
}

impl Ran {
    /// How many statements ran (fewer than the batch's when a required one stopped it).
    pub(crate) fn len(&self) -> usize {
        self.done.len()
    }

    /// Whether every required statement found what the rest need (the write is kept).
    pub(crate) fn complete(&self) -> bool {
        !self.short
    }

    /// The rows statement `i` returned.
    pub(crate) fn rows(&self, i: usize) -> &[Row] {
        self.done.get(i).map_or(&[], |d| &d.rows)
    }

    /// The first row statement `i` returned, if any.
    pub(crate) fn row(&self, i: usize) -> Option<&Row> {
        self.rows(i).first()
    }

    /// The rows statement `i` changed.
    pub(crate) fn affected(&self, i: usize) -> u64 {
        self.done.get(i).map_or(0, |d| d.affected)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Each statement's rows and changes, in order; a required statement that finds
    /// nothing stops the batch; a failed statement stops it and says which one it was.
    #[tokio::test]
    async fn statements_run_in_order_and_a_failure_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::Store::default_sqlite_url(dir.path());
        let store = crate::Store::connect(&url).await.unwrap();
        let mut conn = store.pool.acquire().await.unwrap();
        sqlx::raw_sql("CREATE TABLE t (x INTEGER NOT NULL UNIQUE, y TEXT)")
            .execute(&mut *conn)
            .await
            .unwrap();
        let mut b = Batch::new();
        b.push("INSERT INTO t (x, y) VALUES ($1, $3), ($2, $3)")
            .bind(1i64)
            .bind(2i64)
            .bind(None::<&str>);
        b.push("UPDATE t SET x = x + $1 WHERE x >= $2 RETURNING x")
            .bind(10i64)
            .bind(2i64);
        b.push("SELECT COUNT(*) AS n FROM t WHERE x > $1 AND y IS NULL")
            .bind(0i64);
        assert_eq!(b.len(), 3);
        let ran = b.run(&mut conn, Some("SELECT 1; SELECT 2")).await.unwrap();
        assert!(ran.complete());
        assert_eq!(ran.affected(0), 2);
        assert_eq!(ran.row(1).unwrap().int("x").unwrap(), 12);
        assert_eq!(ran.row(2).unwrap().int("n").unwrap(), 2);

        let mut b = Batch::new();
        b.push("UPDATE t SET x = 99 WHERE x = $1").bind(1000i64);
        b.required();
        b.push("INSERT INTO t (x) VALUES ($1)").bind(7i64);
        let ran = b.run(&mut conn, None).await.unwrap();
        assert!(!ran.complete(), "the required statement found nothing");
        assert_eq!(ran.len(), 1, "the statement after it did not run");

        let mut b = Batch::new();
        b.push("INSERT INTO t (x) VALUES ($1)").bind(5i64);
        b.push("INSERT INTO t (x) VALUES ($1)").bind(5i64);
        b.push("INSERT INTO t (x) VALUES ($1)").bind(6i64);
        let stopped = b.run(&mut conn, None).await.unwrap_err();
        assert_eq!(stopped.at, Some(1));
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
