//! A streamed tutor reply stored in slices (issue 17, migration 0008): the server sends each
//! delta the moment it arrives, under a seq it hands out in memory, and stores the deltas
//! that arrived since its last commit in one transaction every so often, and the rest with
//! the reply's end. Before a seq is sent the store has reserved it (`sessions.reserved_seq`),
//! so a crash never lets a later event reuse a seq a client saw: finishing a reply cut by a
//! crash fills the reserved seqs no slice stored with an empty `tutor_delta` each.
//!
//! Every write here is fenced like the session's other writes (see `owner.rs`): its first
//! statement is `turns::lock_session` with the fence this handle holds.

use crate::store::now_ms;
use crate::turns::{turn_columns, turn_from};
use crate::{SessionId, Store, StoreError, TurnId, TurnRow, TurnStatus, Usage};

type Tx<'c> = sqlx::Transaction<'c, sqlx::Any>;

/// Deltas of a streamed reply stored together.
#[derive(Debug, Clone, Copy)]
pub struct ReplySlice<'a> {
    /// The seq of the first payload: the one after the session's stored head.
    pub first_seq: i64,
    /// The `tutor_delta` events (JSON), in seq order.
    pub payloads: &'a [String],
    /// Their text, appended to the turn.
    pub text: &'a str,
    /// Seqs reserved from now on, through this one (a reservation never shrinks while the
    /// reply streams).
    pub reserve_through: i64,
}

/// What becomes of the seqs reserved for a reply but not stored, when it finishes.
#[derive(Debug, Clone, Copy)]
pub enum Reserved<'a> {
    /// The reply's live driver stored every seq it sent: the rest were never used.
    Release,
    /// Its driver is gone (a crash, a failure): a client may have seen any of them, so
    /// each becomes this event (JSON: an empty `tutor_delta` of the turn).
    Fill(&'a str),
}

/// How a streaming tutor turn ends.
#[derive(Debug, Clone, Copy)]
pub struct ReplyEnd<'a> {
    /// Complete, partial or failed (never streaming).
    pub status: TurnStatus,
    /// The move it worded (JSON).
    pub move_json: Option<&'a str>,
    /// LLM tokens, when known.
    pub usage: Option<Usage>,
    /// The deltas not stored yet, stored with the end.
    pub last_slice: Option<ReplySlice<'a>>,
    /// Seqs reserved and not stored.
    pub reserved: Reserved<'a>,
}

impl Store {
    /// Starts the tutor turn answering learner turn `answers` (then `replying`, pointing at
    /// it) and reserves the `ahead` seqs after the session's head for its deltas, in one
    /// transaction. Returns the turn, the head and the highest reserved seq.
    pub async fn begin_sliced_reply(
        &self,
        session: &SessionId,
        answers: &TurnId,
        ahead: i64,
    ) -> Result<(TurnRow, i64, i64), StoreError> {
        let now = now_ms();
        let fence = self.fence(session.as_str());
        // One write: the lock, the fence check and the reservation in one statement, the
        // turn inserted, the learner turn pointed at it.
        let lock = crate::turns::Lock {
            reserve: Some(ahead),
            ..crate::turns::Lock::default()
        };
        let mut b = self.batch();
        crate::turns::push_lock(&mut b, session, now, fence, lock);
        let id = TurnId::new();
        let new = crate::turns::NewTurn {
            id: &id,
            session,
            role: crate::TurnRole::Tutor,
            text: "",
            status: TurnStatus::Streaming,
            client_message_id: None,
            now,
            born: crate::turns::Born::default(),
        };
        new.push(&mut b);
        b.required();
        b.push(
            "UPDATE turns SET reply = 'replying', reply_turn_id = $1 \
             WHERE id = $2 AND reply IN ('acknowledged', 'assessed')",
        )
        .bind(id.as_str())
        .bind(answers.as_str());
        let ran = self.write_batch(b).await?.map_err(|s| s.error)?;
        let Some(row) = ran.row(0) else {
            return Err(self.refusal(session, fence, now, false).await);
        };
        let locked = crate::turns::Locked::from_row(row)?;
        let turn = match new.inserted(&ran, 1)? {
            Some(turn) if ran.complete() => turn,
            _ => {
                return Err(StoreError::Conflict(
                    "the tutor turn was not inserted".into(),
                ));
            }
        };
        Ok((turn, locked.last_event_seq, locked.reserved_seq))
    }

