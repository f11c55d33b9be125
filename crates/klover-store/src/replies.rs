//! The reply to each learner turn as a claimable piece of work (migration 0006): a learner
//! turn is acknowledged together with its `learner_ack` event, assessed together with its
//! learner model, replied to, and closed together with its closing events. Whoever drives a
//! reply holds a lease on it; a crash stops the renewals, and once the lease runs out a
//! conditional UPDATE lets exactly one instance take it over.

use std::time::Duration;

use sqlx::any::AnyRow;

use crate::store::{col, now_ms, parsed_enum};
use crate::turns::{Born, BornReply, Lock, turn_columns, turn_from};
use crate::{
    AppendedTurn, FollowingTurn, PendingReply, ReplyState, SessionId, Store, StoreError, TurnId,
    TurnRow, TurnStatus,
};

/// The states in which something is left to do.
macro_rules! unfinished {
    () => {
        "('acknowledged', 'assessed', 'replying')"
    };
}

macro_rules! pending_columns {
    () => {
        concat!(turn_columns!(), ", reply, reply_outcome, reply_turn_id")
    };
}

fn pending_from(row: &AnyRow) -> Result<PendingReply, StoreError> {
    let reply_turn: Option<String> = col(row, "reply_turn_id")?;
    Ok(PendingReply {
        turn: turn_from(row)?,
        state: parsed_enum("turns.reply", col(row, "reply")?, ReplyState::parse)?,
        outcome: col(row, "reply_outcome")?,
        reply_turn: reply_turn.map(TurnId::from_db),
    })
}

/// A row when no learner turn of session `$1` but the one with client id `$2` has its
/// reply unfinished ([`Store::acknowledge_next_learner_turn`]'s check).
const ALL_ANSWERED: &str = concat!(
    "SELECT 1 AS answered WHERE NOT EXISTS (SELECT 1 FROM turns WHERE session_id = $1 \
     AND reply IN ",
    unfinished!(),
    " AND (client_message_id IS NULL OR client_message_id <> $2))"
);

/// A learner's message as a new turn, its reply where `reply` says (claimed by a lease:
/// [`claimed`]; or answered in the same transaction).
fn message_turn<'a>(
    id: &'a TurnId,
    session: &'a SessionId,
    client_message_id: &'a str,
    text: &'a str,
    now: i64,
    reply: BornReply<'a>,
) -> crate::turns::NewTurn<'a> {
    crate::turns::NewTurn {
        id,
        session,
        role: crate::TurnRole::Learner,
        text,
        status: TurnStatus::Complete,
        client_message_id: Some(client_message_id),
        now,
        born: Born {
            reply: Some(reply),
            ..Born::default()
        },
    }
}

/// A reply acknowledged and claimed by `lease` from `now`.
fn claimed(lease: Lease<'_>, now: i64) -> BornReply<'_> {
    BornReply::Claimed(lease.owner, lease.until(now))
}

/// Who claims a reply, and for how long before others may take it over.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    /// The claiming instance's id.
    pub owner: &'a str,
    /// How long the claim holds without a renewal.
    pub ttl: Duration,
}

impl Lease<'_> {
    pub(crate) fn until(&self, now: i64) -> i64 {
        now.saturating_add(i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX / 2))
    }
}

impl Store {
    /// Stores what the learner typed, claimed by `lease`, and its `learner_ack` event (JSON
    /// from `ack`, given the new turn's id) in one transaction: a learner turn is never
    /// acknowledged without being stored, nor stored without its acknowledgement logged.
    /// Idempotent on `client_message_id`: a retry finds the first turn (`new: false`) and
    /// logs nothing. Returns the ack's seq when one was logged.
    ///
    /// The same transaction takes the session's lease (see `owner.rs`): while another live
    /// instance holds it, a new message is refused with [`StoreError::OwnedElsewhere`]
    /// (nothing stored), and a retry of a stored one is found as above.
    pub async fn acknowledge_learner_turn(
        &self,
        session: &SessionId,
        client_message_id: &str,
        text: &str,
        lease: Lease<'_>,
        ack: impl FnOnce(&TurnId) -> String,
    ) -> Result<(AppendedTurn, Option<i64>), StoreError> {
        let acked = self.acknowledge(session, client_message_id, text, lease, ack, false);
        let acked = acked.await?;
        // Without the check nothing refuses a message (`None` comes only from the check).
        acked.ok_or_else(|| StoreError::Invalid("a message was refused without a check".into()))
    }

