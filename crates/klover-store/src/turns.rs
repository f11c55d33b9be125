//! Turns: the learner's words committed before anything else happens, and the tutor's reply
//! stored as it streams, so a stop, a disconnect or a crash keeps what arrived.

use std::time::Duration;

use sqlx::any::AnyRow;

use crate::owner::{Fence, fenced};
use crate::store::{col, now_ms, parsed_enum, time};
use crate::{
    AppendedTurn, FollowingTurn, SessionId, Store, StoreError, TurnId, TurnRole, TurnRow,
    TurnStatus, Usage,
};

macro_rules! turn_columns {
    () => {
        "id, session_id, seq, role, text, status, move, \
     prompt_tokens, completion_tokens, client_message_id, created_at"
    };
}
pub(crate) use turn_columns;

pub(crate) fn turn_from(row: &AnyRow) -> Result<TurnRow, StoreError> {
    let prompt: Option<i64> = col(row, "prompt_tokens")?;
    let completion: Option<i64> = col(row, "completion_tokens")?;
    Ok(TurnRow {
        id: TurnId::from_db(col(row, "id")?),
        session: SessionId::from_db(col(row, "session_id")?),
        seq: col(row, "seq")?,
        role: parsed_enum("turns.role", col(row, "role")?, TurnRole::parse)?,
        text: col(row, "text")?,
        status: parsed_enum("turns.status", col(row, "status")?, TurnStatus::parse)?,
        move_json: col(row, "move")?,
        usage: prompt
            .zip(completion)
            .map(|(prompt_tokens, completion_tokens)| Usage {
                prompt_tokens,
                completion_tokens,
            }),
        client_message_id: col(row, "client_message_id")?,
        created_at: time(col(row, "created_at")?)?,
    })
}

/// The session's last event seq once `$n` more events are handed out, as an expression
/// over the row before the UPDATE (SET expressions read the old row): after a streaming
/// reply's reservation if one is held (migration 0008), unchanged when `$n` is 0.
macro_rules! last_seq_after {
    ($n:literal) => {
        concat!(
            "CASE WHEN ",
            $n,
            " = 0 THEN last_event_seq WHEN reserved_seq > last_event_seq THEN reserved_seq + ",
            $n,
            " ELSE last_event_seq + ",
            $n,
            " END"
        )
    };
}
pub(crate) use last_seq_after;

/// Locks the session for writing, as the first statement of a transaction: SQLite takes its
/// write lock now (waiting out the busy timeout, where a read-then-write transaction could
/// fail with SQLITE_BUSY), PostgreSQL locks the session row, so the turns of one session get
/// their seqs one writer at a time.
///
/// It is also the write's fence check (see `owner.rs`): refused with
/// [`StoreError::Fenced`] when `fence` is not the session's current one.
pub(crate) async fn lock_session(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    session: &SessionId,
    now: i64,
    fence: Fence,
) -> Result<Locked, StoreError> {
    lock_session_for(tx, session, now, fence, Lock::default()).await
}

/// What a write does to its session's row besides locking it, in the same statement (each
/// statement is a round trip to the database; see docs/benchmarks.md, issue 17).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Lock<'a> {
    /// Seqs handed out to events this transaction inserts (as
    /// [`crate::sessions::insert_events`] would, after a reservation of a streaming reply).
    pub(crate) events: usize,
    /// The session's lease given back, if `fence` is still the current one (the caller
    /// forgets it after the commit): only for a write that closes a reply, which rolls
    /// back if the reply was already closed.
    pub(crate) give_back: bool,
    /// Seqs reserved past the last one for a streaming reply's deltas (migration 0008):
    /// `reserved_seq` becomes the last event seq plus this.
    pub(crate) reserve: Option<i64>,
    /// The engine state saved, compare-and-set on its version: `(concept, JSON, expected
    /// version)`; [`StoreError::StaleState`] when the stored version is another.
    pub(crate) state: Option<(&'a str, &'a str, i64)>,
}

