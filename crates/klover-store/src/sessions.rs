//! Sessions: creating and resuming them (always checked against the learner), the engine's
//! saved state, and the per-session event log a resuming websocket client replays.

use klover_domain::{ConceptId, CurriculumId};
use sqlx::any::AnyRow;

use crate::owner::{Fence, fenced};
use crate::store::{col, now_ms, opt_time, parsed, parsed_enum, time};
use crate::{
    LearnerId, Mode, NewSession, SessionId, SessionKind, SessionRow, SessionSummary, Store,
    StoreError, StoredEvent,
};

macro_rules! session_columns {
    () => {
        "id, learner_id, curriculum_id, curriculum_version, curriculum_number, \
     current_concept, mode, kind, engine_state, state_version, started_at, updated_at, ended_at"
    };
}

fn session_from(row: &AnyRow) -> Result<SessionRow, StoreError> {
    Ok(SessionRow {
        id: SessionId::from_db(col(row, "id")?),
        learner: LearnerId::from_db(col(row, "learner_id")?),
        curriculum: parsed(
            "sessions.curriculum_id",
            col(row, "curriculum_id")?,
            CurriculumId::parse,
        )?,
        curriculum_version: col(row, "curriculum_version")?,
        curriculum_number: col(row, "curriculum_number")?,
        current_concept: parsed(
            "sessions.current_concept",
            col(row, "current_concept")?,
            ConceptId::parse,
        )?,
        mode: parsed_enum("sessions.mode", col(row, "mode")?, Mode::parse)?,
        kind: parsed_enum("sessions.kind", col(row, "kind")?, SessionKind::parse)?,
        engine_state: col(row, "engine_state")?,
        state_version: col(row, "state_version")?,
        started_at: time(col(row, "started_at")?)?,
        updated_at: time(col(row, "updated_at")?)?,
        ended_at: opt_time(col(row, "ended_at")?)?,
    })
}

fn summary_from(row: &AnyRow) -> Result<SessionSummary, StoreError> {
    Ok(SessionSummary {
        id: SessionId::from_db(col(row, "id")?),
        curriculum: parsed(
            "sessions.curriculum_id",
            col(row, "curriculum_id")?,
            CurriculumId::parse,
        )?,
        current_concept: parsed(
            "sessions.current_concept",
            col(row, "current_concept")?,
            ConceptId::parse,
        )?,
        mode: parsed_enum("sessions.mode", col(row, "mode")?, Mode::parse)?,
        kind: parsed_enum("sessions.kind", col(row, "kind")?, SessionKind::parse)?,
        turn_count: col(row, "turn_count")?,
        started_at: time(col(row, "started_at")?)?,
        updated_at: time(col(row, "updated_at")?)?,
        ended_at: opt_time(col(row, "ended_at")?)?,
    })
}

impl Store {
    /// Starts a session for a learner (on no stored curriculum version).
    pub async fn create_session(&self, new: &NewSession) -> Result<SessionRow, StoreError> {
        self.create_pinned_session(new, None).await
    }

