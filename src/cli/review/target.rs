//! The card `reset`, `suspend` and `unsuspend` name (a checkpoint id, with its curriculum
//! when the id alone is ambiguous), and what they do to it.

use chrono::{DateTime, Utc};
use klover_domain::review;
use klover_store::{LearnerId, ReviewCard, Store};

use super::{Action, Card, Which};

/// The card a command names: a checkpoint id, and its curriculum when given.
pub(super) struct Target {
    checkpoint: String,
    curriculum: Option<String>,
}

impl Card {
    pub(super) fn target(self) -> (Target, Which) {
        let target = Target {
            checkpoint: self.checkpoint,
            curriculum: self.curriculum,
        };
        (target, self.which)
    }
}

/// What `reset`, `suspend` and `unsuspend` do to the card they name.
#[derive(Clone, Copy)]
pub(super) enum Change {
    Reset,
    Suspend(bool),
}

pub(super) fn action_of(action: &Action) -> Change {
    match action {
        Action::Suspend(_, suspend) => Change::Suspend(*suspend),
        _ => Change::Reset,
    }
}

/// The one card `target` names, or why there is none: no card on that checkpoint (in that
/// curriculum), or cards on it in several curricula and no `--curriculum` to choose.
pub(super) fn the_card<'c>(
    cards: &'c [ReviewCard],
    target: &Target,
) -> Result<&'c ReviewCard, String> {
    let checkpoint = target.checkpoint.as_str();
    let on: Vec<&ReviewCard> = cards
        .iter()
        .filter(|c| c.checkpoint.as_str() == checkpoint)
        .collect();
    if let Some(curriculum) = &target.curriculum {
        return on
            .into_iter()
            .find(|c| c.curriculum.as_str() == curriculum)
            .ok_or_else(|| {
                format!(
                    "no review card on `{checkpoint}` in curriculum `{curriculum}`: `klover review list` shows the cards"
                )
            });
    }
    match on.as_slice() {
        [] => Err(format!(
            "no review card on `{checkpoint}`: `klover review list` shows the cards"
        )),
        [card] => Ok(card),
        several => {
            let names: Vec<&str> = several.iter().map(|c| c.curriculum.as_str()).collect();
            Err(format!(
                "`{checkpoint}` names a review card in {} curricula ({}): say which with \
                 --curriculum ID, e.g. --curriculum {}; nothing was changed",
                names.len(),
                names.join(", "),
                names[0]
            ))
        }
    }
}

/// Resets or (un)suspends `card`; returns what to print.
/// `several`: the learner has cards on this checkpoint id in other curricula too, so the
/// message names the curriculum and the command it suggests carries `--curriculum`.
pub(super) async fn change(
    store: &Store,
    learner: &LearnerId,
    (card, several): (&ReviewCard, bool),
    change: Change,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let checkpoint = card.checkpoint.as_str();
    let (named, flag) = if several {
        (
            format!(" in `{}`", card.curriculum),
            format!(" --curriculum {}", card.curriculum),
        )
    } else {
        (String::new(), String::new())
    };
    Ok(match change {
        Change::Reset => {
            let fresh = review::reset(&klover_server::review::from_row(card), now);
            let row = ReviewCard {
                memory: None,
                due_at: fresh.due,
                last_review_at: fresh.last_review,
                reps: 0,
                lapses: 0,
                ..card.clone()
            };
            store.upsert_review_card(&row).await?;
            format!("reset `{checkpoint}`{named}: a new card, due now\n")
        }
        Change::Suspend(suspend) => {
            store
                .set_card_suspended(learner, &card.curriculum, &card.checkpoint, suspend)
                .await?;
            if suspend {
                format!(
                    "suspended `{checkpoint}`{named}: never due until `klover review unsuspend {checkpoint}{flag}`\n"
                )
            } else {
                format!("unsuspended `{checkpoint}`{named}: due again as scheduled\n")
            }
        }
    })
}
