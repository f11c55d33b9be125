//! Spaced review of aha moments and weakly shown checkpoints, scheduled with FSRS
//! (the `fsrs` crate, default FSRS-6 parameters, 90 % desired retention).
//!
//! Pure: every function takes the clock (`now`) as an argument, so tests fix it. The store
//! keeps [`Card`]s (one per learner and checkpoint); the server and CLI call:
//!
//! 1. [`session_cards`] (or [`cards_from_session`]) when a learning session ends — each
//!    aha moment and each checkpoint of a visited concept shown only weakly becomes a
//!    card, first due the next day ("Review scheduled for tomorrow").
//! 2. [`due`] to pick what a review session re-probes (`engine::start_review` with them).
//! 3. After each learner turn of the review session, [`review_ratings`] says which cards
//!    the turn settled and how (the score through [`rate`], at best Hard after a hint or
//!    a failed try, Again when the tutor had to state it); [`schedule`] each with its
//!    rating to get the card's next state and due time.
//!    [`review`] does the same and also returns the [`Review`] the store logs.
//! 4. After the tutor's verdict the learner may overrule the grade: [`overrule`] redoes
//!    that review from the log's state before it, with the learner's grade instead.
//! 5. [`reset`] forgets a card's history; [`card_state`] says where a card stands for a
//!    card list.
//! 6. [`forecast`] and [`retention`] for the statistics (`klover review stats`); a
//!    suspended card is never due and is left out of both.
//!
//! ## Score → rating
//! The assessor scores a checkpoint in [0, 1]. [`rate`] maps it like the four buttons of
//! a flash-card app:
//!
//! | score        | rating  | meaning                                   |
//! |--------------|---------|-------------------------------------------|
//! | < 0.40       | Again   | not recalled: comes back within a day     |
//! | 0.40 – 0.65  | Hard    | recalled in part, or only with effort     |
//! | 0.65 – 0.90  | Good    | recalled in the learner's own words       |
//! | ≥ 0.90       | Easy    | recalled fully and at once                |

mod log;
mod session;
mod stats;

pub use log::{OverruleError, Review, overrule, review};
pub use session::{review_ratings, review_score, session_cards, session_outcomes};
pub use stats::{
    FORECAST_DAYS, RETENTION_DAYS, Retention, forecast, recall_probability, retention,
};

use chrono::{DateTime, Duration, Utc};
use fsrs::{FSRS, MemoryState};
use serde::{Deserialize, Serialize};

use crate::ids::CheckpointId;

/// The recall probability FSRS schedules for: a card is due when recall drops to 90 %.
pub const DESIRED_RETENTION: f32 = 0.9;

/// A checkpoint whose mastery is below this at the end of a session is reviewed.
pub const WEAK_BELOW: f64 = 0.8;

/// The shortest wait before a failed card comes back (so one review session does not
/// ask the same thing twice in a row).
pub const MIN_RELEARN: Duration = Duration::minutes(10);

/// How well the learner recalled a checkpoint (FSRS's four grades).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// Not recalled.
    Again,
    /// Recalled with difficulty or in part.
    Hard,
    /// Recalled.
    Good,
    /// Recalled fully, at once.
    Easy,
}

impl Rating {
    /// The four grades, worst first.
    pub const ALL: [Rating; 4] = [Rating::Again, Rating::Hard, Rating::Good, Rating::Easy];

    /// The rating named `again`, `hard`, `good` or `easy` (`None` for anything else).
    pub fn parse(name: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The rating's name (`again`, `hard`, `good`, `easy`), as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Again => "again",
            Rating::Hard => "hard",
            Rating::Good => "good",
            Rating::Easy => "easy",
        }
    }
}

/// Why a checkpoint is being reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardReason {
    /// The learner had an aha moment on it: keep the insight.
    Aha,
    /// The learner showed it only weakly (or not at all) in a visited concept.
    Weak,
}

impl CardReason {
    /// The reason's name (`aha`, `weak`), as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            CardReason::Aha => "aha",
            CardReason::Weak => "weak",
        }
    }
}

/// FSRS memory state of a reviewed card.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Days until recall probability falls to 90 %.
    pub stability: f64,
    /// 1 (easy) to 10 (hard).
    pub difficulty: f64,
}

/// One checkpoint scheduled for review (for one learner: the store adds who).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    /// The checkpoint to re-probe (its concept: `Curriculum::checkpoint`).
    pub checkpoint: CheckpointId,
    /// Why it was scheduled.
    pub reason: CardReason,
    /// FSRS state; `None` until the first review.
    pub memory: Option<Memory>,
    /// When it is next due.
    pub due: DateTime<Utc>,
    /// When it was last reviewed.
    pub last_review: Option<DateTime<Utc>>,
    /// Reviews so far.
    pub reps: u32,
    /// Reviews rated [`Rating::Again`].
    pub lapses: u32,
    /// Set aside by the learner: never due, its state kept.
    #[serde(default)]
    pub suspended: bool,
}

/// How a checkpoint stood at the end of a learning session.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointOutcome {
    /// The checkpoint (of a concept the session visited).
    pub checkpoint: CheckpointId,
    /// Mastery estimate from the learner model, in [0, 1].
    pub mastery: f64,
    /// Whether the session recorded an aha moment on it.
    pub aha: bool,
}

/// Why scheduling failed.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The FSRS model rejected its parameters or the card's state.
    #[error("FSRS could not schedule the card: {0}")]
    Fsrs(String),
}

