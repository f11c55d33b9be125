//! The review log: one [`Review`] per review of a card, holding what FSRS needs to redo it
//! exactly. [`overrule`] uses it when the learner disagrees with the grader: the review is
//! done again from the state before it with the learner's grade, so FSRS sees one review
//! graded as the learner said, never two. Pure, like the rest of [`crate::review`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Card, Memory, Rating, ReviewError, elapsed_days, next_state};
use crate::ids::CheckpointId;

/// One review of one card, as the review log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// The card's checkpoint.
    pub checkpoint: CheckpointId,
    /// When the review happened (the learner's answer).
    pub at: DateTime<Utc>,
    /// The grade the grader (the assessment of the answer) gave.
    pub grader: Rating,
    /// The grade FSRS scheduled with: the grader's, or the learner's when overruled.
    pub grade: Rating,
    /// Whether the learner overruled the grader.
    pub overruled: bool,
    /// Whole days since the card's review before (0 for its first).
    pub elapsed_days: u32,
    /// The memory state before the review (`None` for a card's first review).
    pub before: Option<Memory>,
    /// The memory state after it.
    pub after: Memory,
}

/// Why a review cannot be overruled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverruleError {
    /// The card was reviewed (or reset) since: only its latest review can be regraded.
    #[error("not the latest review of this card: it was reviewed or reset since")]
    NotLatest,
    /// The learner already overruled this review once.
    #[error("this review was already overruled (as {0})")]
    AlreadyOverruled(&'static str),
    /// The review is of another card.
    #[error("this review is of another card")]
    OtherCard,
    /// FSRS failed.
    #[error(transparent)]
    Schedule(#[from] ReviewErrorText),
}

/// A scheduling failure, as text (so [`OverruleError`] stays `Eq`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReviewErrorText(String);

impl From<ReviewError> for OverruleError {
    fn from(e: ReviewError) -> Self {
        OverruleError::Schedule(ReviewErrorText(e.to_string()))
    }
}

/// Reviews `card` at `now` with `rating`: the card after it and the log entry.
pub fn review(
    card: &Card,
    rating: Rating,
    now: DateTime<Utc>,
) -> Result<(Card, Review), ReviewError> {
    let elapsed = elapsed_days(card, now);
    let (after, wait) = next_state(card.memory, elapsed, rating)?;
    let next = Card {
        memory: Some(after),
        due: now + wait,
        last_review: Some(now),
        reps: card.reps + 1,
        lapses: card.lapses + u32::from(rating == Rating::Again),
        ..card.clone()
    };
    let log = Review {
        checkpoint: card.checkpoint.clone(),
        at: now,
        grader: rating,
        grade: rating,
        overruled: false,
        elapsed_days: elapsed,
        before: card.memory,
        after,
    };
    Ok((next, log))
}

/// The learner overrules the grade of `review`, the latest review of `card`, with `grade`:
/// the review is redone from its state before with `grade` (same time, same elapsed days),
/// replacing the grader's grade. Returns the card and the log entry as they become.
/// Overruling with the grade FSRS already used is allowed and changes nothing but the
/// `overruled` mark (the learner confirmed it).
pub fn overrule(
    card: &Card,
    review: &Review,
    grade: Rating,
) -> Result<(Card, Review), OverruleError> {
    if card.checkpoint != review.checkpoint {
        return Err(OverruleError::OtherCard);
    }
    if review.overruled {
        return Err(OverruleError::AlreadyOverruled(review.grade.as_str()));
    }
    if card.last_review != Some(review.at) {
        return Err(OverruleError::NotLatest);
    }
    let (after, wait) = next_state(review.before, review.elapsed_days, grade)?;
    let lapses = card.lapses - u32::from(review.grade == Rating::Again).min(card.lapses);
    let next = Card {
        memory: Some(after),
        due: review.at + wait,
        last_review: Some(review.at),
        lapses: lapses + u32::from(grade == Rating::Again),
        ..card.clone()
    };
    let log = Review {
        grade,
        overruled: true,
        after,
        ..review.clone()
    };
    Ok((next, log))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::Duration;

    use super::*;
    use crate::review::{CardReason, new_card, schedule};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn card() -> Card {
        new_card(
            CheckpointId::parse("loop-runs-one-task").unwrap(),
            CardReason::Aha,
            at("2026-02-01T09:00:00Z"),
        )
    }

    #[test]
    fn an_overruled_review_is_the_review_the_learner_graded_not_a_second_one() {
        let first = at("2026-02-02T09:00:00Z");
        let (c1, _) = review(&card(), Rating::Good, first).unwrap();
        let second = first + Duration::days(3);
        let (graded, log) = review(&c1, Rating::Again, second).unwrap();
        assert_eq!((graded.reps, graded.lapses), (2, 1));
        let (overruled, log2) = overrule(&graded, &log, Rating::Easy).unwrap();
        // Exactly what FSRS gives for Easy at that review, as if the grader had said Easy.
        let as_if = schedule(&c1, Rating::Easy, second).unwrap();
        assert_eq!(overruled, as_if);
        assert_eq!((overruled.reps, overruled.lapses), (2, 0));
        assert!(overruled.due > graded.due + Duration::days(1));
        assert_eq!(
            (log2.grader, log2.grade, log2.overruled),
            (Rating::Again, Rating::Easy, true)
        );
        assert_eq!((log2.before, log2.elapsed_days), (log.before, 3));
        assert_eq!(log2.after, overruled.memory.unwrap());
    }

    #[test]
    fn an_overrule_to_again_counts_a_lapse_and_brings_the_card_back_the_same_day() {
        let now = at("2026-02-02T09:00:00Z");
        let (graded, log) = review(&card(), Rating::Good, now).unwrap();
        let (c, l) = overrule(&graded, &log, Rating::Again).unwrap();
        assert_eq!((c.reps, c.lapses), (1, 1));
        assert!(c.due < now + Duration::days(1) && c.due >= now + Duration::minutes(10));
        assert_eq!(l.grade, Rating::Again);
    }

    #[test]
    fn only_the_latest_review_not_yet_overruled_can_be_overruled() {
        let now = at("2026-02-02T09:00:00Z");
        let (c1, log1) = review(&card(), Rating::Hard, now).unwrap();
        let (c2, _) = review(&c1, Rating::Good, now + Duration::days(2)).unwrap();
        assert_eq!(
            overrule(&c2, &log1, Rating::Good),
            Err(OverruleError::NotLatest)
        );
        let (c1b, log1b) = overrule(&c1, &log1, Rating::Good).unwrap();
        assert_eq!(
            overrule(&c1b, &log1b, Rating::Easy),
            Err(OverruleError::AlreadyOverruled("good"))
        );
        let other = new_card(CheckpointId::parse("other").unwrap(), CardReason::Weak, now);
        assert_eq!(
            overrule(&other, &log1, Rating::Good),
            Err(OverruleError::OtherCard)
        );
        let reset = crate::review::reset(&c1, now + Duration::hours(1));
        assert_eq!(
            overrule(&reset, &log1, Rating::Good),
            Err(OverruleError::NotLatest)
        );
    }

    #[test]
    fn a_card_is_new_relearning_review_or_suspended() {
        use crate::review::{CardState, card_state};
        let now = at("2026-02-02T09:00:00Z");
        let fresh = card();
        assert_eq!(card_state(&fresh), CardState::New);
        let (good, _) = review(&fresh, Rating::Good, now).unwrap();
        assert_eq!(card_state(&good), CardState::Review);
        let (again, _) = review(&good, Rating::Again, now + Duration::days(3)).unwrap();
        assert_eq!(card_state(&again), CardState::Relearning);
        let parked = Card {
            suspended: true,
            ..again.clone()
        };
        assert_eq!(card_state(&parked), CardState::Suspended);
        let reset = crate::review::reset(&parked, now);
        assert_eq!((reset.reps, reset.memory, reset.due), (0, None, now));
        assert!(reset.suspended, "a reset keeps the card set aside");
    }
}