    /// As [`Store::acknowledge_learner_turn`], for a new message: the same transaction
    /// first checks that every earlier message of the session (another client id) has
    /// its reply finished, and when one has not (a crash cut it; or, on PostgreSQL,
    /// another instance is answering it) nothing is stored and `None` is returned: that
    /// reply goes first ([`Store::unfinished_replies`] finds it). The check is in the
    /// write, so a message needs no read of its own before it.
    pub async fn acknowledge_next_learner_turn(
        &self,
        session: &SessionId,
        client_message_id: &str,
        text: &str,
        lease: Lease<'_>,
        ack: impl FnOnce(&TurnId) -> String,
    ) -> Result<Option<(AppendedTurn, Option<i64>)>, StoreError> {
        self.acknowledge(session, client_message_id, text, lease, ack, true)
            .await
    }

    async fn acknowledge(
        &self,
        session: &SessionId,
        client_message_id: &str,
        text: &str,
        lease: Lease<'_>,
        ack: impl FnOnce(&TurnId) -> String,
        answered_first: bool,
    ) -> Result<Option<(AppendedTurn, Option<i64>)>, StoreError> {
        let now = now_ms();
        let id = TurnId::new();
        let new = message_turn(
            &id,
            session,
            client_message_id,
            text,
            now,
            claimed(lease, now),
        );
        // One batch (one query on SQLite): the lease taken, the session locked and the ack
        // event's seq handed out (one statement), the turn inserted, its ack logged.
        let mut b = self.batch();
        crate::owner::push_take_and_lock(&mut b, session.as_str(), lease, now, 1);
        b.required();
        if answered_first {
            b.push(ALL_ANSWERED)
                .bind(session.as_str())
                .bind(client_message_id);
            b.required();
        }
        let at = if answered_first { 2 } else { 1 };
        // A retry inserts nothing (the client id is taken): the whole write is undone.
        new.push(&mut b);
        b.required();
        crate::slices::push_events_after_lock(&mut b, session, &[ack(&id)], now);
        let (ran, failed) = match self.write_batch(b).await? {
            Ok(ran) => (ran, None),
            Err(stopped) => (stopped.ran, Some(stopped.error)),
        };
        // The lock ran and was refused (what followed it, if it ran, is undone).
        let refused = ran.len() > 0 && ran.row(0).is_none();
        let taken = crate::owner::taken(ran.row(0))?;
        // The check ran and found an earlier reply unfinished (the write is undone).
        if answered_first && failed.is_none() && ran.len() == 2 && ran.row(1).is_none() {
            return Ok(None);
        }
        let inserted = match (&failed, &taken) {
            (None, Some(_)) if ran.complete() => new.inserted(&ran, at)?,
            _ => None,
        };
        // Kept and durable only when both are there (the write was undone otherwise).
        let (Some((fence, locked)), Some(turn)) = (taken, inserted) else {
            if let Some(e) = failed
                && !refused
            {
                return Err(e.into());
            }
            // Refused (another instance holds the session) or a retry: the first turn with
            // this client id stands.
            return match self
                .learner_turn_by_client_id(session, client_message_id)
                .await
            {
                Ok(first) => Ok(Some((first, None))),
                Err(StoreError::Database(sqlx::Error::RowNotFound)) if refused => {
                    Err(StoreError::OwnedElsewhere(session.to_string()))
                }
                Err(e) => Err(e),
            };
        };
        self.hold(session.as_str(), fence);
        let seq = locked.last_event_seq;
        let appended = AppendedTurn {
            turn,
            new: true,
            state_version: Some(locked.state_version),
        };
        Ok(Some((appended, Some(seq))))
    }