/// Maps an assessor score in [0, 1] to a rating (table in the module docs). A score
/// outside [0, 1] is clamped; NaN counts as not recalled.
pub fn rate(score: f64) -> Rating {
    match score {
        s if s.is_nan() || s < 0.40 => Rating::Again,
        s if s < 0.65 => Rating::Hard,
        s if s < 0.90 => Rating::Good,
        _ => Rating::Easy,
    }
}

/// A new card, first due one day after the session (`now`).
pub fn new_card(checkpoint: CheckpointId, reason: CardReason, now: DateTime<Utc>) -> Card {
    Card {
        checkpoint,
        reason,
        memory: None,
        due: now + Duration::days(1),
        last_review: None,
        reps: 0,
        lapses: 0,
        suspended: false,
    }
}

/// The cards a finished learning session creates: one per aha moment, and one per
/// checkpoint with mastery below [`WEAK_BELOW`]; each checkpoint at most once (an aha
/// wins over weak). Checkpoints at or above the threshold without an aha get no card.
pub fn cards_from_session(outcomes: &[CheckpointOutcome], now: DateTime<Utc>) -> Vec<Card> {
    let mut cards: Vec<Card> = Vec::new();
    for o in outcomes {
        let reason = if o.aha {
            CardReason::Aha
        } else if o.mastery < WEAK_BELOW {
            CardReason::Weak
        } else {
            continue;
        };
        match cards.iter_mut().find(|c| c.checkpoint == o.checkpoint) {
            Some(card) if reason == CardReason::Aha => card.reason = CardReason::Aha,
            Some(_) => {}
            None => cards.push(new_card(o.checkpoint.clone(), reason, now)),
        }
    }
    cards
}

/// The cards due at `now`, most overdue first (never a suspended one).
pub fn due(cards: &[Card], now: DateTime<Utc>) -> Vec<&Card> {
    let mut out: Vec<&Card> = cards
        .iter()
        .filter(|c| !c.suspended && c.due <= now)
        .collect();
    out.sort_by_key(|c| c.due);
    out
}

/// When the earliest of these cards is due (the export's "next review"); suspended
/// cards never are.
pub fn next_due(cards: &[Card]) -> Option<DateTime<Utc>> {
    cards.iter().filter(|c| !c.suspended).map(|c| c.due).min()
}

/// The card after a review rated `rating` at `now` ([`review`] without the log entry).
///
/// FSRS gives the new memory state and interval. Hard, Good and Easy wait whole days (at
/// least one); Again brings the card back the same day — FSRS's short interval, kept
/// between [`MIN_RELEARN`] and one day.
pub fn schedule(card: &Card, rating: Rating, now: DateTime<Utc>) -> Result<Card, ReviewError> {
    review(card, rating, now).map(|(card, _)| card)
}

/// Whole days from the card's last review to `now` (0 for a new card), as FSRS counts.
pub(crate) fn elapsed_days(card: &Card, now: DateTime<Utc>) -> u32 {
    card.last_review
        .map(|t| u32::try_from((now - t).num_days().max(0)).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

/// FSRS's next memory state and the wait before the next review, from the state before
/// a review (`memory`, `elapsed` days since the one before) and its grade.
pub(crate) fn next_state(
    memory: Option<Memory>,
    elapsed: u32,
    rating: Rating,
) -> Result<(Memory, Duration), ReviewError> {
    let fsrs = FSRS::new(&[]).map_err(|e| ReviewError::Fsrs(e.to_string()))?;
    let memory = memory.map(|m| MemoryState {
        stability: m.stability as f32,
        difficulty: m.difficulty as f32,
    });
    let next = fsrs
        .next_states(memory, DESIRED_RETENTION, elapsed)
        .map_err(|e| ReviewError::Fsrs(e.to_string()))?;
    let state = match rating {
        Rating::Again => next.again,
        Rating::Hard => next.hard,
        Rating::Good => next.good,
        Rating::Easy => next.easy,
    };
    let wait = match rating {
        Rating::Again => {
            let secs = (f64::from(state.interval) * 86_400.0).clamp(600.0, 86_400.0);
            Duration::seconds(secs as i64).max(MIN_RELEARN)
        }
        _ => Duration::days(f64::from(state.interval).round().max(1.0) as i64),
    };
    let after = Memory {
        stability: f64::from(state.memory.stability),
        difficulty: f64::from(state.memory.difficulty),
    };
    Ok((after, wait))
}

/// The card after a reset: its history forgotten, new again and due at `now` (FSRS starts
/// over). Its reason and suspension are kept.
pub fn reset(card: &Card, now: DateTime<Utc>) -> Card {
    Card {
        memory: None,
        due: now,
        last_review: None,
        reps: 0,
        lapses: 0,
        ..card.clone()
    }
}

/// Where a card stands, as a card list shows it (Anki's card states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardState {
    /// Never reviewed.
    New,
    /// Forgotten at its last review: back within a day.
    Relearning,
    /// Reviewed, next review days out.
    Review,
    /// Set aside by the learner: never due.
    Suspended,
}

impl CardState {
    /// The state's name (`new`, `relearning`, `review`, `suspended`).
    pub fn as_str(self) -> &'static str {
        match self {
            CardState::New => "new",
            CardState::Relearning => "relearning",
            CardState::Review => "review",
            CardState::Suspended => "suspended",
        }
    }
}

/// The card's [`CardState`].
pub fn card_state(card: &Card) -> CardState {
    match card.last_review {
        _ if card.suspended => CardState::Suspended,
        None => CardState::New,
        Some(last) if card.due - last < Duration::days(1) => CardState::Relearning,
        Some(_) => CardState::Review,
    }
}