/// The locked session's row, as the lock left it.
#[derive(Debug)]
pub(crate) struct Locked {
    /// The last event seq handed out: with [`Lock::events`] = n, the events' seqs are
    /// `last_event_seq - n + 1 ..= last_event_seq`.
    pub(crate) last_event_seq: i64,
    /// The version of its stored engine state.
    pub(crate) state_version: i64,
    /// The last seq reserved for a streaming reply.
    pub(crate) reserved_seq: i64,
}

impl Locked {
    /// From a `RETURNING last_event_seq, state_version, reserved_seq` row.
    pub(crate) fn from_row(row: &crate::batch::Row) -> Result<Locked, StoreError> {
        Ok(Locked {
            last_event_seq: row.int("last_event_seq")?,
            state_version: row.int("state_version")?,
            reserved_seq: row.int("reserved_seq")?,
        })
    }

    /// The first of the seqs [`Lock::events`] handed out.
    pub(crate) fn first_seq(&self, events: usize) -> i64 {
        self.last_event_seq - i64::try_from(events).unwrap_or(i64::MAX) + 1
    }
}

/// [`lock_session`], with what `lock` asks done in the same statement.
pub(crate) async fn lock_session_for(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    session: &SessionId,
    now: i64,
    fence: Fence,
    lock: Lock<'_>,
) -> Result<Locked, StoreError> {
    let mut b = crate::batch::Batch::new();
    push_lock(&mut b, session, now, fence, lock);
    let ran = b.run(tx, None).await.map_err(|s| s.error)?;
    match ran.row(0) {
        Some(row) => Locked::from_row(row),
        None => Err(why_refused(&mut **tx, session, fence, now, lock.state.is_some()).await),
    }
}

/// Why a fenced lock changed no row: the session is missing, its lease is another's, or
/// (when the lock compared the engine state's version) that version moved on.
async fn why_refused<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    session: &SessionId,
    fence: Fence,
    now: i64,
    state_compared: bool,
) -> StoreError {
    let sql = concat!(
        "SELECT fence, CASE WHEN ",
        fenced!("$2", "$3"),
        " THEN 1 ELSE 0 END AS fenced_ok FROM sessions WHERE id = $1"
    );
    let found = sqlx::query(sql)
        .bind(session.as_str())
        .bind(fence.0)
        .bind(now)
        .fetch_optional(db)
        .await;
    match found {
        Err(e) => StoreError::Database(e),
        Ok(None) => StoreError::NotFound("session"),
        Ok(Some(r)) => match col::<i64>(&r, "fenced_ok") {
            Ok(1) if state_compared => StoreError::StaleState(session.to_string()),
            Ok(_) => StoreError::Fenced(session.to_string()),
            Err(e) => e,
        },
    }
}

/// [`lock_session_for`]'s statement.
const LOCK: &str = concat!(
    "UPDATE sessions SET updated_at = $1, last_event_seq = ",
    last_seq_after!("$4"),
    ", reserved_seq = CASE WHEN $6 < 0 THEN reserved_seq ELSE ",
    last_seq_after!("$4"),
    " + $6 END, \
     owner = CASE WHEN $5 = 1 AND fence = $3 THEN NULL ELSE owner END, \
     owner_until = CASE WHEN $5 = 1 AND fence = $3 THEN NULL ELSE owner_until END, \
     engine_state = CASE WHEN $7 < 0 THEN engine_state ELSE $8 END, \
     current_concept = CASE WHEN $7 < 0 THEN current_concept ELSE $9 END, \
     state_version = CASE WHEN $7 < 0 THEN state_version ELSE state_version + 1 END \
     WHERE id = $2 AND ($7 < 0 OR state_version = $7) AND ",
    fenced!("$3", "$1"),
    " RETURNING last_event_seq, state_version, reserved_seq"
);

/// [`lock_session_for`]'s statement, for a [`crate::batch::Batch`] (marked required: on
/// PostgreSQL the batch stops when it changes no row). Read its row with
/// [`Locked::from_row`]; without one, [`Store::refusal`] says why.
pub(crate) fn push_lock(
    b: &mut crate::batch::Batch,
    session: &SessionId,
    now: i64,
    fence: Fence,
    lock: Lock<'_>,
) {
    b.push(LOCK)
        .bind(now)
        .bind(session.as_str())
        .bind(fence.0)
        .bind(i64::try_from(lock.events).unwrap_or(i64::MAX))
        .bind(i64::from(lock.give_back))
        .bind(lock.reserve.map_or(-1, |r| r.max(0)))
        .bind(lock.state.map_or(-1, |(_, _, expected)| expected.max(0)))
        .bind(lock.state.map(|(_, json, _)| json))
        .bind(lock.state.map(|(concept, _, _)| concept))
        .required();
}