    /// Stores a slice of streaming turn `turn`: its events under their seqs, its text
    /// appended, the reservation extended, in one transaction.
    /// [`StoreError::Conflict`] when the slice does not follow the stored head or the turn
    /// is no longer streaming.
    pub async fn store_reply_slice(
        &self,
        session: &SessionId,
        turn: &TurnId,
        slice: ReplySlice<'_>,
    ) -> Result<(), StoreError> {
        let fence = self.fence(session.as_str());
        let now = now_ms();
        // One write: the lock, then the head moved, the text appended and the events
        // inserted, each required to find its row (the write is undone otherwise).
        let mut b = self.batch();
        crate::turns::push_lock(&mut b, session, now, fence, crate::turns::Lock::default());
        let n = i64::try_from(slice.payloads.len()).unwrap_or(i64::MAX);
        if n > 0 {
            push_slice(&mut b, session, turn, slice, now);
        }
        let ran = self.write_batch(b).await?.map_err(|s| s.error)?;
        if ran.row(0).is_none() {
            return Err(self.refusal(session, fence, now, false).await);
        }
        match ran.len() {
            _ if ran.complete() => Ok(()),
            2 => Err(StoreError::Conflict(format!(
                "a slice from seq {} does not follow the stored head",
                slice.first_seq
            ))),
            _ => Err(StoreError::Conflict(format!(
                "turn {turn} is not streaming"
            ))),
        }
    }

    /// Ends a streaming tutor turn as `end` says (its last slice stored, the reserved seqs
    /// released or filled) and logs its `tutor_done` (JSON from `event`, given the finished
    /// turn) in one transaction, so a finished reply always has its `tutor_done`. Returns
    /// the turn and the seqs logged: the fillers of [`Reserved::Fill`] if any, then the
    /// `tutor_done`'s.
    pub async fn finish_reply_turn(
        &self,
        session: &SessionId,
        turn: &TurnId,
        end: ReplyEnd<'_>,
        event: impl FnOnce(&TurnRow) -> String,
    ) -> Result<(TurnRow, Vec<i64>), StoreError> {
        let mut writing = self.write_grouped().await;
        if end.status == TurnStatus::Streaming {
            return Err(StoreError::Invalid(
                "a turn cannot finish as `streaming`".into(),
            ));
        }
        let now = now_ms();
        let fence = self.fence(session.as_str());
        let mut tx = writing.begin().await?;
        crate::turns::lock_session(&mut tx, session, now, fence).await?;
        if let Some(slice) = end.last_slice {
            store_slice(&mut tx, session, turn, slice).await?;
        }
        let mut seqs = settle_reserved(&mut tx, session, end.reserved).await?;
        let sql = concat!(
            "UPDATE turns SET status = $1, move = $2, \
             prompt_tokens = $3, completion_tokens = $4, finished_at = $5, updated_at = $5 \
             WHERE id = $6 AND session_id = $7 AND status = 'streaming' RETURNING ",
            turn_columns!()
        );
        let row = sqlx::query(sql)
            .bind(end.status.as_str())
            .bind(end.move_json)
            .bind(end.usage.map(|u| u.prompt_tokens))
            .bind(end.usage.map(|u| u.completion_tokens))
            .bind(now)
            .bind(turn.as_str())
            .bind(session.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!(
                "turn {turn} is not streaming"
            )));
        };
        let done = turn_from(&row)?;
        seqs.push(crate::sessions::insert_event(&mut tx, session, &event(&done), fence).await?);
        tx.commit().await?;
        writing.durable().await?;
        Ok((done, seqs))
    }
}

/// Stores `slice` inside `tx`. The head update comes first: it takes the write lock
/// (SQLite) or the session's row lock (PostgreSQL).
async fn store_slice(
    tx: &mut Tx<'_>,
    session: &SessionId,
    turn: &TurnId,
    slice: ReplySlice<'_>,
) -> Result<(), StoreError> {
    let n = i64::try_from(slice.payloads.len()).unwrap_or(i64::MAX);
    if n == 0 {
        return Ok(());
    }
    let last = slice.first_seq + n - 1;
    let moved = sqlx::query(
        "UPDATE sessions SET last_event_seq = $1, reserved_seq = \
         CASE WHEN reserved_seq > $2 THEN reserved_seq ELSE $2 END \
         WHERE id = $3 AND last_event_seq = $4",
    )
    .bind(last)
    .bind(slice.reserve_through)
    .bind(session.as_str())
    .bind(slice.first_seq - 1)
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!(
            "a slice from seq {} does not follow the stored head",
            slice.first_seq
        )));
    }
    let appended = sqlx::query(
        "UPDATE turns SET text = text || $1, updated_at = $2 \
         WHERE id = $3 AND session_id = $4 AND status = 'streaming'",
    )
    .bind(slice.text)
    .bind(now_ms())
    .bind(turn.as_str())
    .bind(session.as_str())
    .execute(&mut **tx)
    .await?;
    if appended.rows_affected() != 1 {
        return Err(StoreError::Conflict(format!(
            "turn {turn} is not streaming"
        )));
    }
    insert_events_at(tx, session, slice.first_seq, slice.payloads).await
}

