//! Spaced-review cards (one per learner and checkpoint, holding the FSRS memory state) and
//! the review log (one row per review, written with the card's new state in one
//! transaction; an overrule rewrites its row and the card together).

use chrono::{DateTime, Utc};
use klover_domain::{CheckpointId, CurriculumId};
use sqlx::any::AnyRow;

use crate::store::{col, now_ms, opt_time, parsed, parsed_enum, time};
use crate::{
    CardMemory, CardSource, Grade, LearnerId, ReviewCard, ReviewEntry, ReviewId, SessionId, Store,
    StoreError, TurnId,
};

macro_rules! card_columns {
    () => {
        "learner_id, curriculum_id, checkpoint_id, stability, difficulty, \
     due_at, last_review_at, reps, lapses, source, suspended"
    };
}

/// The card upsert, with `$memory` standing for (stability, difficulty).
macro_rules! upsert_card {
    ($memory:literal) => {
        concat!(
            "INSERT INTO review_cards (learner_id, curriculum_id, checkpoint_id, due_at, \
             last_review_at, reps, lapses, source, created_at, updated_at, stability, difficulty) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, ",
            $memory,
            ") ON CONFLICT (learner_id, curriculum_id, checkpoint_id) DO UPDATE SET \
             stability = excluded.stability, difficulty = excluded.difficulty, \
             due_at = excluded.due_at, last_review_at = excluded.last_review_at, \
             reps = excluded.reps, lapses = excluded.lapses, source = excluded.source, \
             updated_at = excluded.updated_at"
        )
    };
}

/// A card's insert that keeps an existing card of the same checkpoint as it is.
macro_rules! insert_new_card {
    ($memory:literal) => {
        concat!(
            "INSERT INTO review_cards (learner_id, curriculum_id, checkpoint_id, due_at, \
             last_review_at, reps, lapses, source, created_at, updated_at, stability, difficulty) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, ",
            $memory,
            ") ON CONFLICT (learner_id, curriculum_id, checkpoint_id) DO NOTHING"
        )
    };
}

fn card_from(row: &AnyRow) -> Result<ReviewCard, StoreError> {
    let stability: Option<f64> = col(row, "stability")?;
    let difficulty: Option<f64> = col(row, "difficulty")?;
    Ok(ReviewCard {
        learner: LearnerId::from_db(col(row, "learner_id")?),
        curriculum: parsed(
            "review_cards.curriculum_id",
            col(row, "curriculum_id")?,
            CurriculumId::parse,
        )?,
        checkpoint: parsed(
            "review_cards.checkpoint_id",
            col(row, "checkpoint_id")?,
            CheckpointId::parse,
        )?,
        memory: stability
            .zip(difficulty)
            .map(|(stability, difficulty)| CardMemory {
                stability,
                difficulty,
            }),
        due_at: time(col(row, "due_at")?)?,
        last_review_at: opt_time(col(row, "last_review_at")?)?,
        reps: col(row, "reps")?,
        lapses: col(row, "lapses")?,
        source: parsed_enum(
            "review_cards.source",
            col(row, "source")?,
            CardSource::parse,
        )?,
        suspended: col::<i64>(row, "suspended")? != 0,
    })
}

macro_rules! log_columns {
    () => {
        "id, learner_id, curriculum_id, checkpoint_id, session_id, turn_id, reviewed_at, grader_grade, \
         grade, overruled, elapsed_days, stability_before, difficulty_before, stability_after, \
         difficulty_after"
    };
}

/// The log insert, with `$before` standing for (stability_before, difficulty_before).
macro_rules! insert_log {
    ($before:literal) => {
        concat!(
            "INSERT INTO review_log (id, learner_id, curriculum_id, checkpoint_id, session_id, \
             turn_id, reviewed_at, grader_grade, grade, overruled, elapsed_days, stability_after, \
             difficulty_after, stability_before, difficulty_before) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, ",
            $before,
            ")"
        )
    };
}