impl Store {
    /// Why a fenced lock changed no row, read after its write was undone (see
    /// [`why_refused`]).
    pub(crate) async fn refusal(
        &self,
        session: &SessionId,
        fence: Fence,
        now: i64,
        state_compared: bool,
    ) -> StoreError {
        why_refused(&self.pool, session, fence, now, state_compared).await
    }
}

/// The arguments of [`Store::append_whole_reply`].
#[derive(Clone, Copy)]
struct WholeReply<'a> {
    session: &'a SessionId,
    id: &'a TurnId,
    text: &'a str,
    status: TurnStatus,
    move_json: Option<&'a str>,
    event_payloads: &'a [String],
    answers: Option<(&'a TurnId, crate::ReplyState)>,
    following: Option<FollowingTurn<'a>>,
}

/// Columns a new turn is inserted with at once, where an UPDATE after the INSERT would be
/// one more statement.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Born<'a> {
    /// The tutor move (JSON) of a whole tutor turn.
    pub(crate) move_json: Option<&'a str>,
    /// A whole turn: finished when inserted.
    pub(crate) finished: bool,
    /// A learner turn's reply, where it is one.
    pub(crate) reply: Option<BornReply<'a>>,
}

/// Where a learner turn's reply stands when the turn is inserted.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BornReply<'a> {
    /// Acknowledged, the reply claimed: `(owner, lease until)`.
    Claimed(&'a str, i64),
    /// Stored in the same transaction (`answered`, nobody holding it).
    Answered,
}

impl<'a> BornReply<'a> {
    /// The `reply`, `reply_owner` and `reply_lease_until` columns.
    fn columns(reply: Option<Self>) -> (Option<&'static str>, Option<&'a str>, Option<i64>) {
        match reply {
            None => (None, None, None),
            Some(BornReply::Claimed(owner, until)) => {
                (Some("acknowledged"), Some(owner), Some(until))
            }
            Some(BornReply::Answered) => (Some("answered"), None, None),
        }
    }
}

/// Inserts a turn with the session's next seq in one statement; the session must be
/// locked. `None` when the session already holds `client_message_id` (nothing inserted).
#[allow(clippy::too_many_arguments)] // one per column, all needed
pub(crate) async fn insert_turn(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: TurnId,
    session: &SessionId,
    role: TurnRole,
    text: &str,
    status: TurnStatus,
    client_message_id: Option<&str>,
    now: i64,
    born: Born<'_>,
) -> Result<Option<TurnRow>, StoreError> {
    let new = NewTurn {
        id: &id,
        session,
        role,
        text,
        status,
        client_message_id,
        now,
        born,
    };
    let mut b = crate::batch::Batch::new();
    new.push(&mut b);
    let ran = b.run(tx, None).await.map_err(|s| s.error)?;
    new.inserted(&ran, 0)
}

/// [`insert_turn`]'s statement. The next `seq` is a scalar subquery in `VALUES`, not an
/// `INSERT … SELECT` from `turns` itself: SQLite runs an insert that reads its own table
/// through a temporary table, and this statement was the SQLite writer thread's costliest
/// (docs/benchmarks.md, "The writer thread's statements").
const INSERT_TURN: &str = "INSERT INTO turns (id, session_id, seq, role, text, status, \
     client_message_id, created_at, updated_at, move, finished_at, reply, reply_owner, \
     reply_lease_until) \
     VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE session_id = $2), \
     $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12) \
     ON CONFLICT (session_id, client_message_id) DO NOTHING RETURNING seq";

/// A turn to insert with [`NewTurn::push`] (the columns of [`insert_turn`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewTurn<'a> {
    pub(crate) id: &'a TurnId,
    pub(crate) session: &'a SessionId,
    pub(crate) role: TurnRole,
    pub(crate) text: &'a str,
    pub(crate) status: TurnStatus,
    pub(crate) client_message_id: Option<&'a str>,
    pub(crate) now: i64,
    pub(crate) born: Born<'a>,
}

