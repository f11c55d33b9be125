//! What a flash-card user looks at besides the cards: how many reviews fall due on each
//! of the coming days (the forecast), and how well the reviews went (retention, from the
//! review log). Pure, like the rest of [`crate::review`]: the clock is an argument.

use chrono::{DateTime, Utc};
use fsrs::{FSRS6_DEFAULT_DECAY, MemoryState, current_retrievability};
use serde::Serialize;

use chrono::Duration;

use super::{Card, Rating, Review};

/// The forecast's usual span, in days (as Anki's).
pub const FORECAST_DAYS: usize = 30;

/// The window of true retention, in days before now.
pub const RETENTION_DAYS: i64 = 30;

/// Reviews due on each of the `days` days from `now`'s (UTC) date: index 0 is today, with
/// every overdue card; index `i` the `i`-th day after. Cards due later, and suspended
/// cards, are not counted.
pub fn forecast(cards: &[Card], now: DateTime<Utc>, days: usize) -> Vec<usize> {
    let mut out = vec![0; days];
    let today = now.date_naive();
    for card in cards.iter().filter(|c| !c.suspended) {
        let day = (card.due.date_naive() - today).num_days().max(0);
        if let Some(slot) = usize::try_from(day).ok().and_then(|d| out.get_mut(d)) {
            *slot += 1;
        }
    }
    out
}

/// The probability that the learner recalls the card's checkpoint at `now`, from its FSRS
/// memory state (`None` for a card never reviewed).
pub fn recall_probability(card: &Card, now: DateTime<Utc>) -> Option<f64> {
    let memory = card.memory?;
    let since = card.last_review.unwrap_or(now);
    let days = ((now - since).num_seconds().max(0) as f64 / 86_400.0) as f32;
    let state = MemoryState {
        stability: memory.stability.max(0.01) as f32,
        difficulty: memory.difficulty as f32,
    };
    Some(f64::from(current_retrievability(
        state,
        days,
        FSRS6_DEFAULT_DECAY,
    )))
}

/// How the learner's reviews went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retention {
    /// Cards in all.
    pub cards: usize,
    /// Cards reviewed at least once (the rest are new).
    pub reviewed: usize,
    /// Cards set aside (never due).
    pub suspended: usize,
    /// Reviews in the last [`RETENTION_DAYS`] days (from the review log).
    pub reviews: usize,
    /// Of those, reviews graded Again (forgotten), after any overrule.
    pub forgotten: usize,
    /// Of those, reviews whose grade the learner overruled.
    pub overruled: usize,
    /// Share of those reviews not graded Again, in [0, 1] (`None` with none): what Anki
    /// calls true retention.
    pub passed: Option<f64>,
    /// The mean recall probability of the reviewed cards now, in [0, 1] (`None` with none
    /// reviewed): FSRS's estimate of what the learner would remember if asked today.
    pub recall_now: Option<f64>,
}

/// Retention figures at `now`: cards from `cards`, true retention from the review log
/// `log` over the last [`RETENTION_DAYS`] days (older entries are ignored).
pub fn retention(cards: &[Card], log: &[Review], now: DateTime<Utc>) -> Retention {
    let since = now - Duration::days(RETENTION_DAYS);
    let window: Vec<&Review> = log.iter().filter(|r| r.at > since && r.at <= now).collect();
    let forgotten = window.iter().filter(|r| r.grade == Rating::Again).count();
    let recalls: Vec<f64> = cards
        .iter()
        .filter_map(|c| recall_probability(c, now))
        .collect();
    Retention {
        cards: cards.len(),
        reviewed: cards.iter().filter(|c| c.reps > 0).count(),
        suspended: cards.iter().filter(|c| c.suspended).count(),
        reviews: window.len(),
        forgotten,
        overruled: window.iter().filter(|r| r.overruled).count(),
        passed: (!window.is_empty())
            .then(|| (window.len() - forgotten) as f64 / window.len() as f64),
        recall_now: (!recalls.is_empty())
            .then(|| recalls.iter().sum::<f64>() / recalls.len() as f64),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::ids::CheckpointId;
    use crate::review::{CardReason, new_card};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn card(id: &str, due: DateTime<Utc>) -> Card {
        let mut c = new_card(CheckpointId::parse(id).unwrap(), CardReason::Aha, due);
        c.due = due;
        c
    }

    #[test]
    fn the_forecast_counts_cards_per_day_with_overdue_ones_today() {
        let now = at("2026-02-04T20:00:00Z");
        let cards = [
            card("overdue", at("2026-02-01T09:00:00Z")),
            card("tonight", at("2026-02-04T23:00:00Z")),
            card("tomorrow", at("2026-02-05T08:00:00Z")),
            card("in-a-week", at("2026-02-11T08:00:00Z")),
            card("too-late", at("2026-03-20T08:00:00Z")),
        ];
        let days = forecast(&cards, now, FORECAST_DAYS);
        assert_eq!(days.len(), 30);
        assert_eq!(&days[..2], &[2, 1]);
        assert_eq!(days[7], 1);
        assert_eq!(
            days.iter().sum::<usize>(),
            4,
            "beyond 30 days is not counted"
        );
        let mut set_aside = cards.to_vec();
        set_aside[1].suspended = true;
        assert_eq!(
            &forecast(&set_aside, now, FORECAST_DAYS)[..2],
            &[1, 1],
            "a suspended card is never due"
        );
    }

    #[test]
    fn retention_is_the_share_of_the_last_30_days_reviews_not_graded_again() {
        use crate::review::{overrule, review};
        let start = at("2026-02-03T18:00:00Z");
        let now = start + Duration::days(40);
        // An old review, outside the window, graded Again: not counted.
        let (_, old) = review(&card("a", start), Rating::Again, start).unwrap();
        let recent = now - Duration::days(2);
        let (good, l1) = review(&card("a", recent), Rating::Good, recent).unwrap();
        let (_, l2) = review(&card("b", recent), Rating::Again, recent).unwrap();
        let (b, l3) = review(&card("c", recent), Rating::Again, recent).unwrap();
        // The learner overrules the third: Good, so only one Again is left.
        let (overruled_card, l3) = overrule(&b, &l3, Rating::Good).unwrap();
        let mut parked = card("d", recent);
        parked.suspended = true;
        let cards = [good.clone(), overruled_card, parked];
        let r = retention(&cards, &[old, l1, l2, l3], now);
        assert_eq!((r.cards, r.reviewed, r.suspended), (3, 2, 1));
        assert_eq!((r.reviews, r.forgotten, r.overruled), (3, 1, 1));
        assert_eq!(r.passed, Some(2.0 / 3.0));
        let soon = recall_probability(&good, recent + Duration::days(1)).unwrap();
        let later = recall_probability(&good, recent + Duration::days(30)).unwrap();
        assert!(soon > later && soon <= 1.0 && later > 0.0, "{soon} {later}");
        assert_eq!(
            recall_probability(&card("e", start), start),
            None,
            "a new card has no memory yet"
        );
        let none = retention(&[], &[], start);
        assert_eq!((none.passed, none.recall_now), (None, None));
    }
}
