//! One owner per session across instances (migration 0009): a lease with a fencing number.
//!
//! An instance takes a session's lease in the transaction that acknowledges a learner's
//! message or claims an unfinished reply, renews it with the reply's own lease, and gives it
//! back in the transaction that closes the reply. Taking it from another owner (free, or
//! its lease ran out) adds one to the session's `fence`. This handle remembers the fence it
//! took per session, and every write of the session's turns, events and engine state
//! carries it in its first statement: a write whose fence is no longer the session's is
//! refused ([`StoreError::Fenced`]), so an owner paused past its lease can never write after
//! another took over. A write by a handle holding no lease on the session passes only while
//! nobody holds a live lease on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::replies::Lease;
use crate::{SessionId, Store, StoreError};

type Tx<'c> = sqlx::Transaction<'c, sqlx::Any>;

/// The fence a write carries: the number this handle took with the session's lease, or
/// `NONE` (-1: then the write needs a session nobody holds a live lease on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fence(pub(crate) i64);

impl Fence {
    /// No lease held.
    pub(crate) const NONE: Fence = Fence(-1);
}

/// The fences this handle holds, by session id. Shared by the clones of one [`Store`].
#[derive(Debug, Default, Clone)]
pub(crate) struct Fences(Arc<Mutex<HashMap<String, i64>>>);

impl Fences {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store {
    /// The fence this handle's writes to `session` carry.
    pub(crate) fn fence(&self, session: &str) -> Fence {
        self.fences
            .lock()
            .get(session)
            .copied()
            .map_or(Fence::NONE, Fence)
    }

    /// Remembers the fence taken with `session`'s lease (after the commit that took it).
    pub(crate) fn hold(&self, session: &str, fence: i64) {
        self.fences.lock().insert(session.to_owned(), fence);
    }

    /// Forgets `session`'s fence (after the commit that gave the lease back).
    pub(crate) fn forget(&self, session: &str) {
        self.fences.lock().remove(session);
    }

    /// The fence this handle holds on `session`, if any (for tests and logs).
    pub fn held_fence(&self, session: &SessionId) -> Option<i64> {
        self.fences.lock().get(session.as_str()).copied()
    }

    /// Gives back every session lease and reply claim `owner` holds (graceful shutdown):
    /// another instance may take them over at once instead of after the lease. Returns how
    /// many sessions were handed back.
    pub async fn release_owner(&self, owner: &str) -> Result<u64, StoreError> {
        let mut writing = self.write_grouped().await;
        let mut tx = writing.begin().await?;
        let done =
            sqlx::query("UPDATE sessions SET owner = NULL, owner_until = NULL WHERE owner = $1")
                .bind(owner)
                .execute(&mut **tx)
                .await?;
        sqlx::query("UPDATE turns SET reply_lease_until = 0 WHERE reply_owner = $1")
            .bind(owner)
            .execute(&mut **tx)
            .await?;
        tx.commit().await?;
        writing.durable().await?;
        self.fences.lock().clear();
        Ok(done.rows_affected())
    }

    /// Who owns `session` now and until when (Unix ms), with its fence: `(owner, until,
    /// fence)`; the owner is `None` when nobody holds the lease.
    pub async fn session_owner(
        &self,
        session: &SessionId,
    ) -> Result<(Option<String>, Option<i64>, i64), StoreError> {
        let row = sqlx::query("SELECT owner, owner_until, fence FROM sessions WHERE id = $1")
            .bind(session.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("session"))?;
        Ok((
            crate::store::col(&row, "owner")?,
            crate::store::col(&row, "owner_until")?,
            crate::store::col(&row, "fence")?,
        ))
    }
}

/// The SET of a take by owner `$o` at now `$n`: the fence stays when `$o` already holds
/// the lease and moves by one otherwise (every expression of an UPDATE reads the old row).
macro_rules! take_fence {
    ($o:literal, $n:literal) => {
        concat!(
            "fence = CASE WHEN owner = ",
            $o,
            " AND owner_until >= ",
            $n,
            " THEN fence ELSE fence + 1 END"
        )
    };
}

/// The condition of a take by owner `$o` at now `$n`: nobody holds the lease, `$o` does,
/// or the holder's lease ran out.
macro_rules! takable {
    ($o:literal, $n:literal) => {
        concat!(
            "(owner IS NULL OR owner = ",
            $o,
            " OR owner_until < ",
            $n,
            ")"
        )
    };
}

/// Takes `session`'s lease for `lease.owner` inside `tx`: succeeds when nobody holds it,
/// the owner already does, or the holder's lease ran out. Returns the fence, `None` when
/// another live instance holds it. Call [`Store::hold`] after the commit.
pub(crate) async fn take(
    tx: &mut Tx<'_>,
    session: &str,
    lease: Lease<'_>,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let fence: Option<i64> = sqlx::query_scalar(concat!(
        "UPDATE sessions SET owner = $1, owner_until = $2, ",
        take_fence!("$1", "$3"),
        " WHERE id = $4 AND ",
        takable!("$1", "$3"),
        " RETURNING fence"
    ))
    .bind(lease.owner)
    .bind(lease.until(now))
    .bind(now)
    .bind(session)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(fence)
}

