//! Builds the export's plain transcript from stored rows and renders it with
//! `klover_domain::export` (the blog-post layout lives there). [`transcript`] is the one
//! mapping from the store to `export::Transcript`: the HTTP route and `klover export`
//! both use it.

use chrono::{DateTime, Utc};
use klover_domain::engine::SessionState;
use klover_domain::export::{
    self, AhaMark, ExportError, ExportOptions, Role, Turn, VisitedConcept,
};
use klover_domain::{CheckpointId, ConceptId, Curriculum};
use klover_store::{
    LearnerId, SessionId, SessionKind, SessionRow, Store, StoredEvent, TurnRole, TurnStatus,
};

use crate::error::Error;
use crate::protocol::ServerEvent;
use crate::state::AppState;

/// Renders a session (already checked to be the caller's) with `options`; returns the
/// text and a suggested file name. A caller's mistake (an omitted turn the session does
/// not have, front matter with HTML) is a bad request naming it.
pub async fn render(
    app: &AppState,
    row: &SessionRow,
    options: &ExportOptions,
) -> Result<(String, String), Error> {
    // The version the session ran on (titles renamed since do not rewrite its post).
    let curr = crate::curricula::for_session(&app.store, &app.catalog, row).await?;
    let transcript = transcript(&app.store, &curr, &row.learner, &row.id).await?;
    let body = export::render(&transcript, options).map_err(|e| match e {
        ExportError::Template(e) => Error::Internal(format!("export template: {e}")),
        e => Error::BadRequest(e.to_string()),
    })?;
    Ok((body, export::suggested_file_name(&transcript, options)))
}

/// Events read from the log per query when exporting.
const EXPORT_PAGE: i64 = 500;

/// `learner`'s session as the export's transcript: its turns, the concept each was on,
/// aha marks, and the next review (the earliest due of the learner's cards on the
/// concepts the session visited). A store error (forbidden) when it is another learner's
/// session.
pub async fn transcript(
    store: &Store,
    curriculum: &Curriculum,
    learner: &LearnerId,
    session: &SessionId,
) -> Result<export::Transcript, Error> {
    let stored = store.load_transcript_for(learner, session).await?;
    // The log a page at a time (bounded queries, however long the session).
    let mut events = Vec::new();
    loop {
        let after = events
            .last()
            .map_or(0, |e: &klover_store::StoredEvent| e.seq);
        let page = store.events_page(session, after, EXPORT_PAGE).await?;
        let full = i64::try_from(page.len()).unwrap_or(i64::MAX) == EXPORT_PAGE;
        events.extend(page);
        if !full {
            break;
        }
    }
    let due: Vec<(CheckpointId, DateTime<Utc>)> = store
        .review_cards(learner)
        .await?
        .into_iter()
        .filter(|c| c.curriculum == stored.session.curriculum && !c.suspended)
        .map(|c| (c.checkpoint, c.due_at))
        .collect();
    Ok(to_transcript(curriculum, &stored, &events, &due))
}

