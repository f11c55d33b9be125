//! Rows for author analytics and the inbox of unrecognised answers (issue 15, item 7,
//! migration 0012). The store only gathers rows; `klover_domain::analytics` aggregates
//! them. Also writes, in a learner turn's own transaction, which checkpoints the tutor
//! stated in reply ([`push_stated`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use klover_domain::analytics::{Reach, Shown, Try, Unfinished};
use klover_domain::{CheckpointId, ConceptId, CurriculumId, MisconceptionId};

use crate::store::{col, now_ms, parsed, time};
use crate::{SessionId, StatedInReply, Store, StoreError, TurnId};

/// What the store knows of learners on one curriculum, for
/// `klover_domain::analytics::aggregate`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalyticsRows {
    /// Every learn-session turn's score per checkpoint, in the order said per learner.
    pub tries: Vec<Try>,
    /// Stored mastery per learner and checkpoint.
    pub reach: Vec<Reach>,
    /// Misconceptions shown, one row per learner.
    pub shown: Vec<Shown>,
    /// Each learner's latest learn session, when it has not finished.
    pub unfinished: Vec<Unfinished>,
}

/// Why a learner's words are in the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxReason {
    /// The learner tried, got no credit, and the tutor stated the checkpoint in reply.
    Stated,
    /// The LLM judge credited the checkpoint and the rubric did not.
    Judge,
}

impl InboxReason {
    /// The reason's name in the API.
    pub fn name(self) -> &'static str {
        match self {
            InboxReason::Stated => "stated",
            InboxReason::Judge => "judge",
        }
    }
}

/// A learner sentence on a checkpoint that the rubric did not recognise.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxRow {
    /// The learner turn.
    pub turn: TurnId,
    /// Its session.
    pub session: SessionId,
    /// The checkpoint it was about.
    pub checkpoint: CheckpointId,
    /// The learner's words.
    pub text: String,
    /// Why it is here.
    pub reason: InboxReason,
    /// The stored score (the judge's, for [`InboxReason::Judge`]).
    pub score: f64,
    /// The rubric's score when a judge decided.
    pub rubric_score: Option<f64>,
    /// When it was said.
    pub said_at: DateTime<Utc>,
}

/// What an author did with an inbox item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxAction {
    /// Not a missed answer (or not worth an example).
    Dismissed,
    /// Added as an example to this draft.
    Example {
        /// The draft id.
        draft: String,
    },
}