    /// A learner's new message and the reply to it in one transaction: the message stored
    /// and acknowledged as [`Store::acknowledge_next_learner_turn`] would (turn id
    /// `learner_turn`, its `learner_ack` JSON `ack`), its assessment, the engine state it
    /// led to (compare-and-set on `answer.assessed.expected`) and its whole reply with the
    /// reply's events, as [`Store::append_assessed_reply`] would after it. The message is
    /// inserted `answered`; one UPDATE takes the lease, saves the state and gives the lease
    /// back. One write and one commit for a turn
    /// whose reply is known as soon as it is assessed (the offline voice, in the same
    /// concept): nothing is acknowledged before the commit that also holds its answer.
    ///
    /// `None`, with nothing stored, when either write alone would not have been stored as
    /// asked: the client id is taken (a retry), an earlier reply is unfinished, another
    /// instance holds the session, or the stored engine state is not the expected one.
    /// The caller then acknowledges the message alone, which says which it was.
    #[allow(clippy::too_many_arguments)] // the message, its acknowledgement, its answer
    pub async fn acknowledge_and_answer(
        &self,
        session: &SessionId,
        learner_turn: &TurnId,
        client_message_id: &str,
        text: &str,
        lease: Lease<'_>,
        ack: String,
        answer: crate::AnswerAtOnce<'_>,
    ) -> Result<Option<crate::AnsweredAtOnce>, StoreError> {
        let now = now_ms();
        let a = crate::learning::checked(answer.assessed.assessment)?;
        let mut payloads = Vec::with_capacity(1 + answer.event_payloads.len());
        payloads.push(ack);
        payloads.extend(answer.event_payloads.iter().cloned());
        let assessed = answer.assessed;
        let mut b = self.batch();
        crate::owner::push_take_lock_and_save(
            &mut b,
            session.as_str(),
            lease,
            now,
            payloads.len(),
            assessed.engine_state,
            assessed.concept.as_str(),
            assessed.expected,
        );
        b.required();
        b.push(ALL_ANSWERED)
            .bind(session.as_str())
            .bind(client_message_id);
        b.required();
        // Stored answered: its reply is in this transaction.
        let message = message_turn(
            learner_turn,
            session,
            client_message_id,
            text,
            now,
            BornReply::Answered,
        );
        let message_at = b.len();
        message.push(&mut b);
        b.required();
        crate::learning::push_assessment(&mut b, learner_turn.as_str(), session.as_str(), now, &a);
        // A whole tutor turn, inserted as the next concept's opening is.
        let reply = crate::FollowingTurn {
            id: answer.reply,
            text: answer.text,
            move_json: answer.move_json,
        };
        let crate::turns::FollowingNew(reply) =
            crate::turns::FollowingNew::new(reply, session, now);
        let reply_at = b.len();
        reply.push(&mut b);
        b.required();
        crate::slices::push_events_after_lock(&mut b, session, &payloads, now);
        let ran = match self.write_batch(b).await? {
            Ok(ran) if ran.complete() => ran,
            Ok(_) => return Ok(None),
            Err(stopped) => return Err(stopped.error.into()),
        };
        let Some((_, locked)) = crate::owner::taken(ran.row(0))? else {
            return Ok(None);
        };
        let (Some(learner_turn), Some(reply)) = (
            message.inserted(&ran, message_at)?,
            reply.inserted(&ran, reply_at)?,
        ) else {
            return Err(StoreError::Conflict("the turns were not inserted".into()));
        };
        // The lease was given back in the same transaction.
        self.forget(session.as_str());
        let first = locked.first_seq(payloads.len());
        Ok(Some(crate::AnsweredAtOnce {
            learner_turn,
            reply,
            seqs: (first..=locked.last_event_seq).collect(),
            state_version: assessed.expected + 1,
        }))
    }

