//! Spaced review through the websocket: learning turns that finish a concept turn its
//! aha moments and weak checkpoints into review cards; a review session (`start` with
//! `mode: "review"`) re-probes the learner's due cards and reschedules each one once it
//! is settled, logging each review; the learner may overrule a review's grade afterwards
//! ([`overrule`]). The scheduling itself is `klover_domain::review` (FSRS).

use chrono::{DateTime, Utc};
use klover_domain::Curriculum;
use klover_domain::engine::{SessionState, TurnOutcome};
use klover_domain::ids::CheckpointId;
use klover_domain::review::{self, Card, CardReason, Memory, OverruleError, Rating, Review};
use klover_store::{
    CardMemory, CardSource, Grade, LearnerId, ReviewCard, ReviewEntry, ReviewId, SessionId, TurnId,
};

use crate::error::Error;
use crate::protocol::ServerEvent;
use crate::state::AppState;

/// The learner's checkpoints of `curriculum` due for review now, most overdue first.
pub async fn due_checkpoints(
    app: &AppState,
    learner: &LearnerId,
    curriculum: &Curriculum,
) -> Result<Vec<CheckpointId>, Error> {
    let due = app.store.due_cards(learner, Utc::now()).await?;
    Ok(due
        .into_iter()
        .filter(|c| c.curriculum == curriculum.id && curriculum.checkpoint(&c.checkpoint).is_some())
        .map(|c| c.checkpoint)
        .collect())
}

/// After a learning turn of `session` that finished a concept (or the path): new cards
/// for the completed concepts' aha moments and weak checkpoints, written in one fenced
/// transaction. Existing cards are kept (by the write itself: no read of the learner's
/// cards first).
pub async fn add_cards(
    app: &AppState,
    session: &SessionId,
    learner: &LearnerId,
    curriculum: &Curriculum,
    state: &SessionState,
    aha: &[CheckpointId],
) -> Result<(), Error> {
    let rows: Vec<ReviewCard> = review::session_cards(curriculum, state, aha, Utc::now())
        .iter()
        .filter(|card| {
            curriculum
                .checkpoint(&card.checkpoint)
                .is_some_and(|(concept, _)| state.completed.contains(&concept.id))
        })
        .map(|card| to_row(learner, curriculum, card))
        .collect();
    app.store.add_session_review_cards(session, &rows).await?;
    Ok(())
}

/// Where a review happened: the session and the learner turn that was graded.
pub struct Graded<'a> {
    /// The review session.
    pub session: &'a SessionId,
    /// The learner turn whose answer settled the cards.
    pub turn: &'a TurnId,
}

/// After a review turn: every card the turn settled, rescheduled, and a log entry for
/// each review (empty when it settled none), to be stored with the turn's assessment
/// ([`klover_store::Grading`]).
pub async fn grade(
    app: &AppState,
    learner: &LearnerId,
    curriculum: &Curriculum,
    state: &SessionState,
    outcome: &TurnOutcome,
    at: Graded<'_>,
) -> Result<(Vec<ReviewCard>, Vec<ReviewEntry>), Error> {
    let ratings = review::review_ratings(state, outcome);
    let mut rows = Vec::new();
    let mut entries = Vec::new();
    if ratings.is_empty() {
        return Ok((rows, entries));
    }
    let cards = app.store.review_cards(learner).await?;
    for (checkpoint, rating) in ratings {
        let Some(row) = cards
            .iter()
            .find(|c| c.curriculum == curriculum.id && c.checkpoint == checkpoint)
        else {
            continue;
        };
        let (next, log) = review::review(&from_row(row), rating, Utc::now())
            .map_err(|e| Error::Internal(format!("review schedule: {e}")))?;
        entries.push(to_entry(
            learner,
            curriculum,
            &log,
            ReviewId::new(),
            Some(&at),
        ));
        rows.push(to_row(learner, curriculum, &next));
    }
    Ok((rows, entries))
}

/// The end of a review session, from the store: how many of its cards were rescheduled
/// (reviewed, now due later than `now`) and when the learner's next card of `curriculum`
/// comes due (`None` with no card).
pub async fn summary(
    app: &AppState,
    learner: &LearnerId,
    curriculum: &Curriculum,
    state: &SessionState,
) -> Result<(usize, Option<DateTime<Utc>>), Error> {
    let now = Utc::now();
    let cards: Vec<ReviewCard> = app
        .store
        .review_cards(learner)
        .await?
        .into_iter()
        .filter(|c| c.curriculum == curriculum.id && curriculum.checkpoint(&c.checkpoint).is_some())
        .collect();
    let reviewed = cards
        .iter()
        .filter(|c| state.review_queue.contains(&c.checkpoint))
        .filter(|c| c.last_review_at.is_some() && c.due_at > now)
        .count();
    Ok((reviewed, next_due(&cards, curriculum)))
}

