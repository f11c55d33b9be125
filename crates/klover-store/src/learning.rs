//! What learner turns showed: assessments, mastery (and the checkpoints the tutor had to
//! state), misconceptions and aha moments, recorded atomically per turn; and reading them
//! back as a transcript or a learner model.

use std::collections::HashMap;

use klover_domain::{CheckpointId, ConceptId, CurriculumId, MisconceptionId};
use sqlx::any::AnyRow;

use crate::batch::Batch;
use crate::ids::new_row_id;
use crate::store::{col, now_ms, parsed, time};
use crate::turns::{turn_columns, turn_from};
use crate::{
    AhaMoment, CheckpointScore, LearnerId, LearnerModelRows, MasteryRow, MisconceptionRow,
    SessionId, Store, StoreError, Transcript, TranscriptTurn, TurnAssessment, TurnId,
};

fn check_unit(what: &str, value: f64) -> Result<(), StoreError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "{what} {value} is outside [0, 1]"
        )))
    }
}

fn validate(a: &TurnAssessment) -> Result<(), StoreError> {
    for s in &a.scores {
        check_unit("score", s.score)?;
        if let Some((start, end)) = s.evidence
            && (start < 0 || end < start)
        {
            return Err(StoreError::Invalid(format!("evidence span {start}..{end}")));
        }
    }
    for m in &a.mastery {
        check_unit("mastery", m.mastery)?;
    }
    if a.aha
        .iter()
        .any(|h| h.checkpoint.is_none() && h.misconception.is_none())
    {
        return Err(StoreError::Invalid(
            "an aha moment needs a checkpoint or a misconception".into(),
        ));
    }
    Ok(())
}

/// The turn's learner-model rows in one order, whatever order the engine listed them in:
/// misconceptions by id, then mastery by checkpoint. Every turn takes the row locks of a
/// learner's model in this order, so concurrent turns of one learner (several sessions,
/// or several tabs with auth off) never wait for each other in a cycle: on PostgreSQL such
/// a cycle is a deadlock that rolls one turn back (measured before: 10-15 of 48 turns of
/// six concurrent sessions failed with 40P01, story `learner_model`).
fn in_lock_order(a: &TurnAssessment) -> TurnAssessment {
    let mut a = a.clone();
    a.mastery.sort_by(|x, y| x.checkpoint.cmp(&y.checkpoint));
    // One row per checkpoint (a multi-row upsert may not touch a row twice on PostgreSQL):
    // a checkpoint listed twice keeps the higher mastery, and stays stated if either was.
    a.mastery.dedup_by(|later, kept| {
        let same = later.checkpoint == kept.checkpoint;
        if same {
            kept.mastery = kept.mastery.max(later.mastery);
            kept.stated_by_tutor |= later.stated_by_tutor;
        }
        same
    });
    a.misconceptions_shown.sort();
    a.misconceptions_resolved.sort();
    a
}

fn aha_from(row: &AnyRow) -> Result<AhaMoment, StoreError> {
    let checkpoint: Option<String> = col(row, "checkpoint_id")?;
    let misconception: Option<String> = col(row, "misconception_id")?;
    Ok(AhaMoment {
        session: SessionId::from_db(col(row, "session_id")?),
        turn: TurnId::from_db(col(row, "turn_id")?),
        checkpoint: checkpoint
            .map(|c| parsed("aha_moments.checkpoint_id", c, CheckpointId::parse))
            .transpose()?,
        misconception: misconception
            .map(|m| parsed("aha_moments.misconception_id", m, MisconceptionId::parse))
            .transpose()?,
        quote: col(row, "quote")?,
        trigger_move: col(row, "trigger_move")?,
        created_at: time(col(row, "created_at")?)?,
    })
}

/// What one learner turn's recording stores besides the assessment.
pub(crate) struct Recording<'a> {
    /// The learner turn.
    pub(crate) turn: &'a TurnId,
    /// Its session, when the caller knows it (one read fewer).
    pub(crate) session: Option<&'a SessionId>,
    /// The engine state to save: concept, JSON, expected version.
    pub(crate) state: Option<(&'a ConceptId, &'a str, i64)>,
    /// The engine's decision (JSON): the reply moves on from `acknowledged`.
    pub(crate) outcome: Option<&'a str>,
    /// Begin the streaming tutor turn of the reply in the same transaction, with this
    /// many seqs reserved (as [`Store::begin_sliced_reply`]).
    pub(crate) begin_reply: Option<i64>,
    /// A review answer's grading, stored in the same transaction.
    pub(crate) grading: Grading<'a>,
}