impl NewTurn<'_> {
    /// [`insert_turn`]'s statement, for a [`crate::batch::Batch`]: it returns the turn's
    /// `seq`, or no row when the session already holds the client message id.
    pub(crate) fn push(&self, b: &mut crate::batch::Batch) {
        let born = self.born;
        let (reply, owner, until) = BornReply::columns(born.reply);
        b.push(INSERT_TURN)
            .bind(self.id.as_str())
            .bind(self.session.as_str())
            .bind(self.role.as_str())
            .bind(self.text)
            .bind(self.status.as_str())
            .bind(self.client_message_id)
            .bind(self.now)
            .bind(born.move_json)
            .bind(born.finished.then_some(self.now))
            .bind(reply)
            .bind(owner)
            .bind(until);
    }

    /// The inserted turn, from the `seq` its statement returned.
    pub(crate) fn row(&self, seq: i64) -> Result<TurnRow, StoreError> {
        Ok(TurnRow {
            id: self.id.clone(),
            session: self.session.clone(),
            seq,
            role: self.role,
            text: self.text.to_owned(),
            status: self.status,
            move_json: self.born.move_json.map(str::to_owned),
            usage: None,
            client_message_id: self.client_message_id.map(str::to_owned),
            created_at: time(self.now)?,
        })
    }

    /// The inserted turn from the batch's statement `i` ([`NewTurn::push`]); `None` when it
    /// inserted nothing.
    pub(crate) fn inserted(
        &self,
        ran: &crate::batch::Ran,
        i: usize,
    ) -> Result<Option<TurnRow>, StoreError> {
        match ran.row(i) {
            None => Ok(None),
            Some(r) => self.row(r.int("seq")?).map(Some),
        }
    }
}

/// A [`FollowingTurn`] as a [`NewTurn`] (whole, complete, with its move).
pub(crate) struct FollowingNew<'a>(pub(crate) NewTurn<'a>);

impl<'a> FollowingNew<'a> {
    pub(crate) fn new(
        turn: FollowingTurn<'a>,
        session: &'a SessionId,
        now: i64,
    ) -> FollowingNew<'a> {
        FollowingNew(NewTurn {
            id: turn.id,
            session,
            role: TurnRole::Tutor,
            text: turn.text,
            status: TurnStatus::Complete,
            client_message_id: None,
            now,
            born: Born {
                move_json: turn.move_json,
                finished: true,
                ..Born::default()
            },
        })
    }
}

impl Store {
    /// Stores what the learner typed, committed before the call returns. Idempotent on
    /// `client_message_id`: a retry (after a reconnect) finds the first turn and adds none.
    pub async fn append_learner_turn(
        &self,
        session: &SessionId,
        client_message_id: &str,
        text: &str,
    ) -> Result<AppendedTurn, StoreError> {
        let now = now_ms();
        let fence = self.fence(session.as_str());
        let id = TurnId::new();
        let new = NewTurn {
            id: &id,
            session,
            role: TurnRole::Learner,
            text,
            status: TurnStatus::Complete,
            client_message_id: Some(client_message_id),
            now,
            born: Born::default(),
        };
        // One write: the session locked, the turn inserted (nothing on a retry, which
        // undoes the write).
        let mut b = self.batch();
        push_lock(&mut b, session, now, fence, Lock::default());
        new.push(&mut b);
        b.required();
        let ran = self.write_batch(b).await?.map_err(|s| s.error)?;
        if ran.row(0).is_none() {
            return Err(self.refusal(session, fence, now, false).await);
        }
        if let Some(turn) = new.inserted(&ran, 1)?
            && ran.complete()
        {
            return Ok(AppendedTurn {
                turn,
                new: true,
                state_version: None,
            });
        }
        // A retry: the first turn with this client id stands.
        self.learner_turn_by_client_id(session, client_message_id)
            .await
    }