/// When the learner's next card of `curriculum` comes due, of `cards` (all the learner's):
/// the earliest not suspended, on a checkpoint the curriculum has; `None` with none.
fn next_due(cards: &[ReviewCard], curriculum: &Curriculum) -> Option<DateTime<Utc>> {
    cards
        .iter()
        .filter(|c| c.curriculum == curriculum.id && curriculum.checkpoint(&c.checkpoint).is_some())
        .filter(|c| !c.suspended)
        .map(|c| c.due_at)
        .min()
}

/// A stored card as the domain's review [`Card`] (for scheduling and statistics).
pub fn from_row(row: &ReviewCard) -> Card {
    Card {
        checkpoint: row.checkpoint.clone(),
        reason: match row.source {
            CardSource::Aha => CardReason::Aha,
            CardSource::Weak => CardReason::Weak,
        },
        memory: row.memory.map(|m| Memory {
            stability: m.stability,
            difficulty: m.difficulty,
        }),
        due: row.due_at,
        last_review: row.last_review_at,
        reps: u32::try_from(row.reps).unwrap_or(u32::MAX),
        lapses: u32::try_from(row.lapses).unwrap_or(u32::MAX),
        suspended: row.suspended,
    }
}

/// A domain card as `learner`'s stored card in `curriculum`.
pub fn to_row(learner: &LearnerId, curriculum: &Curriculum, card: &Card) -> ReviewCard {
    ReviewCard {
        learner: learner.clone(),
        curriculum: curriculum.id.clone(),
        checkpoint: card.checkpoint.clone(),
        memory: card.memory.map(|m| CardMemory {
            stability: m.stability,
            difficulty: m.difficulty,
        }),
        due_at: card.due,
        last_review_at: card.last_review,
        reps: i64::from(card.reps),
        lapses: i64::from(card.lapses),
        source: match card.reason {
            CardReason::Aha => CardSource::Aha,
            CardReason::Weak => CardSource::Weak,
        },
        suspended: card.suspended,
    }
}

/// The `review_graded` events of one graded learner turn (its log rows), for the closing
/// events of the turn: the learner sees each grade and may overrule it.
pub async fn graded_events(
    app: &AppState,
    learner: &LearnerId,
    curriculum: &Curriculum,
    turn: &TurnId,
) -> Result<Vec<ServerEvent>, Error> {
    let entries = app.store.reviews_of_turn(learner, turn).await?;
    let cards = app.store.review_cards(learner).await?;
    let next = next_due(&cards, curriculum);
    Ok(entries
        .iter()
        .map(|e| {
            let due = cards
                .iter()
                .find(|c| c.curriculum == e.curriculum && c.checkpoint == e.checkpoint)
                .map(|c| c.due_at);
            graded_event(curriculum, e, due, next)
        })
        .collect())
}

/// A `review_graded` event for a log row (after the grader, or after an overrule): the
/// card comes due at `next_due`, the learner's next card of the curriculum at `next_any`.
fn graded_event(
    curriculum: &Curriculum,
    e: &ReviewEntry,
    next_due: Option<DateTime<Utc>>,
    next_any: Option<DateTime<Utc>>,
) -> ServerEvent {
    ServerEvent::ReviewGraded {
        review_id: e.id.to_string(),
        checkpoint: e.checkpoint.to_string(),
        checkpoint_title: curriculum
            .checkpoint(&e.checkpoint)
            .map(|(_, cp)| cp.label()),
        grader_grade: e.grader_grade.as_str().to_owned(),
        grade: e.grade.as_str().to_owned(),
        overruled: e.overruled,
        next_due_at: next_due.map(|t| t.to_rfc3339()),
        curriculum_next_due_at: next_any.map(|t| t.to_rfc3339()),
    }
}