/// Records the checkpoints the tutor stated in reply to `turn` (in its transaction's
/// batch).
pub(crate) fn push_stated(b: &mut crate::batch::Batch, turn: &str, stated: &[StatedInReply]) {
    for s in stated {
        b.push(
            "INSERT INTO turn_stated (turn_id, checkpoint_id, asserted, attempt) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(turn)
        .bind(s.checkpoint.as_str())
        .bind(i64::from(s.asserted))
        .bind(i64::from(s.attempt));
    }
}

fn checkpoint(row: &sqlx::any::AnyRow) -> Result<CheckpointId, StoreError> {
    parsed(
        "checkpoint_id",
        col(row, "checkpoint_id")?,
        CheckpointId::parse,
    )
}

impl Store {
    /// The rows behind the analytics of `curriculum`. A session whose last turn is older
    /// than `idle_before` counts as stopped where it is.
    pub async fn analytics_rows(
        &self,
        curriculum: &CurriculumId,
        idle_before: DateTime<Utc>,
    ) -> Result<AnalyticsRows, StoreError> {
        let id = curriculum.as_str();
        let rows = sqlx::query(
            "SELECT s.learner_id, a.checkpoint_id, a.score FROM assessments a \
             JOIN turns t ON t.id = a.turn_id JOIN sessions s ON s.id = t.session_id \
             WHERE s.curriculum_id = $1 AND s.kind = 'learn' \
             ORDER BY s.learner_id, t.created_at, t.session_id, t.seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let tries = rows
            .iter()
            .map(|r| {
                Ok(Try {
                    learner: col(r, "learner_id")?,
                    checkpoint: checkpoint(r)?,
                    score: col(r, "score")?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let rows = sqlx::query(
            "SELECT learner_id, checkpoint_id, mastery, stated_by_tutor FROM checkpoint_mastery \
             WHERE curriculum_id = $1",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let reach = rows
            .iter()
            .map(|r| {
                Ok(Reach {
                    learner: col(r, "learner_id")?,
                    checkpoint: checkpoint(r)?,
                    mastery: col(r, "mastery")?,
                    stated_by_tutor: col::<i64>(r, "stated_by_tutor")? != 0,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let rows = sqlx::query(
            "SELECT misconception_id, times_seen, active FROM learner_misconceptions \
             WHERE curriculum_id = $1",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let shown = rows
            .iter()
            .map(|r| {
                Ok(Shown {
                    misconception: parsed(
                        "misconception_id",
                        col(r, "misconception_id")?,
                        MisconceptionId::parse,
                    )?,
                    times_seen: col(r, "times_seen")?,
                    active: col::<i64>(r, "active")? != 0,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let unfinished = self.latest_unfinished(id, idle_before).await?;
        Ok(AnalyticsRows {
            tries,
            reach,
            shown,
            unfinished,
        })
    }

    /// Each learner's latest learn session on the curriculum, if it has not finished: an
    /// earlier session the learner continued from is not where they stopped.
    async fn latest_unfinished(
        &self,
        curriculum: &str,
        idle_before: DateTime<Utc>,
    ) -> Result<Vec<Unfinished>, StoreError> {
        let rows = sqlx::query(
            "SELECT learner_id, current_concept, updated_at, ended_at FROM sessions \
             WHERE curriculum_id = $1 AND kind = 'learn' ORDER BY started_at, id",
        )
        .bind(curriculum)
        .fetch_all(&self.pool)
        .await?;
        let mut latest: HashMap<String, &sqlx::any::AnyRow> = HashMap::new();
        for r in &rows {
            latest.insert(col(r, "learner_id")?, r);
        }
        let idle_ms = idle_before.timestamp_millis();
        let mut out = Vec::new();
        for (learner, r) in latest {
            if col::<Option<i64>>(r, "ended_at")?.is_some() {
                continue;
            }
            out.push(Unfinished {
                learner,
                concept: parsed(
                    "sessions.current_concept",
                    col(r, "current_concept")?,
                    ConceptId::parse,
                )?,
                idle: col::<i64>(r, "updated_at")? < idle_ms,
            });
        }
        out.sort_by(|a, b| a.learner.cmp(&b.learner));
        Ok(out)
    }

    /// The inbox of `curriculum`, newest first: learner turns the tutor answered by
    /// stating a checkpoint after an attempt, and turns the judge credited where the
    /// rubric's score was below `credit`. Items an author handled are left out.
    pub async fn inbox(
        &self,
        curriculum: &CurriculumId,
        credit: f64,
    ) -> Result<Vec<InboxRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id AS turn_id, t.session_id, t.text, t.created_at, x.checkpoint_id, \
             COALESCE(a.score, 0.0) AS score, a.rubric_score, 'stated' AS reason \
             FROM turn_stated x JOIN turns t ON t.id = x.turn_id \
             JOIN sessions s ON s.id = t.session_id \
             LEFT JOIN assessments a ON a.turn_id = x.turn_id AND a.checkpoint_id = x.checkpoint_id \
             WHERE s.curriculum_id = $1 AND x.asserted = 1 AND x.attempt = 1 \
             AND NOT EXISTS (SELECT 1 FROM inbox_actions i \
               WHERE i.turn_id = x.turn_id AND i.checkpoint_id = x.checkpoint_id) \
             UNION ALL \
             SELECT t.id AS turn_id, t.session_id, t.text, t.created_at, a.checkpoint_id, \
             a.score, a.rubric_score, 'judge' AS reason \
             FROM assessments a JOIN turns t ON t.id = a.turn_id \
             JOIN sessions s ON s.id = t.session_id \
             WHERE s.curriculum_id = $1 AND a.rubric_score IS NOT NULL \
             AND a.score >= $2 AND a.rubric_score < $2 \
             AND NOT EXISTS (SELECT 1 FROM inbox_actions i \
               WHERE i.turn_id = a.turn_id AND i.checkpoint_id = a.checkpoint_id) \
             ORDER BY created_at DESC, turn_id, checkpoint_id",
        )
        .bind(curriculum.as_str())
        .bind(credit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let reason: String = col(r, "reason")?;
                Ok(InboxRow {
                    turn: TurnId::from_db(col(r, "turn_id")?),
                    session: SessionId::from_db(col(r, "session_id")?),
                    checkpoint: checkpoint(r)?,
                    text: col(r, "text")?,
                    reason: if reason == "judge" {
                        InboxReason::Judge
                    } else {
                        InboxReason::Stated
                    },
                    score: col(r, "score")?,
                    rubric_score: col(r, "rubric_score")?,
                    said_at: time(col(r, "created_at")?)?,
                })
            })
            .collect()
    }

    /// Records what an author did with the inbox item (`turn`, `checkpoint`); it leaves
    /// the inbox. Handling an item twice is a [`StoreError::Conflict`].
    pub async fn act_on_inbox(
        &self,
        turn: &TurnId,
        checkpoint: &CheckpointId,
        action: &InboxAction,
    ) -> Result<(), StoreError> {
        let _writing = self.write_turn().await;
        let (name, draft) = match action {
            InboxAction::Dismissed => ("dismissed", None),
            InboxAction::Example { draft } => ("example", Some(draft.as_str())),
        };
        let sql = if draft.is_some() {
            "INSERT INTO inbox_actions (turn_id, checkpoint_id, action, draft, acted_at) \
             VALUES ($1, $2, $3, $5, $4)"
        } else {
            "INSERT INTO inbox_actions (turn_id, checkpoint_id, action, draft, acted_at) \
             VALUES ($1, $2, $3, NULL, $4)"
        };
        let mut q = sqlx::query(sql)
            .bind(turn.as_str())
            .bind(checkpoint.as_str())
            .bind(name)
            .bind(now_ms());
        if let Some(d) = draft {
            q = q.bind(d);
        }
        q.execute(&self.pool).await.map_err(|e| {
            StoreError::unique_as_conflict(e, format!("inbox item {turn}/{checkpoint} is handled"))
        })?;
        Ok(())
    }
}
