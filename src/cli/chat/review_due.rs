//! `klover chat --review`: before starting a review session, asks the server what is due
//! (`GET /api/review/due`) so that "nothing to review" is said plainly, with when the next
//! card comes due, instead of opening a session with nothing to ask.

use anyhow::Context;
use chrono::{DateTime, Utc};
use klover_server::api::DueReview;

/// The learner's cards of `curriculum` due now, from the server.
pub async fn fetch(
    server: &str,
    token: Option<&str>,
    curriculum: &str,
) -> anyhow::Result<DueReview> {
    let url = format!("{}/api/review/due", server.trim_end_matches('/'));
    let mut req = reqwest::Client::new()
        .get(url)
        .query(&[("curriculum", curriculum)]);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req
        .send()
        .await
        .with_context(|| format!("cannot reach {server}; is `klover serve` running?"))?;
    if resp.status().as_u16() == 401 {
        anyhow::bail!("{}", super::token_hint(token));
    }
    Ok(resp.error_for_status()?.json().await?)
}

/// What to say before the review starts, or instead of it when nothing is due.
pub fn summary(due: &DueReview, curriculum: &str, now: DateTime<Utc>) -> String {
    if due.count == 0 {
        let next = due
            .next_due_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        return match next {
            Some(at) => format!(
                "Nothing to review in {curriculum} right now. The next card is due {} ({}).",
                at.format("%b %-d, %Y at %H:%M UTC"),
                in_words(at - now)
            ),
            None => format!(
                "Nothing to review in {curriculum}: no review cards yet. Finishing a concept \
                 in a learning session (`klover chat`) makes them."
            ),
        };
    }
    let mut concepts: Vec<&str> = Vec::new();
    for card in &due.due {
        if !concepts.contains(&card.concept_title.as_str()) {
            concepts.push(&card.concept_title);
        }
    }
    let n = due.count;
    let plural = if n == 1 { "checkpoint" } else { "checkpoints" };
    format!(
        "Review: {n} {plural} due ({}). Explain each one again in your own words.",
        concepts.join(", ")
    )
}

fn in_words(d: chrono::TimeDelta) -> String {
    let minutes = d.num_minutes().max(1);
    match minutes {
        ..60 => format!("in {minutes} min"),
        60..2880 => format!("in {} h", minutes / 60),
        _ => format!("in {} days", minutes / 1440),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use klover_server::api::DueCard;

    fn due(count: usize, next: Option<&str>) -> DueReview {
        DueReview {
            count,
            due: (0..count)
                .map(|i| DueCard {
                    curriculum: "async-python".into(),
                    concept: "event-loop".into(),
                    concept_title: "The event loop".into(),
                    checkpoint: format!("cp-{i}"),
                    due_at: "2026-11-25T10:00:00+00:00".into(),
                })
                .collect(),
            next_due_at: next.map(str::to_owned),
        }
    }

    #[test]
    fn nothing_due_says_when_the_next_card_is() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let text = summary(
            &due(0, Some("2026-11-27T12:00:00+00:00")),
            "async-python",
            now,
        );
        assert_eq!(
            text,
            "Nothing to review in async-python right now. The next card is due \
             Nov 27, 2026 at 12:00 UTC (in 2 days)."
        );
        let none = summary(&due(0, None), "async-python", now);
        assert!(none.contains("no review cards yet"), "{none}");
        let two = summary(&due(2, None), "async-python", now);
        assert_eq!(
            two,
            "Review: 2 checkpoints due (The event loop). Explain each one again in your own words."
        );
    }
}
