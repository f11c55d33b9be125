//! The post's footer: the session date, what kind of session it was, and when the next
//! review is, said truthfully from the review schedule as seen at the session's end
//! ("in 5 hours", not "due now", for a card due later that day).

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{SessionKind, Transcript};

/// "Session: Feb 3, 2026. First exposure — lots of new concepts. Review scheduled for tomorrow."
pub(super) fn footer(t: &Transcript) -> String {
    let n = t.concepts.len();
    let kind = match (t.kind, n) {
        (SessionKind::FirstExposure, 0 | 1) => "First exposure — one new concept".to_owned(),
        (SessionKind::FirstExposure, 2) => "First exposure — two new concepts".to_owned(),
        (SessionKind::FirstExposure, _) => "First exposure — lots of new concepts".to_owned(),
        (SessionKind::Review, 0 | 1) => "Review — one concept revisited".to_owned(),
        (SessionKind::Review, n) => format!("Review — {n} concepts revisited"),
    };
    format!(
        "Session: {}. {kind}. {}",
        human_date(t.date),
        next_review(t.ended_at, t.next_review)
    )
}

/// When the next review is, from `from` (the session's end): already due, in hours on the
/// same day, tomorrow, in 2–6 days, else its date.
pub(super) fn next_review(from: DateTime<Utc>, next: Option<DateTime<Utc>>) -> String {
    let Some(next) = next else {
        return "No review scheduled yet.".to_owned();
    };
    let wait = next - from;
    if wait <= Duration::zero() {
        return "Review due now.".to_owned();
    }
    let days = (next.date_naive() - from.date_naive()).num_days();
    match days {
        ..=0 => match (wait.num_minutes() + 30) / 60 {
            0 => "Review scheduled within the hour.".to_owned(),
            1 => "Review scheduled in about an hour.".to_owned(),
            h => format!("Review scheduled in {h} hours."),
        },
        1 => "Review scheduled for tomorrow.".to_owned(),
        d @ 2..=6 => format!("Review scheduled in {d} days."),
        _ => format!("Review scheduled for {}.", human_date(next.date_naive())),
    }
}

/// "Feb 3, 2026".
pub(super) fn human_date(d: NaiveDate) -> String {
    d.format("%b %-d, %Y").to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn next_review_is_said_from_the_end_of_the_session() {
        let end = at("2026-02-03T10:00:00Z");
        let said = |next: &str| next_review(end, Some(at(next)));
        assert_eq!(said("2026-02-03T09:00:00Z"), "Review due now.");
        assert_eq!(said("2026-02-03T10:00:00Z"), "Review due now.");
        assert_eq!(
            said("2026-02-03T10:20:00Z"),
            "Review scheduled within the hour."
        );
        assert_eq!(
            said("2026-02-03T11:10:00Z"),
            "Review scheduled in about an hour."
        );
        assert_eq!(
            said("2026-02-03T15:00:00Z"),
            "Review scheduled in 5 hours.",
            "a card due later that day is hours away, not due now"
        );
        assert_eq!(
            said("2026-02-04T01:00:00Z"),
            "Review scheduled for tomorrow."
        );
        assert_eq!(said("2026-02-06T09:00:00Z"), "Review scheduled in 3 days.");
        assert_eq!(
            said("2026-03-03T09:00:00Z"),
            "Review scheduled for Mar 3, 2026."
        );
        assert_eq!(next_review(end, None), "No review scheduled yet.");
    }
}