    /// Starts a session for a learner pinned to stored curriculum version `number`: it
    /// is taught that version for its whole life, whatever is published later.
    pub async fn create_pinned_session(
        &self,
        new: &NewSession,
        number: Option<i64>,
    ) -> Result<SessionRow, StoreError> {
        let id = SessionId::new();
        let now = now_ms();
        let mut b = self.batch();
        b.push(
            "INSERT INTO sessions (id, learner_id, curriculum_id, curriculum_version, \
             current_concept, mode, kind, started_at, updated_at, curriculum_number) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)",
        )
        .bind(id.as_str())
        .bind(new.learner.as_str())
        .bind(new.curriculum.as_str())
        .bind(new.curriculum_version.as_str())
        .bind(new.concept.as_str())
        .bind(new.mode.as_str())
        .bind(new.kind.as_str())
        .bind(now)
        .bind(number);
        if let Err(stopped) = self.write_batch(b).await? {
            return Err(match &stopped.error {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    StoreError::NotFound("learner")
                }
                _ => StoreError::Database(stopped.error),
            });
        }
        Ok(SessionRow {
            id,
            learner: new.learner.clone(),
            curriculum: new.curriculum.clone(),
            curriculum_version: new.curriculum_version.clone(),
            curriculum_number: number,
            current_concept: new.concept.clone(),
            mode: new.mode,
            kind: new.kind,
            engine_state: None,
            state_version: 0,
            started_at: time(now)?,
            updated_at: time(now)?,
            ended_at: None,
        })
    }

    /// The session, if it is `learner`'s: [`StoreError::NotFound`] when there is no such
    /// session, [`StoreError::Forbidden`] when it is another learner's. Every load or resume
    /// on behalf of a learner goes through here.
    pub async fn get_session(
        &self,
        learner: &LearnerId,
        session: &SessionId,
    ) -> Result<SessionRow, StoreError> {
        let row = self
            .find_session(session)
            .await?
            .ok_or(StoreError::NotFound("session"))?;
        if &row.learner != learner {
            return Err(StoreError::Forbidden("session"));
        }
        Ok(row)
    }

    /// The session whoever owns it: for admins and operator tools only.
    pub async fn find_session(
        &self,
        session: &SessionId,
    ) -> Result<Option<SessionRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE id = $1"
        );
        let row = sqlx::query(sql)
            .bind(session.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(session_from).transpose()
    }

    /// Saves the engine's JSON snapshot and the concept the learner is on, if the stored
    /// snapshot is still version `expected` (compare-and-set: [`StoreError::StaleState`]
    /// otherwise, nothing saved). Fenced like every session write (see `owner.rs`).
    /// Returns the new version.
    pub async fn save_engine_state(
        &self,
        session: &SessionId,
        concept: &ConceptId,
        engine_state: &str,
        expected: i64,
    ) -> Result<i64, StoreError> {
        let fence = self.fence(session.as_str());
        let now = now_ms();
        // The lock saves it, compare-and-set on the version (`turns::Lock::state`).
        let lock = crate::turns::Lock {
            state: Some((concept.as_str(), engine_state, expected)),
            ..crate::turns::Lock::default()
        };
        let mut b = self.batch();
        crate::turns::push_lock(&mut b, session, now, fence, lock);
        let ran = self.write_batch(b).await?.map_err(|s| s.error)?;
        if !ran.complete() {
            return Err(self.refusal(session, fence, now, true).await);
        }
        Ok(expected + 1)
    }

    /// The version of the session's saved engine state (0 before the first save).
    pub async fn state_version(&self, session: &SessionId) -> Result<i64, StoreError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT state_version FROM sessions WHERE id = $1")
                .bind(session.as_str())
                .fetch_optional(&self.pool)
                .await?;
        version.ok_or(StoreError::NotFound("session"))
    }

    /// Marks the session ended (the first end counts; later calls change nothing). Fenced
    /// like every session write (see `owner.rs`): an owner that lost the lease cannot end it.
    pub async fn end_session(&self, session: &SessionId) -> Result<(), StoreError> {
        let mut writing = self.write_grouped().await;
        let fence = self.fence(session.as_str());
        let mut tx = writing.begin().await?;
        let sql = concat!(
            "UPDATE sessions SET ended_at = COALESCE(ended_at, $1), updated_at = $1 \
             WHERE id = $2 AND ",
            fenced!("$3", "$1")
        );
        let done = sqlx::query(sql)
            .bind(now_ms())
            .bind(session.as_str())
            .bind(fence.0)
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(crate::owner::refused(&mut tx, session.as_str()).await);
        }
        tx.commit().await?;
        writing.durable().await?;
        Ok(())
    }

    /// The concept `learner`'s most recently updated learning session on `curriculum` was
    /// at (the newest started among equals), if any: where a new learning session picks up.
    /// One row, whatever the learner's history.
    pub async fn latest_learn_concept(
        &self,
        learner: &LearnerId,
        curriculum: &CurriculumId,
    ) -> Result<Option<ConceptId>, StoreError> {
        let concept: Option<String> = sqlx::query_scalar(
            "SELECT current_concept FROM sessions \
             WHERE learner_id = $1 AND curriculum_id = $2 AND kind = $3 \
             ORDER BY updated_at DESC, started_at DESC, id DESC LIMIT 1",
        )
        .bind(learner.as_str())
        .bind(curriculum.as_str())
        .bind(SessionKind::Learn.as_str())
        .fetch_optional(&self.pool)
        .await?;
        concept
            .map(|c| parsed("sessions.current_concept", c, ConceptId::parse))
            .transpose()
    }

    /// A learner's sessions, newest first.
    pub async fn list_sessions(
        &self,
        learner: &LearnerId,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.curriculum_id, s.current_concept, s.mode, s.kind, s.started_at, \
             s.updated_at, s.ended_at, \
             (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS turn_count \
             FROM sessions s WHERE s.learner_id = $1 ORDER BY s.started_at DESC, s.id DESC",
        )
        .bind(learner.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(summary_from).collect()
    }

    /// Appends an event (JSON) to the session's log and returns its seq: 1, 2, 3 … without
    /// gaps, handed out atomically even with several writers.
    pub async fn append_event(
        &self,
        session: &SessionId,
        payload: &str,
    ) -> Result<i64, StoreError> {
        let seqs = self.append_events(session, &[payload.to_owned()]).await?;
        seqs.first()
            .copied()
            .ok_or_else(|| StoreError::Conflict("the event was not stored".into()))
    }

    /// Appends several events (JSON) to the session's log in one transaction, in order,
    /// and returns their seqs (consecutive): all are stored or none.
    pub async fn append_events(
        &self,
        session: &SessionId,
        payloads: &[String],
    ) -> Result<Vec<i64>, StoreError> {
        if payloads.is_empty() {
            return Ok(Vec::new());
        }
        let fence = self.fence(session.as_str());
        let now = now_ms();
        let n = i64::try_from(payloads.len()).unwrap_or(i64::MAX);
        // One write: the seqs handed out (fenced, as `insert_events`), the rows inserted
        // under them.
        let mut b = self.batch();
        b.push(HAND_OUT_SEQS)
            .bind(session.as_str())
            .bind(fence.0)
            .bind(now)
            .bind(n)
            .required();
        crate::slices::push_events_after_lock(&mut b, session, payloads, now);
        let ran = self.write_batch(b).await?.map_err(|s| s.error)?;
        match ran.row(0) {
            Some(row) if ran.complete() => {
                let last = row.int("last_event_seq")?;
                Ok((last - n + 1..=last).collect())
            }
            // No such session, or another instance holds it.
            _ => Err(self.refusal(session, fence, now, false).await),
        }
    }

    /// The seq of the session's latest event (0 when it has none), or the highest seq
    /// reserved for a streaming reply if that is higher (a client may have seen it).
    pub async fn head_seq(&self, session: &SessionId) -> Result<i64, StoreError> {
        let head: Option<i64> = sqlx::query_scalar(
            "SELECT CASE WHEN reserved_seq > last_event_seq THEN reserved_seq \
             ELSE last_event_seq END FROM sessions WHERE id = $1",
        )
        .bind(session.as_str())
        .fetch_optional(&self.pool)
        .await?;
        head.ok_or(StoreError::NotFound("session"))
    }

    /// The session's events with a seq above `after_seq`, in order (what a resuming client
    /// missed). Check the learner with [`Store::get_session`] first.
    pub async fn events_since(
        &self,
        session: &SessionId,
        after_seq: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.events_page(session, after_seq, i64::MAX).await
    }

    /// At most `limit` of the session's events after seq `after_seq`, in order: resume
    /// and export page through a long log with this instead of loading it whole (the next
    /// page starts after the last seq of this one; a page shorter than `limit` is the end).
    pub async fn events_page(
        &self,
        session: &SessionId,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, payload FROM events WHERE session_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(session.as_str())
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredEvent {
                    seq: col(r, "seq")?,
                    payload: col(r, "payload")?,
                })
            })
            .collect()
    }
}