/// [`take`], and in the same statement the lock of a write that follows it
/// ([`crate::turns::lock_session_for`] with `events` seqs handed out), for a
/// [`crate::batch::Batch`]: for a write whose first step takes the lease (a learner's
/// message). Read its row with [`taken`].
pub(crate) fn push_take_and_lock(
    b: &mut crate::batch::Batch,
    session: &str,
    lease: Lease<'_>,
    now: i64,
    events: usize,
) {
    b.push(TAKE_AND_LOCK)
        .bind(lease.owner)
        .bind(lease.until(now))
        .bind(now)
        .bind(session)
        .bind(i64::try_from(events).unwrap_or(i64::MAX));
}

/// The fence and the locked row from [`TAKE_AND_LOCK`]'s row; `None` when it was refused.
pub(crate) fn taken(
    row: Option<&crate::batch::Row>,
) -> Result<Option<(i64, crate::turns::Locked)>, StoreError> {
    let Some(row) = row else { return Ok(None) };
    let locked = crate::turns::Locked::from_row(row)?;
    Ok(Some((row.int("fence")?, locked)))
}

/// [`push_take_and_lock`] for a write that also saves the engine state over version
/// `expected` and gives the lease back at its end ([`crate::Store::acknowledge_and_answer`]):
/// one statement for the three, since every expression of an UPDATE reads the row as it
/// was (the fence moves exactly as a take would move it, and the owner is left empty as
/// giving back would leave it). Refused, like the take, when another live owner holds the
/// session, and when the state is not at `expected`.
#[allow(clippy::too_many_arguments)] // the take's binds and the state's
pub(crate) fn push_take_lock_and_save(
    b: &mut crate::batch::Batch,
    session: &str,
    lease: Lease<'_>,
    now: i64,
    events: usize,
    engine_state: &str,
    concept: &str,
    expected: i64,
) {
    b.push(TAKE_LOCK_SAVE_GIVE_BACK)
        .bind(lease.owner)
        .bind(now)
        .bind(session)
        .bind(i64::try_from(events).unwrap_or(i64::MAX))
        .bind(engine_state)
        .bind(concept)
        .bind(expected);
}

const TAKE_LOCK_SAVE_GIVE_BACK: &str = concat!(
    "UPDATE sessions SET owner = NULL, owner_until = NULL, ",
    take_fence!("$1", "$2"),
    ", updated_at = $2, last_event_seq = ",
    crate::turns::last_seq_after!("$4"),
    ", engine_state = $5, current_concept = $6, state_version = state_version + 1 \
     WHERE id = $3 AND ",
    takable!("$1", "$2"),
    " AND state_version = $7 \
     RETURNING fence, last_event_seq, state_version, reserved_seq"
);

const TAKE_AND_LOCK: &str = concat!(
    "UPDATE sessions SET owner = $1, owner_until = $2, ",
    take_fence!("$1", "$3"),
    ", updated_at = $3, last_event_seq = ",
    crate::turns::last_seq_after!("$5"),
    " WHERE id = $4 AND ",
    takable!("$1", "$3"),
    " RETURNING fence, last_event_seq, state_version, reserved_seq"
);

/// The SQL condition a fenced write adds to its `UPDATE sessions … WHERE id = …`, with the
/// fence as `$f` and now (Unix ms) as `$n`.
macro_rules! fenced {
    ($f:literal, $n:literal) => {
        concat!(
            "(fence = ",
            $f,
            " OR (",
            $f,
            " < 0 AND (owner IS NULL OR owner_until < ",
            $n,
            ")))"
        )
    };
}
pub(crate) use fenced;

/// The error for a fenced write that changed no row: the session is missing, or its lease
/// is another's.
pub(crate) async fn refused(tx: &mut Tx<'_>, session: &str) -> StoreError {
    let found: Result<Option<i64>, sqlx::Error> =
        sqlx::query_scalar("SELECT fence FROM sessions WHERE id = $1")
            .bind(session)
            .fetch_optional(&mut **tx)
            .await;
    match found {
        Ok(None) => StoreError::NotFound("session"),
        Ok(Some(_)) => StoreError::Fenced(session.to_owned()),
        Err(e) => StoreError::Database(e),
    }
}
