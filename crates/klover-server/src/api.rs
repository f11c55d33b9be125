//! The learner-scoped JSON views the web client builds its pages from: the curricula with
//! the caller's mastery and coverage per concept (`GET /api/curricula`) and the caller's review cards due
//! now (`GET /api/review/due`) and review statistics (`GET /api/review/stats`). Checkpoint
//! statements are never included.

use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use klover_domain::Curriculum;
use klover_domain::curriculum::Concept;
use klover_domain::learner::{BktParams, CheckpointKnowledge, LearnerModel};
use klover_domain::review;
use klover_store::{LearnerId, ReviewCard, Store};
use serde::{Deserialize, Serialize};

use crate::auth::Identity;
use crate::catalog::{Catalog, CurriculumInfo};
use crate::error::Error;
use crate::state::AppState;

/// `GET /api/curricula`: ids, titles and concept graphs (no checkpoint texts), each
/// concept with the caller's `mastery`, `mastered` (on their own) and `covered` (mastered,
/// or closed with checkpoints the tutor had to state), and the caller's
/// `current_concept` (where a continued session opens).
pub async fn curricula(
    State(app): State<AppState>,
    who: Identity,
) -> Result<Json<Vec<CurriculumInfo>>, Error> {
    Ok(Json(
        curricula_for(&app.store, &app.catalog, &who.learner).await?,
    ))
}

/// The catalog's description with `learner`'s mastery and coverage filled in from the
/// stored learner model.
pub async fn curricula_for(
    store: &Store,
    catalog: &Catalog,
    learner: &LearnerId,
) -> Result<Vec<CurriculumInfo>, Error> {
    let mut list = catalog.describe();
    for info in &mut list {
        let Some(curriculum) = catalog.get(&info.id) else {
            continue;
        };
        let model = stored_model(store, learner, &curriculum).await?;
        let carried = crate::session::carried(store, learner, &curriculum).await?;
        if carried.last_concept.is_some() {
            let current = klover_domain::engine::current_concept(&curriculum, &carried);
            info.current_concept = current.map(|id| id.to_string());
        }
        for concept in &mut info.concepts {
            if let Some(c) = curriculum
                .concepts
                .iter()
                .find(|c| c.id.as_str() == concept.id)
            {
                concept.mastery = model.concept_mastery(c);
                concept.mastered = mastered(&model, c);
                concept.covered = covered(&model, c);
            }
        }
    }
    Ok(list)
}

/// The learner's stored P(known) per checkpoint, and whether the tutor had to state it, as
/// an engine learner model. A checkpoint with no evidence yet counts 0 (not the BKT prior):
/// an untouched concept shows 0.
async fn stored_model(
    store: &Store,
    learner: &LearnerId,
    curriculum: &Curriculum,
) -> Result<LearnerModel, Error> {
    let rows = store.learner_model(learner, &curriculum.id).await?;
    let mut model = LearnerModel::new(BktParams {
        p_init: 0.0,
        ..BktParams::default()
    });
    for row in rows.mastery {
        model.checkpoints.insert(
            row.checkpoint,
            CheckpointKnowledge {
                p_known: row.mastery.clamp(0.0, 1.0),
                evidence: None,
                stated_by_tutor: row.stated_by_tutor,
            },
        );
    }
    Ok(model)
}

/// The engine's rule: a concept is mastered when every checkpoint is
/// ([`klover_domain::learner::MASTERED`]). A checkpoint the tutor had to state does not
/// count as the learner's.
fn mastered(model: &LearnerModel, concept: &Concept) -> bool {
    !concept.checkpoints.is_empty() && concept.checkpoints.iter().all(|c| model.is_mastered(&c.id))
}

/// The engine's rule for moving on: every checkpoint is done, mastered by the learner or
/// stated by the tutor ([`LearnerModel::is_done`]). A mastered concept is covered too.
fn covered(model: &LearnerModel, concept: &Concept) -> bool {
    !concept.checkpoints.is_empty() && concept.checkpoints.iter().all(|c| model.is_done(&c.id))
}

