//! Builds the export's plain transcript from stored rows and renders it with
//! `klover_domain::export` (the blog-post layout lives there).

use std::collections::HashMap;

use klover_domain::export::{self, AhaMark, ExportOptions, Format, Role, Turn, VisitedConcept};
use klover_domain::ids::ConceptId;
use klover_store::{SessionKind, SessionRow, TurnRole};

use crate::error::Error;
use crate::protocol::ServerEvent;
use crate::state::AppState;

/// Renders a session (already checked to be the caller's) as Markdown or HTML; returns
/// the text and a suggested file name.
pub async fn render(
    app: &AppState,
    row: &SessionRow,
    html: bool,
) -> Result<(String, String), Error> {
    let curr = app
        .catalog
        .get(row.curriculum.as_str())
        .ok_or_else(|| Error::NotFound(format!("curriculum `{}`", row.curriculum)))?;
    let stored = app.store.load_transcript(&row.id).await?;
    let concept_of = concepts_by_turn(app, row).await?;
    let mut concepts: Vec<VisitedConcept> = Vec::new();
    let mut turns = Vec::new();
    let mut current = row.current_concept.clone();
    for t in &stored.turns {
        if let Some(c) = concept_of.get(t.turn.id.as_str()) {
            current = c.clone();
        }
        if !concepts.iter().any(|v| v.id == current) {
            let title = curr
                .concept(&current)
                .map(|c| c.title.clone())
                .unwrap_or_default();
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
                let note = curr.checkpoint(&id).map(|(_, c)| c.statement.clone())?;
                Some(AhaMark {
                    checkpoint: id,
                    note,
                })
            })
            .collect();
        turns.push(Turn {
            role: match t.turn.role {
                TurnRole::Learner => Role::Learner,
                TurnRole::Tutor => Role::Tutor,
            },
            text: t.turn.text.clone(),
            concept: current.clone(),
            aha,
        });
    }
    let transcript = export::Transcript {
        curriculum_title: curr.title.clone(),
        description: curr.description.clone(),
        tags: curr.tags.clone(),
        code_language: curr.code_language.clone(),
        persona: "Klover".into(),
        concepts,
        turns,
        date: row.started_at.date_naive(),
        kind: match row.kind {
            SessionKind::Learn => export::SessionKind::FirstExposure,
            SessionKind::Review => export::SessionKind::Review,
        },
        next_review: None,
    };
    let options = ExportOptions {
        format: if html { Format::Html } else { Format::Markdown },
        ..ExportOptions::default()
    };
    let body =
        export::render(&transcript, &options).map_err(|e| Error::BadRequest(e.to_string()))?;
    Ok((body, export::suggested_file_name(&transcript, &options)))
}

/// The concept each turn was on, from the event log: the session's first concept, then
/// each `concept_advanced` from the next turn on.
async fn concepts_by_turn(
    app: &AppState,
    row: &SessionRow,
) -> Result<HashMap<String, ConceptId>, Error> {
    let mut map = HashMap::new();
    let mut current: Option<ConceptId> = None;
    for ev in app.store.events_since(&row.id, 0).await? {
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
                    map.insert(turn_id, c.clone());
                }
            }
            _ => {}
        }
    }
    Ok(map)
}