    pub(crate) async fn learner_turn_by_client_id(
        &self,
        session: &SessionId,
        client_message_id: &str,
    ) -> Result<AppendedTurn, StoreError> {
        let sql = concat!(
            "SELECT ",
            turn_columns!(),
            " FROM turns WHERE session_id = $1 AND client_message_id = $2"
        );
        let row = sqlx::query(sql)
            .bind(session.as_str())
            .bind(client_message_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(AppendedTurn {
            turn: turn_from(&row)?,
            new: false,
            state_version: None,
        })
    }

    /// As [`Store::record_assessment_and_state`], and in the same transaction moves the
    /// turn's reply from `acknowledged` to `assessed` with the engine's decision
    /// (`outcome`, JSON): a crash after this commit resumes at the reply, never assessing
    /// the turn twice. `session` is the turn's (the caller knows it: one read fewer).
    ///
    /// With `begin_reply` (seqs to reserve), the same transaction also begins the reply's
    /// streaming tutor turn, as [`Store::begin_sliced_reply`] would after it (the reply
    /// is then `replying`): one commit fewer before the first token of an LLM reply.
    /// Returns the engine state's new version and the reply begun, if any. A review
    /// answer's `grading` (cards rescheduled, reviews logged) is stored in the same
    /// transaction.
    #[allow(clippy::too_many_arguments)] // the turn, its session, and what is recorded
    pub async fn record_assessment_for_reply(
        &self,
        session: &SessionId,
        turn: &TurnId,
        a: &crate::TurnAssessment,
        concept: &klover_domain::ConceptId,
        engine_state: &str,
        expected: i64,
        outcome: &str,
        begin_reply: Option<i64>,
        grading: crate::Grading<'_>,
    ) -> Result<(i64, Option<(TurnRow, i64, i64)>), StoreError> {
        let what = crate::learning::Recording {
            session: Some(session),
            state: Some((concept, engine_state, expected)),
            outcome: Some(outcome),
            begin_reply,
            grading,
            ..crate::learning::Recording::of(turn)
        };
        let done = self.record(&what, a).await?;
        Ok((done.saved.unwrap_or(expected), done.begun))
    }

    /// Claims the reply to learner turn `turn` for `lease`: succeeds when nobody holds it,
    /// `lease.owner` already does, or the holder's lease ran out (it crashed or stalled).
    /// One conditional UPDATE, so of several claimants exactly one wins; the same
    /// transaction takes the session's lease (see `owner.rs`). `None` when the reply is
    /// finished, or it or its session is held by another live owner.
    pub async fn claim_reply(
        &self,
        turn: &TurnId,
        lease: Lease<'_>,
    ) -> Result<Option<PendingReply>, StoreError> {
        let mut writing = self.write_grouped().await;
        let now = now_ms();
        let mut tx = writing.begin().await?;
        let sql = concat!(
            "UPDATE turns SET reply_owner = $1, reply_lease_until = $2 \
             WHERE id = $3 AND reply IN ",
            unfinished!(),
            " AND (reply_owner IS NULL OR reply_owner = $1 OR reply_lease_until < $4) \
             RETURNING ",
            pending_columns!()
        );
        let row = sqlx::query(sql)
            .bind(lease.owner)
            .bind(lease.until(now))
            .bind(turn.as_str())
            .bind(now)
            .fetch_optional(&mut **tx)
            .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let pending = pending_from(&row)?;
        let session = pending.turn.session.as_str();
        let Some(fence) = crate::owner::take(&mut tx, session, lease, now).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        tx.commit().await?;
        writing.durable().await?;
        self.hold(session, fence);
        Ok(Some(pending))
    }

    /// Extends `lease.owner`'s claim on `turn` and its lease on the turn's session; false
    /// when it no longer holds them (the reply finished, or another instance took it over
    /// after the lease ran out).
    pub async fn renew_reply(&self, turn: &TurnId, lease: Lease<'_>) -> Result<bool, StoreError> {
        let _writing = self.write_turn().await;
        let now = now_ms();
        let session = sqlx::query(
            "UPDATE sessions SET owner_until = $1 \
             WHERE id = (SELECT session_id FROM turns WHERE id = $2) AND owner = $3",
        )
        .bind(lease.until(now))
        .bind(turn.as_str())
        .bind(lease.owner)
        .execute(&self.pool)
        .await?;
        if session.rows_affected() != 1 {
            return Ok(false);
        }
        let sql = concat!(
            "UPDATE turns SET reply_lease_until = $1 \
             WHERE id = $2 AND reply_owner = $3 AND reply IN ",
            unfinished!()
        );
        let done = sqlx::query(sql)
            .bind(lease.until(now))
            .bind(turn.as_str())
            .bind(lease.owner)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The session's learner turns whose reply is not finished, oldest first.
    pub async fn unfinished_replies(
        &self,
        session: &SessionId,
    ) -> Result<Vec<PendingReply>, StoreError> {
        let sql = concat!(
            "SELECT ",
            pending_columns!(),
            " FROM turns WHERE session_id = $1 AND reply IN ",
            unfinished!(),
            " ORDER BY seq"
        );
        let rows = sqlx::query(sql)
            .bind(session.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(pending_from).collect()
    }

    /// Up to `limit` unfinished replies nobody holds a live lease on (their driver
    /// crashed), oldest first, as `(session, learner turn)`.
    pub async fn orphaned_replies(
        &self,
        limit: i64,
    ) -> Result<Vec<(SessionId, TurnId)>, StoreError> {
        let sql = concat!(
            "SELECT session_id, id FROM turns WHERE reply IN ",
            unfinished!(),
            " AND (reply_lease_until IS NULL OR reply_lease_until < $1) \
             ORDER BY created_at LIMIT $2"
        );
        let rows = sqlx::query(sql)
            .bind(now_ms())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    SessionId::from_db(col(r, "session_id")?),
                    TurnId::from_db(col(r, "id")?),
                ))
            })
            .collect()
    }

    /// Starts the tutor turn answering learner turn `answers` (then `replying`, pointing
    /// at it) in one transaction.
    pub async fn begin_reply_turn(
        &self,
        session: &SessionId,
        answers: &TurnId,
    ) -> Result<TurnRow, StoreError> {
        let mut writing = self.write_grouped().await;
        let now = now_ms();
        let fence = self.fence(session.as_str());
        let mut tx = writing.begin().await?;
        crate::turns::lock_session(&mut tx, session, now, fence).await?;
        let turn = crate::turns::insert_turn(
            &mut tx,
            TurnId::new(),
            session,
            crate::TurnRole::Tutor,
            "",
            TurnStatus::Streaming,
            None,
            now,
            Born::default(),
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("the tutor turn was not inserted".into()))?;
        set_replying(&mut tx, answers, &turn.id).await?;
        tx.commit().await?;
        writing.durable().await?;
        Ok(turn)
    }

    /// Closes the reply to learner turn `answers` as `state` and logs `payloads` (its
    /// closing events) in one transaction, with the `following` tutor turn if any (the
    /// next concept's opening). `None` (nothing logged) when it was already closed:
    /// closing events are logged exactly once.
    pub async fn close_reply(
        &self,
        session: &SessionId,
        answers: &TurnId,
        state: ReplyState,
        payloads: &[String],
        following: Option<FollowingTurn<'_>>,
    ) -> Result<Option<Vec<i64>>, StoreError> {
        let now = now_ms();
        let fence = self.fence(session.as_str());
        // One write: the lease given back and the events' seqs handed out with the lock,
        // the reply closed (required: when it already was, the whole write is undone),
        // the following turn, the events.
        let lock = Lock {
            events: payloads.len(),
            give_back: true,
            ..Lock::default()
        };
        let mut b = self.batch();
        crate::turns::push_lock(&mut b, session, now, fence, lock);
        push_mark_closed(&mut b, answers, state)?;
        b.required();
        let following = following.map(|turn| crate::turns::FollowingNew::new(turn, session, now));
        if let Some(turn) = &following {
            turn.0.push(&mut b);
            b.required();
        }
        crate::slices::push_events_after_lock(&mut b, session, payloads, now);
        let ran = self.write_batch(b).await?.map_err(|s| s.error)?;
        let Some(row) = ran.row(0) else {
            return Err(self.refusal(session, fence, now, false).await);
        };
        if ran.affected(1) != 1 {
            // Already closed: nothing logged.
            return Ok(None);
        }
        if !ran.complete() {
            return Err(StoreError::Conflict(
                "the tutor turn was not inserted".into(),
            ));
        }
        let locked = crate::turns::Locked::from_row(row)?;
        self.forget(session.as_str());
        let first = locked.first_seq(payloads.len());
        let seqs = if payloads.is_empty() {
            Vec::new()
        } else {
            (first..=locked.last_event_seq).collect()
        };
        Ok(Some(seqs))
    }
}