/// Query of `GET /api/review/due`.
#[derive(Debug, Default, Deserialize)]
pub struct DueQuery {
    /// Only this curriculum's cards.
    pub curriculum: Option<String>,
}

/// `GET /api/review/due`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueReview {
    /// How many cards are due now (`due.len()`).
    pub count: usize,
    /// The cards due now, most overdue first.
    pub due: Vec<DueCard>,
    /// RFC 3339: when the next card not yet due comes due; `null` when none is waiting.
    pub next_due_at: Option<String>,
}

/// One due review card: which checkpoint, never its statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueCard {
    /// Curriculum id.
    pub curriculum: String,
    /// The checkpoint's concept id.
    pub concept: String,
    /// The concept's title.
    pub concept_title: String,
    /// Checkpoint id.
    pub checkpoint: String,
    /// RFC 3339.
    pub due_at: String,
}

/// `GET /api/review/due[?curriculum=ID]`: the caller's review cards due now, and when the
/// next one comes due.
pub async fn review_due(
    State(app): State<AppState>,
    who: Identity,
    Query(q): Query<DueQuery>,
) -> Result<Json<DueReview>, Error> {
    let cards = app.store.review_cards(&who.learner).await?;
    Ok(Json(due_review(
        &app.catalog,
        &cards,
        q.curriculum.as_deref(),
        Utc::now(),
    )))
}

/// The due list at `now` from a learner's cards (cards of curricula or checkpoints the
/// catalog no longer has are left out).
pub fn due_review(
    catalog: &Catalog,
    cards: &[ReviewCard],
    only: Option<&str>,
    now: DateTime<Utc>,
) -> DueReview {
    let mut due = Vec::new();
    let mut next: Option<DateTime<Utc>> = None;
    for card in cards {
        if only.is_some_and(|id| id != card.curriculum.as_str()) {
            continue;
        }
        let Some(curriculum) = catalog.get(card.curriculum.as_str()) else {
            continue;
        };
        let Some((concept, _)) = curriculum.checkpoint(&card.checkpoint) else {
            continue;
        };
        if card.suspended {
            continue;
        }
        if card.due_at > now {
            next = Some(next.map_or(card.due_at, |n| n.min(card.due_at)));
            continue;
        }
        due.push((
            card.due_at,
            DueCard {
                curriculum: card.curriculum.to_string(),
                concept: concept.id.to_string(),
                concept_title: concept.title.clone(),
                checkpoint: card.checkpoint.to_string(),
                due_at: card.due_at.to_rfc3339(),
            },
        ));
    }
    due.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.checkpoint.cmp(&b.1.checkpoint)));
    DueReview {
        count: due.len(),
        due: due.into_iter().map(|(_, c)| c).collect(),
        next_due_at: next.map(|t| t.to_rfc3339()),
    }
}

/// `GET /api/review/stats`: the caller's retention figures and how many reviews fall due
/// on each of the next 30 days (`klover review stats` prints the same).
#[derive(Debug, Serialize)]
pub struct ReviewStats {
    /// The caller's cards, and true retention over the last 30 days of the review log.
    #[serde(flatten)]
    pub retention: review::Retention,
    /// Reviews due per day: index 0 is today (with the overdue ones), then each next day.
    pub forecast: Vec<usize>,
}

/// `GET /api/review/stats`.
pub async fn review_stats(
    State(app): State<AppState>,
    who: Identity,
) -> Result<Json<ReviewStats>, Error> {
    let cards: Vec<review::Card> = app
        .store
        .review_cards(&who.learner)
        .await?
        .iter()
        .map(crate::review::from_row)
        .collect();
    let now = Utc::now();
    let log: Vec<review::Review> = app
        .store
        .review_log(
            &who.learner,
            now - chrono::Duration::days(review::RETENTION_DAYS),
        )
        .await?
        .iter()
        .map(crate::review::from_entry)
        .collect();
    Ok(Json(ReviewStats {
        retention: review::retention(&cards, &log, now),
        forecast: review::forecast(&cards, now, review::FORECAST_DAYS),
    }))
}