/// A review answer's grading: the cards it rescheduled and the reviews it logged, stored
/// with the turn's assessment (a crash keeps both or neither, so a recovered turn never
/// grades twice nor loses the grade).
#[derive(Debug, Clone, Copy, Default)]
pub struct Grading<'a> {
    /// The cards' new state.
    pub cards: &'a [crate::ReviewCard],
    /// One log entry per review.
    pub log: &'a [crate::ReviewEntry],
}

impl<'a> Recording<'a> {
    /// The assessment of `turn` alone.
    pub(crate) fn of(turn: &'a TurnId) -> Self {
        Recording {
            turn,
            session: None,
            state: None,
            outcome: None,
            begin_reply: None,
            grading: Grading::default(),
        }
    }
}

/// What [`Store::record`] stored.
#[derive(Default)]
pub(crate) struct Recorded {
    /// The engine state's new version, when one was saved.
    pub(crate) saved: Option<i64>,
    /// The reply begun: its tutor turn, the last event seq and the last reserved seq.
    pub(crate) begun: Option<(crate::TurnRow, i64, i64)>,
}

macro_rules! aha_select {
    () => {
        "SELECT t.session_id, a.turn_id, a.checkpoint_id, a.misconception_id, \
     a.quote, a.trigger_move, a.created_at FROM aha_moments a JOIN turns t ON t.id = a.turn_id"
    };
}

impl Store {
    /// Records everything one learner turn changed in one transaction: the checkpoint
    /// scores, the misconceptions shown and resolved, the learner's new mastery (with the
    /// checkpoints the tutor stated in reply), and the aha moments. Either all of it is
    /// stored with the turn, or none. Recording a turn twice is a [`StoreError::Conflict`].
    pub async fn record_assessment(
        &self,
        turn: &TurnId,
        a: &TurnAssessment,
    ) -> Result<(), StoreError> {
        self.record(&Recording::of(turn), a).await.map(|_| ())
    }

    /// As [`Store::record_assessment`], and in the same transaction saves the engine's
    /// JSON snapshot and current concept on the turn's session (as
    /// [`Store::save_engine_state`], compare-and-set on version `expected`): one commit per
    /// learner turn for both. Returns the engine state's new version.
    pub async fn record_assessment_and_state(
        &self,
        turn: &TurnId,
        a: &TurnAssessment,
        concept: &ConceptId,
        engine_state: &str,
        expected: i64,
    ) -> Result<i64, StoreError> {
        let what = Recording {
            state: Some((concept, engine_state, expected)),
            ..Recording::of(turn)
        };
        let done = self.record(&what, a).await?;
        Ok(done.saved.unwrap_or(expected))
    }

    /// One transaction for the turn (see [`Store::record_assessment`]), run again if the
    /// database rolled it back to break a deadlock (`retry.rs`).
    pub(crate) async fn record(
        &self,
        what: &Recording<'_>,
        a: &TurnAssessment,
    ) -> Result<Recorded, StoreError> {
        let a = &checked(a)?;
        self.retrying("record a turn's assessment", move || {
            self.record_once(what, a)
        })
        .await
    }