    /// Starts a tutor reply: an empty turn in `streaming` status.
    pub async fn begin_tutor_turn(&self, session: &SessionId) -> Result<TurnRow, StoreError> {
        let mut writing = self.write_grouped().await;
        let now = now_ms();
        let fence = self.fence(session.as_str());
        let mut tx = writing.begin().await?;
        lock_session(&mut tx, session, now, fence).await?;
        let turn = insert_turn(
            &mut tx,
            TurnId::new(),
            session,
            TurnRole::Tutor,
            "",
            TurnStatus::Streaming,
            None,
            now,
            Born::default(),
        )
        .await?
        // Only a client message id can conflict, and a tutor turn has none.
        .ok_or_else(|| StoreError::Conflict("the tutor turn was not inserted".into()))?;
        tx.commit().await?;
        writing.durable().await?;
        Ok(turn)
    }

    /// Stores a tutor reply known in full at once (the offline voice) in one transaction:
    /// the turn `id` with its whole `text`, finished as `status` with its move, and then
    /// `event_payloads` (JSON, e.g. its `tutor_delta`s and `tutor_done`, and what follows
    /// them) in the session's event log, in order. One commit instead of one per delta and
    /// per event; a crash stores all of it or none (nothing was sent before the commit).
    /// Returns the finished turn and the events' seqs.
    pub async fn append_whole_tutor_turn(
        &self,
        session: &SessionId,
        id: &TurnId,
        text: &str,
        status: TurnStatus,
        move_json: Option<&str>,
        event_payloads: &[String],
    ) -> Result<(TurnRow, Vec<i64>), StoreError> {
        self.append_whole_reply(
            session,
            id,
            text,
            status,
            move_json,
            event_payloads,
            None,
            None,
        )
        .await
    }

    /// As [`Store::append_whole_tutor_turn`], and when `answers` is given, in the same
    /// transaction closes the reply to that learner turn as the given state: the reply,
    /// its events and the end of the turn's work are one commit, with the `following`
    /// tutor turn if any (the next concept's opening, after this one).
    /// [`StoreError::Conflict`] (nothing stored) when that reply was already closed.
    #[allow(clippy::too_many_arguments)] // one per column, all needed
    pub async fn append_whole_reply(
        &self,
        session: &SessionId,
        id: &TurnId,
        text: &str,
        status: TurnStatus,
        move_json: Option<&str>,
        event_payloads: &[String],
        answers: Option<(&TurnId, crate::ReplyState)>,
        following: Option<FollowingTurn<'_>>,
    ) -> Result<(TurnRow, Vec<i64>), StoreError> {
        let reply = WholeReply {
            session,
            id,
            text,
            status,
            move_json,
            event_payloads,
            answers,
            following,
        };
        self.whole_reply(&reply, None).await
    }

    /// As [`Store::append_whole_reply`] answering learner turn `answers`, and in the same
    /// transaction records that turn's assessment and saves the engine state it led to
    /// (as [`Store::record_assessment_and_state`], compare-and-set on `assessed.expected`):
    /// the learner turn goes from `acknowledged` to answered in one commit, for a reply
    /// known as soon as the turn is assessed (the offline voice). A crash before the commit
    /// leaves the turn `acknowledged`, to be assessed again. Returns the finished turn, the
    /// events' seqs and the engine state's new version.
    #[allow(clippy::too_many_arguments)] // one per column, all needed
    pub async fn append_assessed_reply(
        &self,
        session: &SessionId,
        id: &TurnId,
        text: &str,
        status: TurnStatus,
        move_json: Option<&str>,
        event_payloads: &[String],
        answers: (&TurnId, crate::ReplyState),
        assessed: crate::Assessed<'_>,
    ) -> Result<(TurnRow, Vec<i64>, i64), StoreError> {
        let reply = WholeReply {
            session,
            id,
            text,
            status,
            move_json,
            event_payloads,
            answers: Some(answers),
            following: None,
        };
        let a = &crate::learning::checked(assessed.assessment)?;
        let assessed = &crate::Assessed {
            assessment: a,
            ..assessed
        };
        let (turn, seqs) = self
            .retrying("store an assessed reply", || {
                self.whole_reply(&reply, Some(assessed))
            })
            .await?;
        Ok((turn, seqs, assessed.expected + 1))
    }