fn entry_from(row: &AnyRow) -> Result<ReviewEntry, StoreError> {
    let grade = |column: &'static str| -> Result<Grade, StoreError> {
        parsed_enum(column, col(row, column)?, Grade::parse)
    };
    let before_s: Option<f64> = col(row, "stability_before")?;
    let before_d: Option<f64> = col(row, "difficulty_before")?;
    let session: Option<String> = col(row, "session_id")?;
    let turn: Option<String> = col(row, "turn_id")?;
    Ok(ReviewEntry {
        id: ReviewId::from_db(col(row, "id")?),
        learner: LearnerId::from_db(col(row, "learner_id")?),
        curriculum: parsed(
            "review_log.curriculum_id",
            col(row, "curriculum_id")?,
            CurriculumId::parse,
        )?,
        checkpoint: parsed(
            "review_log.checkpoint_id",
            col(row, "checkpoint_id")?,
            CheckpointId::parse,
        )?,
        session: session.map(SessionId::from_db),
        turn: turn.map(TurnId::from_db),
        reviewed_at: time(col(row, "reviewed_at")?)?,
        grader_grade: grade("grader_grade")?,
        grade: grade("grade")?,
        overruled: col::<i64>(row, "overruled")? != 0,
        elapsed_days: col(row, "elapsed_days")?,
        before: before_s
            .zip(before_d)
            .map(|(stability, difficulty)| CardMemory {
                stability,
                difficulty,
            }),
        after: CardMemory {
            stability: col(row, "stability_after")?,
            difficulty: col(row, "difficulty_after")?,
        },
    })
}

/// A card's upsert as a statement of a [`crate::batch::Batch`], updated at `now`.
///
/// sqlx 0.9's Any driver binds a NULL f64 as PostgreSQL float4, which poisons the prepared
/// statement for later non-NULL f64 binds; so a card without a memory state uses its own
/// statement with literal NULLs instead of binding `None::<f64>` (the log's likewise).
pub(crate) fn push_upsert(b: &mut crate::batch::Batch, card: &ReviewCard, now: i64) {
    push_card(b, card, now, Existing::Replace);
}

/// What a card's write does to a card the learner already has on its checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    /// Replaced by the new row (a graded review, a reset).
    Replace,
    /// Kept as it is (a session's new cards).
    Keep,
}

fn push_card(b: &mut crate::batch::Batch, card: &ReviewCard, now: i64, existing: Existing) {
    let sql = match (card.memory, existing) {
        (Some(_), Existing::Replace) => upsert_card!("$10, $11"),
        (None, Existing::Replace) => upsert_card!("NULL, NULL"),
        (Some(_), Existing::Keep) => insert_new_card!("$10, $11"),
        (None, Existing::Keep) => insert_new_card!("NULL, NULL"),
    };
    b.push(sql)
        .bind(card.learner.as_str())
        .bind(card.curriculum.as_str())
        .bind(card.checkpoint.as_str())
        .bind(card.due_at.timestamp_millis())
        .bind(card.last_review_at.map(|t| t.timestamp_millis()))
        .bind(card.reps)
        .bind(card.lapses)
        .bind(card.source.as_str())
        .bind(now);
    if let Some(memory) = card.memory {
        b.bind(memory.stability).bind(memory.difficulty);
    }
}

/// A review log row's insert as a statement of a [`crate::batch::Batch`].
pub(crate) fn push_entry(b: &mut crate::batch::Batch, entry: &ReviewEntry) {
    let sql = match entry.before {
        Some(_) => insert_log!("$14, $15"),
        None => insert_log!("NULL, NULL"),
    };
    b.push(sql)
        .bind(entry.id.as_str())
        .bind(entry.learner.as_str())
        .bind(entry.curriculum.as_str())
        .bind(entry.checkpoint.as_str())
        .bind(entry.session.as_ref().map(SessionId::as_str))
        .bind(entry.turn.as_ref().map(TurnId::as_str))
        .bind(entry.reviewed_at.timestamp_millis())
        .bind(entry.grader_grade.as_str())
        .bind(entry.grade.as_str())
        .bind(i64::from(entry.overruled))
        .bind(entry.elapsed_days)
        .bind(entry.after.stability)
        .bind(entry.after.difficulty);
    if let Some(before) = entry.before {
        b.bind(before.stability).bind(before.difficulty);
    }
}

fn card_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::NotFound("learner")
        }
        _ => StoreError::Database(e),
    }
}

impl Store {
    /// Creates the learner's card for this checkpoint, or replaces its state (never its
    /// `suspended` flag: a new card is not suspended, an existing one keeps its flag),
    /// outside any session (e.g. `klover review reset`). Cards a session's turn makes or
    /// reschedules go through [`Store::save_session_review_cards`], which is fenced.
    pub async fn upsert_review_card(&self, card: &ReviewCard) -> Result<(), StoreError> {
        let mut b = self.batch();
        push_upsert(&mut b, card, now_ms());
        self.write_cards(b).await.map(drop)
    }

