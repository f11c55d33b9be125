//! `klover review`: spaced review of aha moments and weak checkpoints — the card list with
//! each card's state and when it comes due (`list`), cards set aside and back
//! (`suspend`, `unsuspend`), a card's history forgotten (`reset`), and the statistics a
//! flash-card user expects: a 30-day forecast and true retention from the review log
//! (`stats`). The review itself happens in a review session (`klover chat --review`, or
//! "Review due" in the web client); scheduling is `klover_domain::review`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use klover_domain::review;
use klover_store::{LearnerId, ReviewCard, Store};

use super::config::Global;

mod target;

use target::{Target, action_of, change, the_card};

/// Subcommands of `klover review`.
#[derive(clap::Subcommand)]
pub enum Command {
    /// List a learner's review cards: title, state (new, relearning, review, suspended),
    /// when each comes due, and the checkpoint id the other commands take.
    #[command(after_help = "Examples:\n  klover review list\n  klover review list --learner ada")]
    List(Which),
    /// Review statistics: how many reviews fall due on each of the next 30 days, and
    /// true retention (reviews of the last 30 days not graded Again; FSRS's predicted
    /// recall today).
    #[command(after_help = "Examples:\n  klover review stats\n  klover review stats --learner ada")]
    Stats(Which),
    /// Forget a card's review history: it becomes new again, due now (FSRS starts over).
    #[command(
        after_help = "Examples:\n  klover review reset cpu-task-blocks-loop\n  klover review reset loop-runs-one-task --learner ada\n  klover review reset cpu-task-blocks-loop --curriculum async-python"
    )]
    Reset(Card),
    /// Set a card aside: it is never due (its history is kept) until `unsuspend`.
    #[command(after_help = "Examples:\n  klover review suspend cpu-task-blocks-loop")]
    Suspend(Card),
    /// Bring a suspended card back: due again as its schedule says.
    #[command(after_help = "Examples:\n  klover review unsuspend cpu-task-blocks-loop")]
    Unsuspend(Card),
}

/// One card of a learner.
#[derive(clap::Args)]
pub struct Card {
    /// The card's checkpoint id (`klover review list` names each card's checkpoint).
    checkpoint: String,
    /// The card's curriculum: needed when the learner has a card on this checkpoint id in
    /// more than one curriculum (`klover review list` names it then).
    #[arg(long, value_name = "ID")]
    curriculum: Option<String>,
    #[command(flatten)]
    which: Which,
}