    async fn whole_reply(
        &self,
        reply: &WholeReply<'_>,
        assessed: Option<&crate::Assessed<'_>>,
    ) -> Result<(TurnRow, Vec<i64>), StoreError> {
        let WholeReply {
            session,
            id,
            text,
            status,
            move_json,
            event_payloads,
            answers,
            following,
        } = *reply;
        if status == TurnStatus::Streaming {
            return Err(StoreError::Invalid(
                "a whole reply cannot be stored as `streaming`".into(),
            ));
        }
        let now = now_ms();
        let fence = self.fence(session.as_str());
        // One batch (one query on SQLite): the events' seqs handed out, and the lease
        // given back when this closes a reply, with the lock; all of it rolls back if the
        // reply was closed.
        let lock = Lock {
            events: event_payloads.len(),
            give_back: answers.is_some(),
            state: assessed.map(|a| (a.concept.as_str(), a.engine_state, a.expected)),
            ..Lock::default()
        };
        let compared = assessed.is_some();
        let mut b = self.batch();
        push_lock(&mut b, session, now, fence, lock);
        let scores_at = match (assessed, answers) {
            (Some(assessed), Some((learner_turn, _))) => crate::learning::push_assessment(
                &mut b,
                learner_turn.as_str(),
                session.as_str(),
                now,
                assessed.assessment,
            ),
            _ => None,
        };
        let born = Born {
            move_json,
            finished: true,
            ..Born::default()
        };
        let new = NewTurn {
            id,
            session,
            role: TurnRole::Tutor,
            text,
            status,
            client_message_id: None,
            now,
            born,
        };
        // The statements below that must find their row are required: when one finds
        // none, the whole write is undone and the checks below say which.
        let turn_at = b.len();
        new.push(&mut b);
        b.required();
        let closed_at = b.len();
        if let Some((learner_turn, state)) = answers {
            crate::replies::push_mark_closed(&mut b, learner_turn, state)?;
            b.required();
        }
        let following = following.map(|turn| FollowingNew::new(turn, session, now));
        if let Some(turn) = &following {
            turn.0.push(&mut b);
            b.required();
        }
        crate::slices::push_events_after_lock(&mut b, session, event_payloads, now);
        let ran = match self.write_batch(b).await? {
            Ok(ran) => ran,
            Err(stopped) => {
                let refused = stopped.ran.len() > 0 && stopped.ran.row(0).is_none();
                if refused {
                    return Err(self.refusal(session, fence, now, compared).await);
                }
                if let (Some(turn), Some(_)) =
                    (answers, stopped.at.filter(|at| Some(*at) == scores_at))
                {
                    return Err(StoreError::unique_as_conflict(
                        stopped.error,
                        format!("turn {} is already assessed", turn.0),
                    ));
                }
                return Err(stopped.error.into());
            }
        };
        let Some(row) = ran.row(0) else {
            return Err(self.refusal(session, fence, now, compared).await);
        };
        let locked = Locked::from_row(row)?;
        let Some(turn) = new.inserted(&ran, turn_at)? else {
            return Err(StoreError::Conflict(
                "the tutor turn was not inserted".into(),
            ));
        };
        if let Some((learner_turn, _)) = answers
            && ran.affected(closed_at) != 1
        {
            return Err(StoreError::Conflict(format!(
                "the reply to turn {learner_turn} is already closed"
            )));
        }
        if following.is_some()
            && ran
                .row(closed_at + usize::from(answers.is_some()))
                .is_none()
        {
            return Err(StoreError::Conflict(
                "the tutor turn was not inserted".into(),
            ));
        }
        if !ran.complete() {
            return Err(StoreError::Conflict("the reply was not stored".into()));
        }
        if answers.is_some() {
            self.forget(session.as_str());
        }
        let first = locked.first_seq(event_payloads.len());
        let seqs = if event_payloads.is_empty() {
            Vec::new()
        } else {
            (first..=locked.last_event_seq).collect()
        };
        Ok((turn, seqs))
    }

