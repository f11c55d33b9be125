//! Spaced review through the websocket: learning turns that finish a concept turn its
//! aha moments and weak checkpoints into review cards; a review session (`start` with
//! `mode: "review"`) re-probes the learner's due cards and reschedules each one once it
//! is settled. The scheduling itself is `klover_domain::review` (FSRS).

use chrono::{DateTime, Utc};
use klover_domain::Curriculum;
use klover_domain::engine::{SessionState, TurnOutcome};
use klover_domain::ids::CheckpointId;
use klover_domain::review::{self, Card, CardReason, Memory};
use klover_store::{CardMemory, CardSource, LearnerId, ReviewCard, SessionId};

use crate::error::Error;
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
/// transaction. Existing cards are kept.
pub async fn add_cards(
    app: &AppState,
    session: &SessionId,
    learner: &LearnerId,
    curriculum: &Curriculum,
    state: &SessionState,
    aha: &[CheckpointId],
) -> Result<(), Error> {
    let existing: Vec<CheckpointId> = app
        .store
        .review_cards(learner)
        .await?
        .into_iter()
        .filter(|c| c.curriculum == curriculum.id)
        .map(|c| c.checkpoint)
        .collect();
    let rows: Vec<ReviewCard> =
        review::session_cards(curriculum, state, aha, &existing, Utc::now())
            .iter()
            .filter(|card| {
                curriculum
                    .checkpoint(&card.checkpoint)
                    .is_some_and(|(concept, _)| state.completed.contains(&concept.id))
            })
            .map(|card| to_row(learner, curriculum, card))
            .collect();
    app.store.save_session_review_cards(session, &rows).await?;
    Ok(())
}

/// After a review turn of `session`: reschedules every card the turn settled, in one
/// fenced transaction.
pub async fn reschedule(
    app: &AppState,
    session: &SessionId,
    learner: &LearnerId,
    curriculum: &Curriculum,
    state: &SessionState,
    outcome: &TurnOutcome,
) -> Result<(), Error> {
    let ratings = review::review_ratings(state, outcome);
    if ratings.is_empty() {
        return Ok(());
    }
    let cards = app.store.review_cards(learner).await?;
    let mut rows = Vec::new();
    for (checkpoint, rating) in ratings {
        let Some(row) = cards
            .iter()
            .find(|c| c.curriculum == curriculum.id && c.checkpoint == checkpoint)
        else {
            continue;
        };
        let next = review::schedule(&from_row(row), rating, Utc::now())
            .map_err(|e| Error::BadRequest(format!("review schedule: {e}")))?;
        rows.push(to_row(learner, curriculum, &next));
    }
    app.store.save_session_review_cards(session, &rows).await?;
    Ok(())
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
    let next = cards.iter().map(|c| c.due_at).min();
    Ok((reviewed, next))
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
    }
}

fn to_row(learner: &LearnerId, curriculum: &Curriculum, card: &Card) -> ReviewCard {
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
    }
}