/// Whose cards, in which database.
#[derive(clap::Args)]
pub struct Which {
    /// The learner [default: `local`, the learner of a server without auth].
    #[arg(long, value_name = "NAME")]
    learner: Option<String>,
    /// Database URL [default: the `database_url` setting, as `klover serve`].
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Curriculum folder, for concept titles [default: as `klover serve`, the built-in
    /// curriculum without one].
    #[arg(long, value_name = "DIR")]
    curriculum_dir: Option<PathBuf>,
}

/// What to do with the learner's cards.
enum Action {
    List,
    Stats,
    Reset(Target),
    Suspend(Target, bool),
}

/// Runs `klover review ...`.
pub async fn run(command: Command, global: &Global) -> anyhow::Result<ExitCode> {
    let (action, which) = match command {
        Command::List(which) => (Action::List, which),
        Command::Stats(which) => (Action::Stats, which),
        Command::Reset(c) => {
            let (target, which) = c.target();
            (Action::Reset(target), which)
        }
        Command::Suspend(c) => {
            let (target, which) = c.target();
            (Action::Suspend(target, true), which)
        }
        Command::Unsuspend(c) => {
            let (target, which) = c.target();
            (Action::Suspend(target, false), which)
        }
    };
    let Which {
        learner,
        database_url,
        curriculum_dir,
    } = which;
    let sources = global
        .sources()
        .flag("database_url", "--database-url", database_url)
        .flag("curriculum_dir", "--curriculum-dir", curriculum_dir);
    let loaded = super::config::load(sources)?;
    // The same curricula as `klover serve` (the built-in one without a folder), for titles.
    let catalog = super::config::catalog(&loaded)?;
    let name = learner.unwrap_or_else(|| klover_server::auth::LOCAL_LEARNER.to_owned());
    let store = super::config::open_store(&loaded).await?;
    let who = match store.find_learner_by_name(&name).await {
        Ok(Some(who)) => who,
        Ok(None) => {
            store.close().await;
            eprintln!(
                "no learner named `{name}` in this database: a learner appears with their first \
                 session (`klover chat` or the web client). Another learner: --learner NAME; \
                 another database: --database-url URL."
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => {
            store.close().await;
            return Err(e.into());
        }
    };
    let done = act(&store, &who.id, &name, action, &catalog).await;
    store.close().await;
    done
}

async fn act(
    store: &Store,
    learner: &LearnerId,
    name: &str,
    action: Action,
    catalog: &klover_server::catalog::Catalog,
) -> anyhow::Result<ExitCode> {
    let cards = store.review_cards(learner).await?;
    let now = Utc::now();
    let text = match action {
        Action::Stats => {
            let since = now - chrono::Duration::days(review::RETENTION_DAYS);
            let log: Vec<_> = store
                .review_log(learner, since)
                .await?
                .iter()
                .map(klover_server::review::from_entry)
                .collect();
            let cards: Vec<_> = cards.iter().map(klover_server::review::from_row).collect();
            render_stats(name, &cards, &log, now)
        }
        Action::List => {
            let title = |card: &ReviewCard| -> String {
                catalog
                    .get(card.curriculum.as_str())
                    .and_then(|c| {
                        c.checkpoint(&card.checkpoint)
                            .map(|(k, cp)| format!("{} — {}", k.title, cp.label()))
                    })
                    .unwrap_or_else(|| format!("{} — {}", card.curriculum, card.checkpoint))
            };
            render_list(name, &cards, now, &title)
        }
        Action::Reset(ref target) | Action::Suspend(ref target, _) => {
            let card = match the_card(&cards, target) {
                Ok(card) => card,
                Err(why) => {
                    eprintln!("{why}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let several = cards
                .iter()
                .any(|c| c.checkpoint == card.checkpoint && c.curriculum != card.curriculum);
            change(store, learner, (card, several), action_of(&action), now).await?
        }
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The list as printed: a summary line, then one line per card, soonest first and the
/// suspended ones last: when, `label` (its concept and checkpoint), its state, reviews and
/// reason, and the checkpoint id the other commands take (with `--curriculum ID` when the
/// learner has cards on that id in several curricula).
pub fn render_list(
    learner: &str,
    cards: &[ReviewCard],
    now: DateTime<Utc>,
    label: &dyn Fn(&ReviewCard) -> String,
) -> String {
    if cards.is_empty() {
        return format!(
            "{learner} has no review cards yet: they come from aha moments and weak checkpoints at the end of a session\n"
        );
    }
    let mut sorted: Vec<&ReviewCard> = cards.iter().collect();
    sorted.sort_by_key(|c| (c.suspended, c.due_at));
    let due = sorted
        .iter()
        .filter(|c| !c.suspended && c.due_at <= now)
        .count();
    let suspended = cards.iter().filter(|c| c.suspended).count();
    let mut out = format!(
        "{learner}: {} review card{}, {due} due now",
        cards.len(),
        if cards.len() == 1 { "" } else { "s" }
    );
    if suspended > 0 {
        let _ = write!(out, ", {suspended} suspended");
    }
    out.push('\n');
    for c in sorted {
        let reviews = match c.reps {
            0 => "new".to_owned(),
            1 => "1 review".to_owned(),
            n => format!("{n} reviews"),
        };
        let state = review::card_state(&klover_server::review::from_row(c));
        let when = if c.suspended {
            "suspended".to_owned()
        } else {
            when(c.due_at, now)
        };
        let state = match state {
            review::CardState::New | review::CardState::Suspended => String::new(),
            other => format!("{}, ", other.as_str()),
        };
        // The id the other commands take, with the curriculum when the id alone is
        // ambiguous (the learner has cards on it in several curricula).
        let several = cards
            .iter()
            .any(|o| o.checkpoint == c.checkpoint && o.curriculum != c.curriculum);
        let id = if several {
            format!("{} --curriculum {}", c.checkpoint, c.curriculum)
        } else {
            c.checkpoint.to_string()
        };
        let _ = writeln!(
            out,
            "  {when:<22} {} ({state}{}, {reviews})  [{id}]",
            label(c),
            c.source,
        );
    }
    out
}

/// `klover review stats` as printed: the cards, retention over the review log's last 30
/// days, then the forecast (a line per day that has reviews, with a bar).
pub fn render_stats(
    learner: &str,
    cards: &[review::Card],
    log: &[review::Review],
    now: DateTime<Utc>,
) -> String {
    let r = review::retention(cards, log, now);
    let mut out = format!(
        "{learner}: {} review card{} ({} reviewed, {} new",
        r.cards,
        if r.cards == 1 { "" } else { "s" },
        r.reviewed,
        r.cards - r.reviewed
    );
    if r.suspended > 0 {
        let _ = write!(out, ", {} suspended", r.suspended);
    }
    out.push_str(")\n");
    let pct = |x: f64| format!("{:.0} %", x * 100.0);
    match r.passed {
        Some(passed) => {
            let _ = write!(
                out,
                "Retention, last {} days: {} of {} review{} passed ({} forgotten",
                review::RETENTION_DAYS,
                pct(passed),
                r.reviews,
                if r.reviews == 1 { "" } else { "s" },
                r.forgotten
            );
            if r.overruled > 0 {
                let _ = write!(out, ", {} regraded by the learner", r.overruled);
            }
            out.push_str(")\n");
        }
        None => {
            let _ = writeln!(
                out,
                "Retention: no review in the last {} days",
                review::RETENTION_DAYS
            );
        }
    }
    if let Some(recall) = r.recall_now {
        let _ = writeln!(
            out,
            "Predicted recall today: {} on average (FSRS, reviewed cards)",
            pct(recall)
        );
    }
    let days = review::forecast(cards, now, review::FORECAST_DAYS);
    let total: usize = days.iter().sum();
    let _ = writeln!(
        out,
        "Next {} days: {total} review{}",
        review::FORECAST_DAYS,
        if total == 1 { "" } else { "s" }
    );
    for (i, n) in days.iter().enumerate().filter(|(_, n)| **n > 0) {
        let day = now.date_naive() + chrono::Days::new(i as u64);
        let label = match i {
            0 => "today".to_owned(),
            1 => "tomorrow".to_owned(),
            _ => day.format("%a %b %-d").to_string(),
        };
        let _ = writeln!(out, "  {label:<12} {n:>3}  {}", "#".repeat(*n));
    }
    out
}

/// "due now", "in 5 hours", "tomorrow", "in 3 days (Feb 6)".
fn when(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let wait = due - now;
    if wait <= chrono::Duration::zero() {
        return "due now".to_owned();
    }
    let hours = wait.num_hours();
    let days = (due.date_naive() - now.date_naive()).num_days();
    match (hours, days) {
        (0, _) => format!("in {} min", wait.num_minutes().max(1)),
        (h, 0) => format!("in {h} hour{}", if h == 1 { "" } else { "s" }),
        (_, 1) => format!("tomorrow ({})", due.format("%b %-d")),
        (_, d) => format!("in {d} days ({})", due.format("%b %-d")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use klover_domain::{CheckpointId, CurriculumId};
    use klover_store::{CardSource, LearnerId};

    fn card(checkpoint: &str, due: DateTime<Utc>, reps: i64) -> ReviewCard {
        ReviewCard {
            learner: LearnerId::new(),
            curriculum: CurriculumId::parse("async-python").unwrap(),
            checkpoint: CheckpointId::parse(checkpoint).unwrap(),
            memory: None,
            due_at: due,
            last_review_at: None,
            reps,
            lapses: 0,
            source: CardSource::Aha,
            suspended: false,
        }
    }

    #[test]
    fn due_cards_come_first_and_the_rest_say_when() {
        let now = DateTime::parse_from_rfc3339("2026-02-04T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let cards = [
            card("later", now + chrono::Duration::days(3), 1),
            card("overdue", now - chrono::Duration::hours(2), 0),
            card("soon", now + chrono::Duration::hours(5), 2),
        ];
        let text = render_list("ada", &cards, now, &|c| {
            format!("The event loop — {}", c.checkpoint)
        });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ada: 3 review cards, 1 due now");
        assert!(lines[1].contains("due now") && lines[1].contains("overdue (aha, new)  [overdue]"));
        assert!(lines[2].contains("in 5 hours") && lines[2].contains("2 reviews"));
        assert!(lines[3].contains("in 3 days (Feb 7)") && lines[3].contains("The event loop"));
    }

    #[test]
    fn a_suspended_card_is_listed_last_and_never_due() {
        let now = DateTime::parse_from_rfc3339("2026-02-04T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut parked = card("parked", now - chrono::Duration::days(1), 3);
        parked.suspended = true;
        parked.last_review_at = Some(now - chrono::Duration::days(5));
        let cards = [parked, card("later", now + chrono::Duration::days(3), 0)];
        let text = render_list("ada", &cards, now, &|c| c.checkpoint.to_string());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ada: 2 review cards, 0 due now, 1 suspended");
        assert!(lines[1].contains("in 3 days"), "{text}");
        assert!(
            lines[2].trim_start().starts_with("suspended")
                && lines[2].ends_with("parked (aha, 3 reviews)  [parked]"),
            "{text}"
        );
    }

    #[test]
    fn no_cards_says_where_cards_come_from() {
        let text = render_list("ada", &[], Utc::now(), &|_| String::new());
        assert!(text.contains("no review cards yet"));
    }
}