    /// Runs a batch of card and log statements outside any session's turn: `Ok(false)`
    /// when a required statement found nothing (the write was undone).
    async fn write_cards(&self, b: crate::batch::Batch) -> Result<bool, StoreError> {
        match self.write_batch(b).await? {
            Ok(ran) => Ok(ran.complete()),
            Err(stopped) => Err(card_error(stopped.error)),
        }
    }

    /// Creates or replaces the cards a turn of `session` made or rescheduled, and logs the
    /// reviews it graded (`log`), all in one transaction. Fenced like every write of the
    /// session (see `owner.rs`): an owner that lost the session's lease writes none of
    /// them ([`StoreError::Fenced`]).
    pub async fn save_session_review_cards(
        &self,
        session: &SessionId,
        cards: &[ReviewCard],
        log: &[ReviewEntry],
    ) -> Result<(), StoreError> {
        self.session_cards(session, cards, log, Existing::Replace)
            .await
    }

    /// As [`Store::save_session_review_cards`] without a log, for the cards a learning
    /// session adds when a concept closes: a checkpoint that has a card already keeps it
    /// as it is (its schedule is a review session's to move), so the caller needs no read
    /// of the learner's cards first.
    pub async fn add_session_review_cards(
        &self,
        session: &SessionId,
        cards: &[ReviewCard],
    ) -> Result<(), StoreError> {
        self.session_cards(session, cards, &[], Existing::Keep)
            .await
    }

    async fn session_cards(
        &self,
        session: &SessionId,
        cards: &[ReviewCard],
        log: &[ReviewEntry],
        existing: Existing,
    ) -> Result<(), StoreError> {
        if cards.is_empty() && log.is_empty() {
            return Ok(());
        }
        // The learner's card rows in one order (as the learner model's, `learning.rs`), so
        // two sessions of one learner never lock them in a cycle.
        let mut cards: Vec<&ReviewCard> = cards.iter().collect();
        cards.sort_by(|a, b| (&a.curriculum, &a.checkpoint).cmp(&(&b.curriculum, &b.checkpoint)));
        let cards = &cards;
        self.retrying("store a turn's review cards", move || {
            self.write_cards_once(session, cards, log, existing)
        })
        .await
    }

    async fn write_cards_once(
        &self,
        session: &SessionId,
        cards: &[&ReviewCard],
        log: &[ReviewEntry],
        existing: Existing,
    ) -> Result<(), StoreError> {
        // One write of the turn path (on SQLite the writer thread's, in its group commit):
        // the session's fenced lock, then the cards and the log, undone whole when the
        // lock finds no row or a statement fails.
        let now = now_ms();
        let fence = self.fence(session.as_str());
        let mut b = self.batch();
        crate::turns::push_lock(&mut b, session, now, fence, crate::turns::Lock::default());
        for card in cards {
            push_card(&mut b, card, now, existing);
        }
        for entry in log {
            push_entry(&mut b, entry);
        }
        match self.write_batch(b).await? {
            Ok(ran) if ran.complete() => Ok(()),
            Ok(_) => Err(self.refusal(session, fence, now, false).await),
            Err(stopped) => Err(card_error(stopped.error)),
        }
    }

    /// A review outside any session's turn (a tool, a test): the card's new state and its
    /// log entry, in one transaction.
    pub async fn record_review(
        &self,
        card: &ReviewCard,
        entry: &ReviewEntry,
    ) -> Result<(), StoreError> {
        let mut b = self.batch();
        push_upsert(&mut b, card, now_ms());
        push_entry(&mut b, entry);
        self.write_cards(b).await.map(drop)
    }

