//! The one error type of the store, with variants named by cause.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The PostgreSQL server could not be reached (or refused the connection).
    #[error("cannot reach the database at {url}: start PostgreSQL or fix DATABASE_URL ({cause})")]
    Unreachable {
        /// The URL, with any password removed.
        url: String,
        /// What the driver said (inlined in the message, so not a `source`: `{:#}`
        /// chains would print it twice).
        cause: sqlx::Error,
    },
    /// The SQLite file could not be opened or created.
    #[error(
        "cannot open the SQLite database at {url}: check that its folder exists and is writable ({cause})"
    )]
    CannotOpen {
        /// The URL of the file.
        url: String,
        /// What the driver said (inlined in the message, so not a `source`: `{:#}`
        /// chains would print it twice).
        cause: sqlx::Error,
    },
    /// The URL names a backend this build does not speak.
    #[error(
        "unsupported database URL `{0}`: use sqlite://path/klover.db?mode=rwc or postgres://user@host:5432/db"
    )]
    UnsupportedUrl(String),
    /// The database has a migration this binary does not know: it was set up by a newer klover.
    #[error(
        "the database at {url} has schema version {applied}, newer than this klover binary \
         (which knows up to {known}): upgrade klover, or point DATABASE_URL at another database"
    )]
    SchemaTooNew {
        /// The URL, with any password removed.
        url: String,
        /// The unknown migration version found in the database.
        applied: i64,
        /// The newest migration version this binary carries.
        known: i64,
    },
    /// Migrations failed for another reason (an edited migration, a half-applied one...).
    #[error("cannot migrate the database at {url}: {cause}")]
    Migrate {
        /// The URL, with any password removed.
        url: String,
        /// What sqlx said.
        cause: sqlx::migrate::MigrateError,
    },
    /// No such row (`what` says which kind: "session", "turn", "learner").
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The row exists but belongs to another learner.
    #[error("this {0} belongs to another learner")]
    Forbidden(&'static str),
    /// The request contradicts what is stored (a taken name, a turn no longer streaming).
    #[error("{0}")]
    Conflict(String),
    /// The caller passed a value the schema cannot hold (a score outside 0..=1...).
    #[error("invalid value: {0}")]
    Invalid(String),
    /// A stored value does not parse (a hand-edited row, or a bug).
    #[error("the database holds an invalid {column}: {detail}")]
    Corrupt {
        /// The column that held it.
        column: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// Another live instance owns the session (a reply to it is in flight there): nothing
    /// was stored.
    #[error("session {0} is being answered by another instance")]
    OwnedElsewhere(String),
    /// This handle's lease on the session was lost (another instance took it over after
    /// the lease ran out): the write was refused.
    #[error(
        "this instance no longer owns session {0} (another took it over): the write was refused"
    )]
    Fenced(String),
    /// The engine state changed since it was read (compare-and-set on its version).
    #[error("the engine state of session {0} changed since it was read: the save was refused")]
    StaleState(String),
    /// A draft write carried a revision that is no longer the draft's (another author
    /// wrote in between), or the draft was already published: nothing was written.
    #[error("the draft changed since you read it (it is at revision {current}): read it again")]
    StaleRevision {
        /// The draft's revision now.
        current: i64,
        /// The version it was published as, if it was.
        published_as: Option<i64>,
    },
    /// Another process already serves this SQLite file.
    #[error(
        "another klover process is already serving the SQLite database {0}: SQLite serves one \
         process only. To run several instances, point every one at the same PostgreSQL \
         (KLOVER_DATABASE_URL=postgres://…; see docs/operations.md, \"Several instances\")"
    )]
    SqliteInUse(String),
    /// The group commit holding this write failed: nothing of it is stored.
    #[error("the commit holding this write failed: {0}")]
    CommitFailed(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

impl StoreError {
    /// Turns a unique-constraint violation into [`StoreError::Conflict`] with `message`.
    pub(crate) fn unique_as_conflict(e: sqlx::Error, message: impl Into<String>) -> StoreError {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(message.into())
            }
            _ => StoreError::Database(e),
        }
    }
}

/// Removes the password from a database URL so it can appear in errors and logs.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let host_start = rest.find('/').unwrap_or(rest.len());
    match rest[..host_start].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_the_password_and_keeps_the_rest() {
        assert_eq!(
            redact("postgres://klover:s3cret@db:5432/klover"),
            "postgres://klover:***@db:5432/klover"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(
            redact("sqlite:///tmp/a@b/klover.db?mode=rwc"),
            "sqlite:///tmp/a@b/klover.db?mode=rwc"
        );
    }
}