    /// Appends a piece of the reply as it arrives; [`StoreError::Conflict`] once the turn
    /// has finished. Fenced on the turn's session (see `owner.rs`).
    pub async fn append_tutor_text(&self, turn: &TurnId, delta: &str) -> Result<(), StoreError> {
        let mut writing = self.write_grouped().await;
        let now = now_ms();
        let session = self.session_of(turn).await?;
        let fence = self.fence(session.as_str());
        let mut tx = writing.begin().await?;
        lock_session(&mut tx, &session, now, fence).await?;
        let done = sqlx::query(
            "UPDATE turns SET text = text || $1, updated_at = $2 \
             WHERE id = $3 AND status = 'streaming'",
        )
        .bind(delta)
        .bind(now)
        .bind(turn.as_str())
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 1 {
            tx.commit().await?;
            writing.durable().await?;
            return Ok(());
        }
        tx.rollback().await?;
        Err(self.not_streaming(turn).await)
    }

    /// Appends a piece of the reply and the event that announces it (JSON, e.g. a
    /// `tutor_delta` frame) in one transaction: one commit instead of two, and the event log
    /// never shows text the turn does not hold. Returns the event's seq.
    pub async fn append_tutor_delta(
        &self,
        session: &SessionId,
        turn: &TurnId,
        delta: &str,
        event_payload: &str,
    ) -> Result<i64, StoreError> {
        let mut writing = self.write_grouped().await;
        let fence = self.fence(session.as_str());
        let mut tx = writing.begin().await?;
        let done = sqlx::query(
            "UPDATE turns SET text = text || $1, updated_at = $2 \
             WHERE id = $3 AND session_id = $4 AND status = 'streaming'",
        )
        .bind(delta)
        .bind(now_ms())
        .bind(turn.as_str())
        .bind(session.as_str())
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(self.not_streaming(turn).await);
        }
        let seq = crate::sessions::insert_event(&mut tx, session, event_payload, fence).await?;
        tx.commit().await?;
        writing.durable().await?;
        Ok(seq)
    }

    /// Ends a tutor reply as complete, partial or failed, with its move and LLM usage.
    /// Returns the finished turn (its whole text). Fenced on the turn's session.
    pub async fn finish_tutor_turn(
        &self,
        turn: &TurnId,
        status: TurnStatus,
        move_json: Option<&str>,
        usage: Option<Usage>,
    ) -> Result<TurnRow, StoreError> {
        let mut writing = self.write_grouped().await;
        if status == TurnStatus::Streaming {
            return Err(StoreError::Invalid(
                "a turn cannot finish as `streaming`".into(),
            ));
        }
        let now = now_ms();
        let session = self.session_of(turn).await?;
        let fence = self.fence(session.as_str());
        let mut tx = writing.begin().await?;
        lock_session(&mut tx, &session, now, fence).await?;
        let sql = concat!(
            "UPDATE turns SET status = $1, move = $2, prompt_tokens = $3, completion_tokens = $4, \
             finished_at = $5, updated_at = $5 WHERE id = $6 AND status = 'streaming' \
             RETURNING ",
            turn_columns!()
        );
        let row = sqlx::query(sql)
            .bind(status.as_str())
            .bind(move_json)
            .bind(usage.map(|u| u.prompt_tokens))
            .bind(usage.map(|u| u.completion_tokens))
            .bind(now)
            .bind(turn.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        match row {
            Some(row) => {
                tx.commit().await?;
                writing.durable().await?;
                turn_from(&row)
            }
            None => {
                tx.rollback().await?;
                Err(self.not_streaming(turn).await)
            }
        }
    }

    /// Closes every turn a crash left `streaming` as `partial`, keeping its text (not one
    /// of a session another live instance holds the lease on). Run at start-up of a single
    /// instance; returns how many turns it closed.
    pub async fn recover_streaming_turns(&self) -> Result<u64, StoreError> {
        self.recover_streaming_turns_idle_for(Duration::ZERO).await
    }

    /// As [`Store::recover_streaming_turns`], but only turns with no write for `idle`: with
    /// several instances on one PostgreSQL, a starting instance must not cut replies the
    /// others are still streaming. Whatever the idle time, a turn of a session whose lease
    /// another live instance holds is left alone (it is that owner's to finish: a quiet
    /// upstream, or clocks that disagree, make a live turn look idle), as is the turn of a
    /// reply being written (the reply sweep claims and finishes those).
    pub async fn recover_streaming_turns_idle_for(
        &self,
        idle: Duration,
    ) -> Result<u64, StoreError> {
        let _writing = self.write_turn().await;
        let now = now_ms();
        let idle_ms = i64::try_from(idle.as_millis()).unwrap_or(i64::MAX);
        let done = sqlx::query(
            "UPDATE turns SET status = 'partial', finished_at = $1, updated_at = $1 \
             WHERE status = 'streaming' AND updated_at <= $2 \
             AND id NOT IN (SELECT reply_turn_id FROM turns \
                 WHERE reply = 'replying' AND reply_turn_id IS NOT NULL) \
             AND session_id IN (SELECT id FROM sessions \
                 WHERE owner IS NULL OR owner_until < $1)",
        )
        .bind(now)
        .bind(now.saturating_sub(idle_ms))
        .execute(&self.pool)
        .await?;
        let closed = done.rows_affected();
        if closed > 0 {
            tracing::warn!(
                closed,
                "closed tutor turns left streaming by a crash as partial"
            );
        }
        Ok(closed)
    }

    /// A session's turns in order.
    pub async fn turns(&self, session: &SessionId) -> Result<Vec<TurnRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            turn_columns!(),
            " FROM turns WHERE session_id = $1 ORDER BY seq"
        );
        let rows = sqlx::query(sql)
            .bind(session.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(turn_from).collect()
    }

    /// The session `turn` belongs to (a turn never changes session), for a write that
    /// names only the turn and must carry its session's fence.
    async fn session_of(&self, turn: &TurnId) -> Result<SessionId, StoreError> {
        let session: Option<String> =
            sqlx::query_scalar("SELECT session_id FROM turns WHERE id = $1")
                .bind(turn.as_str())
                .fetch_optional(&self.pool)
                .await?;
        session
            .map(SessionId::from_db)
            .ok_or(StoreError::NotFound("turn"))
    }

    /// The session's last `limit` turns that hold text, in order, and how many earlier
    /// ones hold text too (counted, not loaded): the LLM's context is built from this
    /// bounded window, however long the session.
    pub async fn recent_turns(
        &self,
        session: &SessionId,
        limit: i64,
    ) -> Result<(Vec<TurnRow>, i64), StoreError> {
        let sql = concat!(
            "SELECT ",
            turn_columns!(),
            " FROM (SELECT ",
            turn_columns!(),
            " FROM turns WHERE session_id = $1 AND text <> '' ORDER BY seq DESC LIMIT $2) \
             AS recent ORDER BY seq"
        );
        let rows = sqlx::query(sql)
            .bind(session.as_str())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let with_text: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM turns WHERE session_id = $1 AND text <> ''")
                .bind(session.as_str())
                .fetch_one(&self.pool)
                .await?;
        let turns = rows.iter().map(turn_from).collect::<Result<Vec<_>, _>>()?;
        let earlier = with_text - i64::try_from(turns.len()).unwrap_or(i64::MAX);
        Ok((turns, earlier.max(0)))
    }

    /// One turn of the session, `None` if it has no such turn.
    pub async fn turn(
        &self,
        session: &SessionId,
        turn: &TurnId,
    ) -> Result<Option<TurnRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            turn_columns!(),
            " FROM turns WHERE session_id = $1 AND id = $2"
        );
        let row = sqlx::query(sql)
            .bind(session.as_str())
            .bind(turn.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(turn_from).transpose()
    }

    /// The error for a write to a turn that is not streaming: missing, or already finished.
    async fn not_streaming(&self, turn: &TurnId) -> StoreError {
        let status: Result<Option<String>, sqlx::Error> =
            sqlx::query_scalar("SELECT status FROM turns WHERE id = $1")
                .bind(turn.as_str())
                .fetch_optional(&self.pool)
                .await;
        match status {
            Ok(None) => StoreError::NotFound("turn"),
            Ok(Some(status)) => StoreError::Conflict(format!("turn {turn} is already {status}")),
            Err(e) => StoreError::Database(e),
        }
    }
}