    /// An overrule: the log entry's grade and state after become `entry`'s (marked
    /// overruled) and the card becomes `card`, in one transaction. Refused with
    /// [`StoreError::Conflict`] when the entry was overruled already (by another request
    /// in the meantime, too), and [`StoreError::NotFound`] when it does not exist.
    pub async fn overrule_review(
        &self,
        card: &ReviewCard,
        entry: &ReviewEntry,
    ) -> Result<(), StoreError> {
        let mut b = self.batch();
        b.push(
            "UPDATE review_log SET grade = $1, overruled = 1, stability_after = $2, \
             difficulty_after = $3 WHERE id = $4 AND learner_id = $5 AND overruled = 0",
        )
        .bind(entry.grade.as_str())
        .bind(entry.after.stability)
        .bind(entry.after.difficulty)
        .bind(entry.id.as_str())
        .bind(entry.learner.as_str());
        b.required();
        push_upsert(&mut b, card, now_ms());
        if self.write_cards(b).await? {
            return Ok(());
        }
        // Nothing overruled (and the card left as it was): say why.
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT overruled FROM review_log WHERE id = $1 AND learner_id = $2",
        )
        .bind(entry.id.as_str())
        .bind(entry.learner.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Err(match exists {
            None => StoreError::NotFound("review"),
            Some(_) => StoreError::Conflict("this review was already overruled".into()),
        })
    }

    /// One review of the learner's log (`None` when there is none with that id, or it is
    /// another learner's).
    pub async fn review_entry(
        &self,
        learner: &LearnerId,
        id: &ReviewId,
    ) -> Result<Option<ReviewEntry>, StoreError> {
        let sql = concat!(
            "SELECT ",
            log_columns!(),
            " FROM review_log WHERE id = $1 AND learner_id = $2"
        );
        let row = sqlx::query(sql)
            .bind(id.as_str())
            .bind(learner.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(entry_from).transpose()
    }

    /// The reviews that grading one learner turn made, in the order they were logged.
    pub async fn reviews_of_turn(
        &self,
        learner: &LearnerId,
        turn: &TurnId,
    ) -> Result<Vec<ReviewEntry>, StoreError> {
        let sql = concat!(
            "SELECT ",
            log_columns!(),
            " FROM review_log WHERE learner_id = $1 AND turn_id = $2 ORDER BY id"
        );
        let rows = sqlx::query(sql)
            .bind(learner.as_str())
            .bind(turn.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(entry_from).collect()
    }

    /// The learner's reviews since `since`, oldest first.
    pub async fn review_log(
        &self,
        learner: &LearnerId,
        since: DateTime<Utc>,
    ) -> Result<Vec<ReviewEntry>, StoreError> {
        let sql = concat!(
            "SELECT ",
            log_columns!(),
            " FROM review_log WHERE learner_id = $1 AND reviewed_at >= $2 \
             ORDER BY reviewed_at, id"
        );
        let rows = sqlx::query(sql)
            .bind(learner.as_str())
            .bind(since.timestamp_millis())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(entry_from).collect()
    }

    /// Suspends (`true`) or unsuspends the learner's card: a suspended card is never due.
    /// [`StoreError::NotFound`] when the learner has no such card.
    pub async fn set_card_suspended(
        &self,
        learner: &LearnerId,
        curriculum: &CurriculumId,
        checkpoint: &CheckpointId,
        suspended: bool,
    ) -> Result<(), StoreError> {
        let _writing = self.write_turn().await;
        let done = sqlx::query(
            "UPDATE review_cards SET suspended = $1, updated_at = $2 \
             WHERE learner_id = $3 AND curriculum_id = $4 AND checkpoint_id = $5",
        )
        .bind(i64::from(suspended))
        .bind(now_ms())
        .bind(learner.as_str())
        .bind(curriculum.as_str())
        .bind(checkpoint.as_str())
        .execute(&self.pool)
        .await?;
        match done.rows_affected() {
            0 => Err(StoreError::NotFound("review card")),
            _ => Ok(()),
        }
    }

    /// The learner's cards due at `now`, most overdue first (never a suspended one).
    pub async fn due_cards(
        &self,
        learner: &LearnerId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ReviewCard>, StoreError> {
        let sql = concat!(
            "SELECT ",
            card_columns!(),
            " FROM review_cards WHERE learner_id = $1 AND due_at <= $2 \
             AND suspended = 0 ORDER BY due_at, checkpoint_id"
        );
        let rows = sqlx::query(sql)
            .bind(learner.as_str())
            .bind(now.timestamp_millis())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(card_from).collect()
    }

    /// All of the learner's cards, soonest due first, suspended ones too (skip them for
    /// "next review").
    pub async fn review_cards(&self, learner: &LearnerId) -> Result<Vec<ReviewCard>, StoreError> {
        let sql = concat!(
            "SELECT ",
            card_columns!(),
            " FROM review_cards WHERE learner_id = $1 ORDER BY due_at, checkpoint_id"
        );
        let rows = sqlx::query(sql)
            .bind(learner.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(card_from).collect()
    }
}