/// Appends an event inside `tx` and returns its seq. The counter update is the first write
/// on the session: it takes the write lock (SQLite) or the session's row lock (PostgreSQL),
/// so concurrent appends queue instead of colliding. A seq reserved for a streaming reply
/// (migration 0008) is never handed out again: an event appended while a reservation is
/// held goes after it (a gap, where reusing a seq a client saw would lose events; the
/// server never appends during a reply, and a cut reply's reservation is filled first).
///
/// The counter update is also the write's fence check (see `owner.rs`). On PostgreSQL the
/// insert announces the event (NOTIFY, a trigger of migration 0009) when `tx` commits.
pub(crate) async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    session: &SessionId,
    payload: &str,
    fence: Fence,
) -> Result<i64, StoreError> {
    let seqs = insert_events(tx, session, &[payload.to_owned()], fence).await?;
    seqs.first()
        .copied()
        .ok_or_else(|| StoreError::Conflict("the event was not stored".into()))
}

/// Hands out `$4` seqs of session `$1`'s log to a writer holding fence `$2` (now `$3`),
/// after a streaming reply's reservation if one is held; returns the last.
const HAND_OUT_SEQS: &str = concat!(
    "UPDATE sessions SET last_event_seq = ",
    crate::turns::last_seq_after!("$4"),
    " WHERE id = $1 AND ",
    fenced!("$2", "$3"),
    " RETURNING last_event_seq"
);

/// Appends `payloads` to the session's log inside `tx` in order, as [`insert_event`]
/// does one by one, in two statements however many there are (the seqs counter moved
/// once, the rows in one multi-row INSERT); returns their seqs.
pub(crate) async fn insert_events(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    session: &SessionId,
    payloads: &[String],
    fence: Fence,
) -> Result<Vec<i64>, StoreError> {
    let n = i64::try_from(payloads.len()).unwrap_or(i64::MAX);
    if n == 0 {
        return Ok(Vec::new());
    }
    let last: Option<i64> = sqlx::query_scalar(HAND_OUT_SEQS)
        .bind(session.as_str())
        .bind(fence.0)
        .bind(now_ms())
        .bind(n)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(last) = last else {
        return Err(crate::owner::refused(tx, session.as_str()).await);
    };
    let first = last - n + 1;
    crate::slices::insert_events_at(tx, session, first, payloads).await?;
    Ok((first..=last).collect())
}