/// The learner overrules the grade of review `review_id` with `grade`: FSRS redoes that
/// review from its state before with the learner's grade (the log row is rewritten, no
/// second review is added). Returns the log row as it became and the `review_graded`
/// event that says so. Refused: an unknown review (or another learner's), a card that no
/// longer exists, a review that is not the card's latest, one already overruled.
pub async fn overrule(
    app: &AppState,
    learner: &LearnerId,
    review_id: &str,
    grade: &str,
) -> Result<(ReviewEntry, ServerEvent), Error> {
    let rating = Rating::parse(grade).ok_or_else(|| {
        Error::BadRequest(format!(
            "unknown grade `{grade}`: use again, hard, good or easy"
        ))
    })?;
    let unknown = || {
        Error::NotFound(format!(
            "review `{review_id}`: no such review of yours (a `review_graded` event names it)"
        ))
    };
    let id = ReviewId::parse(review_id).ok_or_else(unknown)?;
    let entry = app
        .store
        .review_entry(learner, &id)
        .await?
        .ok_or_else(unknown)?;
    let curriculum = app
        .catalog
        .get(entry.curriculum.as_str())
        .ok_or_else(|| Error::NotFound(format!("curriculum `{}`", entry.curriculum)))?;
    let mut cards = app.store.review_cards(learner).await?;
    let Some(row) = cards
        .iter_mut()
        .find(|c| c.curriculum == entry.curriculum && c.checkpoint == entry.checkpoint)
    else {
        return Err(Error::NotFound(format!(
            "review card on `{}`: the card no longer exists",
            entry.checkpoint
        )));
    };
    let (card, log) =
        review::overrule(&from_row(row), &from_entry(&entry), rating).map_err(|e| match e {
            OverruleError::NotLatest => Error::BadRequest(format!(
                "review `{review_id}` is not the latest review of `{}`: the card was reviewed \
                 or reset since, and only its latest review can be overruled",
                entry.checkpoint
            )),
            OverruleError::AlreadyOverruled(as_) => Error::BadRequest(format!(
                "review `{review_id}` was already overruled (as {as_}): a review is overruled \
                 at most once"
            )),
            other => Error::Internal(format!("overrule: {other}")),
        })?;
    let rewritten = ReviewEntry {
        grade: grade_of(log.grade),
        overruled: true,
        after: CardMemory {
            stability: log.after.stability,
            difficulty: log.after.difficulty,
        },
        ..entry
    };
    *row = to_row(learner, &curriculum, &card);
    app.store
        .overrule_review(row, &rewritten)
        .await
        .map_err(|e| match e {
            klover_store::StoreError::Conflict(_) => Error::BadRequest(format!(
                "review `{review_id}` was already overruled: a review is overruled at most once"
            )),
            other => other.into(),
        })?;
    let next = next_due(&cards, &curriculum);
    let event = graded_event(&curriculum, &rewritten, Some(card.due), next);
    Ok((rewritten, event))
}

fn grade_of(rating: Rating) -> Grade {
    match rating {
        Rating::Again => Grade::Again,
        Rating::Hard => Grade::Hard,
        Rating::Good => Grade::Good,
        Rating::Easy => Grade::Easy,
    }
}

fn rating_of(grade: Grade) -> Rating {
    match grade {
        Grade::Again => Rating::Again,
        Grade::Hard => Rating::Hard,
        Grade::Good => Rating::Good,
        Grade::Easy => Rating::Easy,
    }
}

fn memory(m: CardMemory) -> Memory {
    Memory {
        stability: m.stability,
        difficulty: m.difficulty,
    }
}

/// A log row as the domain's [`Review`] (for overrules and retention).
pub fn from_entry(e: &ReviewEntry) -> Review {
    Review {
        checkpoint: e.checkpoint.clone(),
        at: e.reviewed_at,
        grader: rating_of(e.grader_grade),
        grade: rating_of(e.grade),
        overruled: e.overruled,
        elapsed_days: u32::try_from(e.elapsed_days).unwrap_or(0),
        before: e.before.map(memory),
        after: memory(e.after),
    }
}

/// A domain review as a log row of `learner`'s card in `curriculum`.
pub fn to_entry(
    learner: &LearnerId,
    curriculum: &Curriculum,
    log: &Review,
    id: ReviewId,
    at: Option<&Graded<'_>>,
) -> ReviewEntry {
    let stored = |m: Memory| CardMemory {
        stability: m.stability,
        difficulty: m.difficulty,
    };
    ReviewEntry {
        id,
        learner: learner.clone(),
        curriculum: curriculum.id.clone(),
        checkpoint: log.checkpoint.clone(),
        session: at.map(|g| g.session.clone()),
        turn: at.map(|g| g.turn.clone()),
        reviewed_at: log.at,
        grader_grade: grade_of(log.grader),
        grade: grade_of(log.grade),
        overruled: log.overruled,
        elapsed_days: i64::from(log.elapsed_days),
        before: log.before.map(stored),
        after: stored(log.after),
    }
}