type Tx<'c> = sqlx::Transaction<'c, sqlx::Any>;

pub(crate) async fn set_replying(
    tx: &mut Tx<'_>,
    answers: &TurnId,
    reply: &TurnId,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE turns SET reply = 'replying', reply_turn_id = $1 \
         WHERE id = $2 AND reply IN ('acknowledged', 'assessed')",
    )
    .bind(reply.as_str())
    .bind(answers.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks the reply to `answers` closed as `state`, for a [`crate::batch::Batch`]: it
/// changes one row, or none when the reply was already closed. The batch's lock gives the
/// session's lease back ([`crate::turns::Lock::give_back`]).
pub(crate) fn push_mark_closed(
    b: &mut crate::batch::Batch,
    answers: &TurnId,
    state: ReplyState,
) -> Result<(), StoreError> {
    final_state(state)?;
    b.push(MARK_CLOSED)
        .bind(state.as_str())
        .bind(answers.as_str());
    Ok(())
}

fn final_state(state: ReplyState) -> Result<(), StoreError> {
    if !state.is_final() {
        return Err(StoreError::Invalid(format!(
            "a reply cannot close as `{state}`"
        )));
    }
    Ok(())
}

const MARK_CLOSED: &str = concat!(
    "UPDATE turns SET reply = $1, reply_owner = NULL, reply_lease_until = NULL \
     WHERE id = $2 AND reply IN ",
    unfinished!()
);