/// [`store_slice`]'s statements for a [`crate::batch::Batch`] after the session's lock:
/// the head moved past the slice (required: the slice follows the stored head), the text
/// appended (required: the turn is streaming), the events inserted under their seqs.
fn push_slice(
    b: &mut crate::batch::Batch,
    session: &SessionId,
    turn: &TurnId,
    slice: ReplySlice<'_>,
    now: i64,
) {
    let n = i64::try_from(slice.payloads.len()).unwrap_or(i64::MAX);
    b.push(
        "UPDATE sessions SET last_event_seq = $1, reserved_seq = \
         CASE WHEN reserved_seq > $2 THEN reserved_seq ELSE $2 END \
         WHERE id = $3 AND last_event_seq = $4",
    )
    .bind(slice.first_seq + n - 1)
    .bind(slice.reserve_through)
    .bind(session.as_str())
    .bind(slice.first_seq - 1)
    .required();
    b.push(
        "UPDATE turns SET text = text || $1, updated_at = $2 \
         WHERE id = $3 AND session_id = $4 AND status = 'streaming'",
    )
    .bind(slice.text)
    .bind(now)
    .bind(turn.as_str())
    .bind(session.as_str())
    .required();
    push_event_rows(b, session, slice.payloads, now, Seqs::From(slice.first_seq));
}

/// Where a batch of events' seqs come from.
#[derive(Clone, Copy)]
enum Seqs {
    /// Consecutive from this one.
    From(i64),
    /// The last ones the session's lock just handed out, read in SQL from its row.
    AfterLock,
}

/// Inserts `payloads` as events of `session` in order, many rows per statement (two
/// parameters a row; SQLite allows 32,766 a statement).
fn push_event_rows(
    b: &mut crate::batch::Batch,
    session: &SessionId,
    payloads: &[String],
    now: i64,
    seqs: Seqs,
) {
    const ROWS: usize = 500;
    let mut left = payloads.len();
    let mut next = match seqs {
        Seqs::From(first) => first,
        Seqs::AfterLock => 0,
    };
    for chunk in payloads.chunks(ROWS) {
        let mut sql =
            String::from("INSERT INTO events (session_id, seq, payload, created_at) VALUES ");
        for i in 0..chunk.len() {
            let p = i * 2;
            if i > 0 {
                sql.push(',');
            }
            let seq = match seqs {
                Seqs::From(_) => format!("${}", p + 3),
                Seqs::AfterLock => {
                    format!(
                        "(SELECT last_event_seq FROM sessions WHERE id = $1) - ${}",
                        p + 3
                    )
                }
            };
            sql.push_str(&format!("($1, {seq}, ${}, $2)", p + 4));
        }
        b.push(&sql).bind(session.as_str()).bind(now);
        for payload in chunk {
            left -= 1;
            let seq = match seqs {
                Seqs::From(_) => next,
                Seqs::AfterLock => i64::try_from(left).unwrap_or(i64::MAX),
            };
            next += 1;
            b.bind(seq).bind(payload.as_str());
        }
    }
}

/// Inserts events under the seqs the session's lock just handed out (the last
/// `payloads.len()` up to its `last_event_seq`, read in SQL), for a
/// [`crate::batch::Batch`] whose lock statement comes first; many rows per statement.
pub(crate) fn push_events_after_lock(
    b: &mut crate::batch::Batch,
    session: &SessionId,
    payloads: &[String],
    now: i64,
) {
    push_event_rows(b, session, payloads, now, Seqs::AfterLock);
}

/// Inserts events under consecutive seqs from `first`, many rows per statement.
pub(crate) async fn insert_events_at(
    tx: &mut Tx<'_>,
    session: &SessionId,
    first: i64,
    payloads: &[String],
) -> Result<(), StoreError> {
    let mut b = crate::batch::Batch::new();
    push_event_rows(&mut b, session, payloads, now_ms(), Seqs::From(first));
    b.run(tx, None).await.map_err(|s| s.error)?;
    Ok(())
}

/// Releases the session's reservation, or first fills the seqs it holds beyond the stored
/// head with `filler` events (see [`Reserved`]). Returns the fillers' seqs.
async fn settle_reserved(
    tx: &mut Tx<'_>,
    session: &SessionId,
    reserved: Reserved<'_>,
) -> Result<Vec<i64>, StoreError> {
    let mut filled = Vec::new();
    if let Reserved::Fill(filler) = reserved {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT last_event_seq, reserved_seq FROM sessions WHERE id = $1")
                .bind(session.as_str())
                .fetch_optional(&mut **tx)
                .await?;
        let (head, through) = row.ok_or(StoreError::NotFound("session"))?;
        if through > head {
            let n = usize::try_from(through - head).unwrap_or_default();
            let fillers = vec![filler.to_owned(); n];
            sqlx::query("UPDATE sessions SET last_event_seq = $1 WHERE id = $2")
                .bind(through)
                .bind(session.as_str())
                .execute(&mut **tx)
                .await?;
            insert_events_at(tx, session, head + 1, &fillers).await?;
            filled.extend(head + 1..=through);
        }
    }
    sqlx::query("UPDATE sessions SET reserved_seq = 0 WHERE id = $1 AND reserved_seq <> 0")
        .bind(session.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(filled)
}