    async fn record_once(
        &self,
        what: &Recording<'_>,
        a: &TurnAssessment,
    ) -> Result<Recorded, StoreError> {
        let turn = what.turn;
        // Whose turn this is (a turn never changes session), before the writer's turn.
        let session = match what.session {
            Some(s) => s.clone(),
            None => {
                let id: String = sqlx::query_scalar("SELECT session_id FROM turns WHERE id = $1")
                    .bind(turn.as_str())
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound("turn"))?;
                crate::SessionId::from_db(id)
            }
        };
        let now = now_ms();
        let fence = self.fence(session.as_str());
        // One batch (one query on SQLite). A write first (see turns::lock_session), fenced;
        // it reserves the seqs of a reply begun here and saves the engine state.
        let lock = crate::turns::Lock {
            reserve: what.begin_reply,
            state: what
                .state
                .map(|(concept, json, expected)| (concept.as_str(), json, expected)),
            ..crate::turns::Lock::default()
        };
        let mut b = self.batch();
        crate::turns::push_lock(&mut b, &session, now, fence, lock);
        let scores_at = push_assessment(&mut b, turn.as_str(), session.as_str(), now, a);
        let reply_id = what.begin_reply.map(|_| TurnId::new());
        let reply = reply_id.as_ref().map(|id| crate::turns::NewTurn {
            id,
            session: &session,
            role: crate::TurnRole::Tutor,
            text: "",
            status: crate::TurnStatus::Streaming,
            client_message_id: None,
            now,
            born: crate::turns::Born::default(),
        });
        let reply_at = b.len();
        if let Some(reply) = &reply {
            reply.push(&mut b);
            b.required();
        }
        if let Some(outcome) = what.outcome {
            // Assessed, or straight on to replying when the reply begins here; a reply
            // begun before its assessment (the LLM voice begins it while the judge
            // thinks) stays replying, with its turn.
            b.push(
                "UPDATE turns SET reply = CASE WHEN $3 IS NULL AND reply = 'acknowledged' \
                 THEN 'assessed' ELSE 'replying' END, \
                 reply_outcome = $1, reply_turn_id = COALESCE($3, reply_turn_id) \
                 WHERE id = $2 AND reply_outcome IS NULL \
                 AND (reply = 'acknowledged' OR (reply = 'replying' AND $3 IS NULL))",
            )
            .bind(outcome)
            .bind(turn.as_str())
            .bind(reply_id.as_ref().map(TurnId::as_str));
            // A turn's outcome is stored once: a second assessment is refused whole.
            b.required();
        }
        // The learner's card rows in one order (as in `save_session_review_cards`).
        let mut cards: Vec<&crate::ReviewCard> = what.grading.cards.iter().collect();
        cards.sort_by(|a, b| (&a.curriculum, &a.checkpoint).cmp(&(&b.curriculum, &b.checkpoint)));
        for card in cards {
            crate::review::push_upsert(&mut b, card, now);
        }
        for entry in what.grading.log {
            crate::review::push_entry(&mut b, entry);
        }
        let ran = match self.write_batch(b).await? {
            Ok(ran) => ran,
            Err(stopped) => {
                let refused = stopped.ran.len() > 0 && stopped.ran.row(0).is_none();
                if refused {
                    let compared = what.state.is_some();
                    return Err(self.refusal(&session, fence, now, compared).await);
                }
                return Err(match stopped.at {
                    at if at.is_some() && at == scores_at => StoreError::unique_as_conflict(
                        stopped.error,
                        format!("turn {turn} is already assessed"),
                    ),
                    _ => stopped.error.into(),
                });
            }
        };
        let Some(row) = ran.row(0) else {
            let compared = what.state.is_some();
            return Err(self.refusal(&session, fence, now, compared).await);
        };
        let owner = crate::turns::Locked::from_row(row)?;
        let begun =
            match &reply {
                None => None,
                Some(reply) => Some(reply.inserted(&ran, reply_at)?.ok_or_else(|| {
                    StoreError::Conflict("the tutor turn was not inserted".into())
                })?),
            };
        if !ran.complete() {
            return Err(StoreError::Conflict("the assessment was not stored".into()));
        }
        // The engine state was saved by the lock (compare-and-set on its version).
        Ok(Recorded {
            saved: what.state.map(|(_, _, expected)| expected + 1),
            begun: begun.map(|t| (t, owner.last_event_seq, owner.reserved_seq)),
        })
    }

    /// The session with every turn and what was recorded about it. Check the learner with
    /// [`Store::get_session`] first (or use it to get the `SessionRow`).
    pub async fn load_transcript(&self, session: &SessionId) -> Result<Transcript, StoreError> {
        let row = self
            .find_session(session)
            .await?
            .ok_or(StoreError::NotFound("session"))?;
        let id = session.as_str();
        let sql = concat!(
            "SELECT ",
            turn_columns!(),
            " FROM turns WHERE session_id = $1 ORDER BY seq"
        );
        let turns = sqlx::query(sql).bind(id).fetch_all(&self.pool).await?;
        let mut scores: HashMap<String, Vec<CheckpointScore>> = HashMap::new();
        let rows = sqlx::query(
            "SELECT a.turn_id, a.checkpoint_id, a.score, a.evidence_start, a.evidence_end \
             FROM assessments a JOIN turns t ON t.id = a.turn_id \
             WHERE t.session_id = $1 ORDER BY a.checkpoint_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let start: Option<i64> = col(r, "evidence_start")?;
            let end: Option<i64> = col(r, "evidence_end")?;
            scores
                .entry(col(r, "turn_id")?)
                .or_default()
                .push(CheckpointScore {
                    checkpoint: parsed(
                        "assessments.checkpoint_id",
                        col(r, "checkpoint_id")?,
                        CheckpointId::parse,
                    )?,
                    score: col(r, "score")?,
                    evidence: start.zip(end),
                });
        }
        let mut shown: HashMap<String, Vec<MisconceptionId>> = HashMap::new();
        let rows = sqlx::query(
            "SELECT m.turn_id, m.misconception_id FROM turn_misconceptions m \
             JOIN turns t ON t.id = m.turn_id WHERE t.session_id = $1 ORDER BY m.misconception_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let m = parsed(
                "turn_misconceptions.misconception_id",
                col(r, "misconception_id")?,
                MisconceptionId::parse,
            )?;
            shown.entry(col(r, "turn_id")?).or_default().push(m);
        }
        let mut aha: HashMap<String, Vec<AhaMoment>> = HashMap::new();
        let sql = concat!(
            aha_select!(),
            " WHERE t.session_id = $1 ORDER BY a.created_at, a.id"
        );
        for r in &sqlx::query(sql).bind(id).fetch_all(&self.pool).await? {
            let moment = aha_from(r)?;
            aha.entry(moment.turn.as_str().to_owned())
                .or_default()
                .push(moment);
        }
        let turns = turns
            .iter()
            .map(|r| {
                let turn = turn_from(r)?;
                let key = turn.id.as_str();
                Ok(TranscriptTurn {
                    scores: scores.remove(key).unwrap_or_default(),
                    misconceptions: shown.remove(key).unwrap_or_default(),
                    aha: aha.remove(key).unwrap_or_default(),
                    turn,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Transcript {
            session: row,
            turns,
        })
    }

    /// [`Store::load_transcript`] for `learner`'s own session only (else
    /// [`StoreError::Forbidden`] or [`StoreError::NotFound`]).
    pub async fn load_transcript_for(
        &self,
        learner: &LearnerId,
        session: &SessionId,
    ) -> Result<Transcript, StoreError> {
        self.get_session(learner, session).await?;
        self.load_transcript(session).await
    }

    /// What the store remembers of a learner on a curriculum: mastery per checkpoint (and
    /// whether the tutor had to state it) and the misconceptions shown, across all sessions.
    pub async fn learner_model(
        &self,
        learner: &LearnerId,
        curriculum: &CurriculumId,
    ) -> Result<LearnerModelRows, StoreError> {
        let rows = sqlx::query(
            "SELECT checkpoint_id, mastery, stated_by_tutor, updated_at FROM checkpoint_mastery \
             WHERE learner_id = $1 AND curriculum_id = $2 ORDER BY checkpoint_id",
        )
        .bind(learner.as_str())
        .bind(curriculum.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mastery = rows
            .iter()
            .map(|r| {
                Ok(MasteryRow {
                    checkpoint: parsed(
                        "checkpoint_mastery.checkpoint_id",
                        col(r, "checkpoint_id")?,
                        CheckpointId::parse,
                    )?,
                    mastery: col(r, "mastery")?,
                    stated_by_tutor: col::<i64>(r, "stated_by_tutor")? != 0,
                    updated_at: time(col(r, "updated_at")?)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let rows = sqlx::query(
            "SELECT misconception_id, times_seen, active FROM learner_misconceptions \
             WHERE learner_id = $1 AND curriculum_id = $2 ORDER BY misconception_id",
        )
        .bind(learner.as_str())
        .bind(curriculum.as_str())
        .fetch_all(&self.pool)
        .await?;
        let misconceptions = rows
            .iter()
            .map(|r| {
                Ok(MisconceptionRow {
                    misconception: parsed(
                        "learner_misconceptions.misconception_id",
                        col(r, "misconception_id")?,
                        MisconceptionId::parse,
                    )?,
                    times_seen: col(r, "times_seen")?,
                    active: col::<i64>(r, "active")? != 0,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(LearnerModelRows {
            mastery,
            misconceptions,
        })
    }

    /// The aha moments of one of `learner`'s sessions, oldest first: a concept's closing
    /// makes review cards from them. Read through the session's turns, so it costs what
    /// the session holds, not the learner's whole history.
    pub async fn session_aha_moments(
        &self,
        learner: &LearnerId,
        session: &SessionId,
    ) -> Result<Vec<AhaMoment>, StoreError> {
        let sql = concat!(
            aha_select!(),
            // Driven from the session's row (one learner's), then its turns, then their aha
            // moments by turn: filtering on `a.learner_id` would walk the learner's index.
            " JOIN sessions s ON s.id = t.session_id \
             WHERE s.id = $1 AND s.learner_id = $2 ORDER BY a.created_at, a.id"
        );
        let rows = sqlx::query(sql)
            .bind(session.as_str())
            .bind(learner.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(aha_from).collect()
    }

    /// The learner's words at the latest `limit` aha moments of `session` in turns before
    /// seq `before`, newest first: the voice's summary of the turns its window leaves out
    /// quotes them. One bounded read, walking the learner's aha index newest first.
    pub async fn recent_aha_quotes(
        &self,
        learner: &LearnerId,
        session: &SessionId,
        before: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let quotes = sqlx::query_scalar(
            "SELECT a.quote FROM aha_moments a JOIN turns t ON t.id = a.turn_id \
             WHERE a.learner_id = $1 AND t.session_id = $2 AND t.seq < $3 \
             ORDER BY a.created_at DESC, t.seq DESC LIMIT $4",
        )
        .bind(learner.as_str())
        .bind(session.as_str())
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(quotes)
    }
}

/// The turn being recorded and its session; whose session it is (learner, curriculum) is
/// read in SQL from the session's row, so every statement can go in one batch with the
/// lock that checks it.
/// Pushes what the learner turn `turn` of `session` showed (`a`, checked and in lock order:
/// [`checked`]) after the session's lock: the misconceptions, mastery and aha moments,
/// then the scores. Returns the index of the scores' statement, if any: a turn assessed
/// twice fails there, and everything before it rolls back.
pub(crate) fn push_assessment(
    b: &mut Batch,
    turn: &str,
    session: &str,
    now: i64,
    a: &TurnAssessment,
) -> Option<usize> {
    let scope = Scope { turn, session, now };
    scope.misconceptions(b, a);
    scope.mastery(b, a);
    scope.aha(b, a);
    let scores_at = (!a.scores.is_empty()).then_some(b.len());
    scope.scores(b, a);
    scores_at
}

/// `a` checked (scores and mastery in [0, 1], aha moments about something) and with its
/// learner-model rows in lock order ([`in_lock_order`]), as [`push_assessment`] takes it.
pub(crate) fn checked(a: &TurnAssessment) -> Result<TurnAssessment, StoreError> {
    validate(a)?;
    Ok(in_lock_order(a))
}

struct Scope<'a> {
    turn: &'a str,
    session: &'a str,
    now: i64,
}

/// The session's learner and curriculum, with the session as `$1`.
const LEARNER: &str = "(SELECT learner_id FROM sessions WHERE id = $1)";
const CURRICULUM: &str = "(SELECT curriculum_id FROM sessions WHERE id = $1)";

impl Scope<'_> {
    /// The checkpoint scores, all in one multi-row INSERT, then the checkpoints the
    /// tutor stated.
    fn scores(&self, b: &mut Batch, a: &TurnAssessment) {
        if !a.scores.is_empty() {
            self.scored(b, a);
        }
        crate::analytics::push_stated(b, self.turn, &a.stated);
    }

    fn scored(&self, b: &mut Batch, a: &TurnAssessment) {
        let mut sql = String::from(
            "INSERT INTO assessments (turn_id, checkpoint_id, score, evidence_start, \
             evidence_end, rubric_score) VALUES ",
        );
        let mut next = 2;
        let rubric = |s: &CheckpointScore| {
            a.rubric_scores
                .iter()
                .find(|(c, _)| c == &s.checkpoint)
                .map(|(_, r)| r.clamp(0.0, 1.0))
        };
        for (i, s) in a.scores.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let (c, v, e0, e1) = (next, next + 1, next + 2, next + 3);
            next += 4;
            // `Any` cannot bind a typed NULL on both backends: NULL goes in the SQL text.
            let r = if rubric(s).is_some() {
                next += 1;
                format!("${}", next - 1)
            } else {
                "NULL".to_owned()
            };
            sql.push_str(&format!("($1, ${c}, ${v}, ${e0}, ${e1}, {r})"));
        }
        b.push(&sql).bind(self.turn);
        for s in &a.scores {
            b.bind(s.checkpoint.as_str())
                .bind(s.score)
                .bind(s.evidence.map(|e| e.0))
                .bind(s.evidence.map(|e| e.1));
            if let Some(r) = rubric(s) {
                b.bind(r);
            }
        }
    }

    /// Misconceptions shown and resolved, each id once, in id order (see
    /// [`in_lock_order`]).
    fn misconceptions(&self, b: &mut Batch, a: &TurnAssessment) {
        let mut ids: Vec<&MisconceptionId> = a
            .misconceptions_shown
            .iter()
            .chain(&a.misconceptions_resolved)
            .collect();
        ids.sort();
        ids.dedup();
        for m in ids {
            if a.misconceptions_shown.contains(m) {
                self.shown(b, m);
            }
            if a.misconceptions_resolved.contains(m) {
                self.resolved(b, m);
            }
        }
    }

    fn shown(&self, b: &mut Batch, m: &MisconceptionId) {
        b.push(
            "INSERT INTO turn_misconceptions (turn_id, misconception_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(self.turn)
        .bind(m.as_str());
        let sql = format!(
            "INSERT INTO learner_misconceptions (learner_id, curriculum_id, misconception_id, \
             times_seen, active, first_seen_at, updated_at) VALUES ({LEARNER}, {CURRICULUM}, \
             $2, 1, 1, $3, $3) \
             ON CONFLICT (learner_id, curriculum_id, misconception_id) DO UPDATE SET \
             times_seen = learner_misconceptions.times_seen + 1, active = 1, \
             updated_at = excluded.updated_at"
        );
        b.push(&sql)
            .bind(self.session)
            .bind(m.as_str())
            .bind(self.now);
    }

    fn resolved(&self, b: &mut Batch, m: &MisconceptionId) {
        let sql = format!(
            "UPDATE learner_misconceptions SET active = 0, updated_at = $2 \
             WHERE learner_id = {LEARNER} AND curriculum_id = {CURRICULUM} \
             AND misconception_id = $3"
        );
        b.push(&sql)
            .bind(self.session)
            .bind(self.now)
            .bind(m.as_str());
    }

    /// Mastery upserts. The stored mastery is the highest the learner has reached in any
    /// session: each session's model starts from the prior, so a revisit of a mastered
    /// concept would otherwise pull it back to 0.25 (forgetting is the review scheduler's
    /// business). A checkpoint the tutor stated stays stated (1 is never reset to 0).
    fn mastery(&self, b: &mut Batch, a: &TurnAssessment) {
        if a.mastery.is_empty() {
            return;
        }
        // One multi-row upsert, rows in checkpoint order (see [`in_lock_order`]).
        let mut sql = String::from(
            "INSERT INTO checkpoint_mastery (learner_id, curriculum_id, checkpoint_id, mastery, \
             stated_by_tutor, updated_at) VALUES ",
        );
        for i in 0..a.mastery.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let p = 3 + i * 3;
            sql.push_str(&format!(
                "({LEARNER}, {CURRICULUM}, ${}, ${}, ${}, $2)",
                p,
                p + 1,
                p + 2
            ));
        }
        sql.push_str(
            " ON CONFLICT (learner_id, curriculum_id, checkpoint_id) DO UPDATE SET \
             mastery = CASE WHEN excluded.mastery > checkpoint_mastery.mastery \
             THEN excluded.mastery ELSE checkpoint_mastery.mastery END, \
             updated_at = excluded.updated_at, stated_by_tutor = \
             CASE WHEN excluded.stated_by_tutor = 1 THEN 1 ELSE checkpoint_mastery.stated_by_tutor END",
        );
        b.push(&sql).bind(self.session).bind(self.now);
        for m in &a.mastery {
            b.bind(m.checkpoint.as_str())
                .bind(m.mastery)
                .bind(i64::from(m.stated_by_tutor));
        }
    }

    fn aha(&self, b: &mut Batch, a: &TurnAssessment) {
        let sql = format!(
            "INSERT INTO aha_moments (id, turn_id, learner_id, checkpoint_id, misconception_id, \
             quote, trigger_move, created_at) VALUES ($2, $3, {LEARNER}, $4, $5, $6, $7, $8)"
        );
        for h in &a.aha {
            b.push(&sql)
                .bind(self.session)
                .bind(new_row_id())
                .bind(self.turn)
                .bind(h.checkpoint.as_ref().map(CheckpointId::as_str))
                .bind(h.misconception.as_ref().map(MisconceptionId::as_str))
                .bind(h.quote.as_str())
                .bind(h.trigger_move.as_str())
                .bind(self.now);
        }
    }
}