/// Maps stored rows into the export's plain transcript. Each turn's concept comes from the
/// event log (`session` and `concept_advanced` events); a tutor turn that failed before
/// saying anything is left out. `due` is the learner's review schedule (checkpoint, due
/// time): the next review is the earliest on a concept the session visited.
pub fn to_transcript(
    curr: &Curriculum,
    stored: &klover_store::Transcript,
    events: &[StoredEvent],
    due: &[(CheckpointId, DateTime<Utc>)],
) -> export::Transcript {
    let concept_of = concepts_by_turn(events);
    let session = &stored.session;
    let mut current = concept_of
        .first()
        .map(|(_, c)| c.clone())
        .unwrap_or_else(|| session.current_concept.clone());
    let mut concepts: Vec<VisitedConcept> = Vec::new();
    let mut turns = Vec::new();
    for t in &stored.turns {
        if let Some((_, c)) = concept_of.iter().find(|(id, _)| id == t.turn.id.as_str()) {
            current = c.clone();
        }
        if t.turn.text.trim().is_empty() && t.turn.status != TurnStatus::Complete {
            continue;
        }
        if !concepts.iter().any(|v| v.id == current) {
            let title = curr
                .concept(&current)
                .map_or_else(|| current.to_string(), |c| c.title.clone());
            concepts.push(VisitedConcept {
                id: current.clone(),
                title,
            });
        }
        let aha = t
            .aha
            .iter()
            .filter_map(|a| {
                let id = a.checkpoint.clone()?;
                let (_, cp) = curr.checkpoint(&id)?;
                Some(AhaMark {
                    checkpoint: id,
                    note: cp.statement.clone(),
                })
            })
            .collect();
        turns.push(Turn {
            id: t.turn.id.to_string(),
            role: match t.turn.role {
                TurnRole::Learner => Role::Learner,
                TurnRole::Tutor => Role::Tutor,
            },
            text: t.turn.text.clone(),
            concept: current.clone(),
            aha,
        });
    }
    let next_review = due
        .iter()
        .filter(|(cp, _)| {
            curr.checkpoint(cp)
                .is_some_and(|(c, _)| concepts.iter().any(|v| v.id == c.id))
        })
        .map(|(_, at)| *at)
        .min();
    export::Transcript {
        curriculum_title: curr.title.clone(),
        description: curr.description.clone(),
        tags: curr.tags.clone(),
        code_language: curr.code_language.clone(),
        persona: "Klover".into(),
        concepts,
        turns,
        date: session.started_at.date_naive(),
        kind: match session.kind {
            SessionKind::Learn => export::SessionKind::FirstExposure,
            SessionKind::Review => export::SessionKind::Review,
        },
        ended_at: session.ended_at.unwrap_or(session.updated_at),
        next_review,
        open_misconceptions: open_at_end(curr, session.engine_state.as_deref()),
    }
}

/// The misconceptions the session's learner model still holds, from the engine state the
/// server last saved (none when there is no state or it no longer parses).
fn open_at_end(curr: &Curriculum, engine_state: Option<&str>) -> Vec<export::OpenMisconception> {
    engine_state
        .and_then(|json| serde_json::from_str::<SessionState>(json).ok())
        .map(|state| export::open_misconceptions(curr, &state.learner))
        .unwrap_or_default()
}

/// (turn id, concept) in log order: a turn is on the concept of the last `session` or
/// `concept_advanced` event before its ack.
fn concepts_by_turn(events: &[StoredEvent]) -> Vec<(String, ConceptId)> {
    let mut out = Vec::new();
    let mut current: Option<ConceptId> = None;
    for ev in events {
        let Ok(event) = serde_json::from_str::<ServerEvent>(&ev.payload) else {
            continue;
        };
        match event {
            ServerEvent::Session { concept, .. }
            | ServerEvent::ConceptAdvanced { to: concept, .. } => {
                current = ConceptId::parse(&concept).ok();
            }
            ServerEvent::LearnerAck { turn_id, .. } | ServerEvent::TutorDone { turn_id, .. } => {
                if let Some(c) = &current {
                    out.push((turn_id, c.clone()));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use klover_domain::engine;

    #[test]
    fn the_saved_engine_state_gives_the_misconceptions_still_open() {
        let curr = crate::builtin::reference_curriculum().unwrap();
        let at = ConceptId::parse("event-loop").unwrap();
        let (mut state, opening) = engine::start(&curr, Some(&at)).unwrap();
        let said =
            "the event loop runs all its tasks in parallel, thats how it keeps them all going";
        engine::offline_turn(&curr, &mut state, said, Some(&opening.offline_text)).unwrap();
        let json = serde_json::to_string(&state).unwrap();
        let open = open_at_end(&curr, Some(&json));
        assert_eq!(open.len(), 1, "{open:?}");
        assert_eq!(open[0].concept, at);
        assert!(open[0].belief.contains("in parallel"));
        assert!(open_at_end(&curr, None).is_empty());
        assert!(open_at_end(&curr, Some("not json")).is_empty());
    }
}
