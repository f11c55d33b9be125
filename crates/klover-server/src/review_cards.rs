//! The card list over HTTP, as `klover review list` and its siblings on the command line:
//! the caller's review cards with readable titles, state and due time
//! (`GET /api/review/cards`), and a card suspended, unsuspended or reset
//! (`POST /api/review/cards/{curriculum}/{checkpoint}/{action}`). A suspended card is never
//! due; a reset one is new again, due now.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::Utc;
use klover_domain::review;
use klover_domain::{CheckpointId, CurriculumId};
use klover_store::ReviewCard;
use serde::Serialize;

use crate::auth::Identity;
use crate::catalog::Catalog;
use crate::error::Error;
use crate::review::from_row;
use crate::state::AppState;

/// One card as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CardView {
    /// Curriculum id.
    pub curriculum: String,
    /// The checkpoint's concept id.
    pub concept: String,
    /// The concept's title.
    pub concept_title: String,
    /// Checkpoint id.
    pub checkpoint: String,
    /// The checkpoint's short label (a card exists only for a concept the learner went
    /// through, so naming it gives nothing away).
    pub title: String,
    /// `new`, `relearning`, `review` or `suspended`.
    pub state: &'static str,
    /// Why the card exists: `aha` or `weak`.
    pub reason: &'static str,
    /// RFC 3339: when it comes due (a suspended card never does; this is its schedule).
    pub due_at: String,
    /// Whether it is due now (never when suspended).
    pub due: bool,
    /// Reviews so far.
    pub reps: i64,
    /// Reviews graded Again.
    pub lapses: i64,
    /// Set aside: never due.
    pub suspended: bool,
}

/// The list: cards of curricula and checkpoints the catalog no longer has are left out;
/// soonest due first, suspended ones last.
pub fn card_views(catalog: &Catalog, cards: &[ReviewCard]) -> Vec<CardView> {
    let now = Utc::now();
    let mut rows: Vec<&ReviewCard> = cards.iter().collect();
    rows.sort_by_key(|c| (c.suspended, c.due_at));
    rows.into_iter()
        .filter_map(|c| {
            let curriculum = catalog.get(c.curriculum.as_str())?;
            let (concept, cp) = curriculum.checkpoint(&c.checkpoint)?;
            Some(CardView {
                curriculum: c.curriculum.to_string(),
                concept: concept.id.to_string(),
                concept_title: concept.title.clone(),
                checkpoint: c.checkpoint.to_string(),
                title: cp.label(),
                state: review::card_state(&from_row(c)).as_str(),
                reason: c.source.as_str(),
                due_at: c.due_at.to_rfc3339(),
                due: !c.suspended && c.due_at <= now,
                reps: c.reps,
                lapses: c.lapses,
                suspended: c.suspended,
            })
        })
        .collect()
}

/// `GET /api/review/cards`: the caller's cards.
pub async fn list(
    State(app): State<AppState>,
    who: Identity,
) -> Result<Json<Vec<CardView>>, Error> {
    let cards = app.store.review_cards(&who.learner).await?;
    Ok(Json(card_views(&app.catalog, &cards)))
}

/// `POST /api/review/cards/{curriculum}/{checkpoint}/{action}` with `action` one of
/// `suspend`, `unsuspend`, `reset`: the card as it became. A browser on a foreign origin
/// is refused (403), as the websocket refuses it: with auth off, a page on another site
/// must not change the local learner's cards.
pub async fn act(
    State(app): State<AppState>,
    who: Identity,
    headers: HeaderMap,
    Path((curriculum, checkpoint, action)): Path<(String, String, String)>,
) -> Result<Json<CardView>, Error> {
    if !crate::auth::origin_allowed(&headers, &app.settings.allowed_origins) {
        return Err(Error::Forbidden);
    }
    let no_card = || Error::NotFound(format!("review card on `{checkpoint}` in `{curriculum}`"));
    let curriculum_id = CurriculumId::parse(&curriculum).map_err(|_| no_card())?;
    let checkpoint_id = CheckpointId::parse(&checkpoint).map_err(|_| no_card())?;
    let find = |cards: Vec<ReviewCard>| {
        cards
            .into_iter()
            .find(|c| c.curriculum == curriculum_id && c.checkpoint == checkpoint_id)
    };
    let card = find(app.store.review_cards(&who.learner).await?).ok_or_else(no_card)?;
    match action.as_str() {
        "suspend" | "unsuspend" => {
            app.store
                .set_card_suspended(
                    &who.learner,
                    &curriculum_id,
                    &checkpoint_id,
                    action == "suspend",
                )
                .await?;
        }
        "reset" => {
            let fresh = review::reset(&from_row(&card), Utc::now());
            let row = ReviewCard {
                memory: None,
                due_at: fresh.due,
                last_review_at: None,
                reps: 0,
                lapses: 0,
                ..card
            };
            app.store.upsert_review_card(&row).await?;
        }
        other => {
            return Err(Error::NotFound(format!(
                "card action `{other}`: use suspend, unsuspend or reset"
            )));
        }
    }
    let card = find(app.store.review_cards(&who.learner).await?).ok_or_else(no_card)?;
    card_views(&app.catalog, std::slice::from_ref(&card))
        .pop()
        .map(Json)
        .ok_or_else(no_card)
}
