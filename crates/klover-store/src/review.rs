//! Spaced-review cards: one per learner and checkpoint, holding the FSRS memory state.

use chrono::{DateTime, Utc};
use klover_domain::{CheckpointId, CurriculumId};
use sqlx::any::AnyRow;

use crate::store::{col, now_ms, opt_time, parsed, parsed_enum, time};
use crate::{CardMemory, CardSource, LearnerId, ReviewCard, SessionId, Store, StoreError};

macro_rules! card_columns {
    () => {
        "learner_id, curriculum_id, checkpoint_id, stability, difficulty, \
     due_at, last_review_at, reps, lapses, source"
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
    })
}

/// Creates or replaces `card` on `conn` (a transaction or a pooled connection).
async fn upsert(conn: &mut sqlx::AnyConnection, card: &ReviewCard) -> Result<(), StoreError> {
    // sqlx 0.9's Any driver binds a NULL f64 as PostgreSQL float4, which poisons the
    // prepared statement for later non-NULL f64 binds; so a card without a memory state
    // uses its own statement with literal NULLs instead of binding `None::<f64>`.
    let sql = match card.memory {
        Some(_) => upsert_card!("$10, $11"),
        None => upsert_card!("NULL, NULL"),
    };
    let mut query = sqlx::query(sql)
        .bind(card.learner.as_str())
        .bind(card.curriculum.as_str())
        .bind(card.checkpoint.as_str())
        .bind(card.due_at.timestamp_millis())
        .bind(card.last_review_at.map(|t| t.timestamp_millis()))
        .bind(card.reps)
        .bind(card.lapses)
        .bind(card.source.as_str())
        .bind(now_ms());
    if let Some(memory) = card.memory {
        query = query.bind(memory.stability).bind(memory.difficulty);
    }
    query.execute(conn).await.map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::NotFound("learner")
        }
        _ => StoreError::Database(e),
    })?;
    Ok(())
}

impl Store {
    /// Creates the learner's card for this checkpoint, or replaces its state, outside any
    /// session (e.g. `klover review reset`). Cards a session's turn makes or reschedules go
    /// through [`Store::save_session_review_cards`], which is fenced.
    pub async fn upsert_review_card(&self, card: &ReviewCard) -> Result<(), StoreError> {
        let _writing = self.write_turn().await;
        let mut conn = self.pool.acquire().await?;
        upsert(&mut conn, card).await
    }

    /// Creates or replaces the cards a turn of `session` made or rescheduled, all in one
    /// transaction. Fenced like every write of the session (see `owner.rs`): an owner that
    /// lost the session's lease writes none of them ([`StoreError::Fenced`]).
    pub async fn save_session_review_cards(
        &self,
        session: &SessionId,
        cards: &[ReviewCard],
    ) -> Result<(), StoreError> {
        if cards.is_empty() {
            return Ok(());
        }
        let mut writing = self.write_grouped().await;
        let fence = self.fence(session.as_str());
        let mut tx = writing.begin().await?;
        crate::turns::lock_session(&mut tx, session, now_ms(), fence).await?;
        for card in cards {
            upsert(&mut tx, card).await?;
        }
        tx.commit().await?;
        writing.durable().await?;
        Ok(())
    }

    /// The learner's cards due at `now`, most overdue first.
    pub async fn due_cards(
        &self,
        learner: &LearnerId,
        now: DateTime<Utc>,
    ) -> Result<Vec<ReviewCard>, StoreError> {
        let sql = concat!(
            "SELECT ",
            card_columns!(),
            " FROM review_cards WHERE learner_id = $1 AND due_at <= $2 \
             ORDER BY due_at, checkpoint_id"
        );
        let rows = sqlx::query(sql)
            .bind(learner.as_str())
            .bind(now.timestamp_millis())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(card_from).collect()
    }

    /// All of the learner's cards, soonest due first (e.g. for "next review" in exports).
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
