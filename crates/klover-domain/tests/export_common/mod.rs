//! Shared by the export tests: the seed conversation as a [`Transcript`], read from a copy
//! of `shared/seed/000_d81f72e6670a64cc.txt` kept beside the tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, NaiveDate, Utc};
use klover_domain::export::{AhaMark, Role, SessionKind, Transcript, Turn, VisitedConcept};
use klover_domain::{CheckpointId, ConceptId};

pub const SEED: &str = include_str!("../export_seed_session.txt");

/// Section headings of the seed, with the concept ids the reference curriculum uses.
pub const CONCEPTS: [(&str, &str); 6] = [
    ("sync-vs-async", "The basics"),
    ("io-vs-cpu-bound", "I/O-bound vs CPU-bound"),
    ("event-loop", "The event loop"),
    ("threads-and-processes", "Threads and processes"),
    ("threading-vs-async", "Threading vs async for I/O"),
    ("blocking-in-async", "The practical gotcha"),
];

/// Learner lines the seed's tutor greets as insights reached after probing.
const AHAS: [(&str, &str, &str); 3] = [
    (
        "They might take a long time",
        "io-leaves-cpu-idle",
        "During I/O the CPU has nothing to do: it just waits.",
    ),
    (
        "Everything else pauses.",
        "cpu-work-blocks-loop",
        "One CPU-bound task blocks the whole event loop.",
    ),
    (
        "So multiprocessing means",
        "process-has-own-gil",
        "Each process has its own interpreter and its own GIL: true parallelism.",
    ),
];

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// An RFC 3339 instant.
pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// The seed's dialogue: headings switch the concept, `Me:`/`Klover:` start turns, other
/// lines continue the turn before them. The intro and footer lines are left out.
pub fn seed_transcript() -> Transcript {
    let mut turns: Vec<Turn> = Vec::new();
    let mut concept: Option<ConceptId> = None;
    for line in SEED.lines() {
        if let Some((id, _)) = CONCEPTS.iter().find(|(_, title)| *title == line) {
            concept = Some(ConceptId::parse(id).unwrap());
            continue;
        }
        let Some(current) = concept.clone() else {
            continue;
        };
        if line.starts_with("Session: ") || line.starts_with("Top comments") {
            break;
        }
        let (role, text) = if let Some(t) = line.strip_prefix("Me: ") {
            (Some(Role::Learner), t)
        } else if let Some(t) = line.strip_prefix("Klover: ") {
            (Some(Role::Tutor), t)
        } else {
            (None, line)
        };
        match role {
            Some(role) => turns.push(Turn {
                id: format!("t{}", turns.len() + 1),
                role,
                text: text.to_owned(),
                concept: current,
                aha: Vec::new(),
            }),
            None => {
                let last = turns.last_mut().unwrap();
                last.text.push('\n');
                last.text.push_str(text);
            }
        }
    }
    for turn in &mut turns {
        if let Some((_, cp, note)) = AHAS
            .iter()
            .find(|(start, _, _)| turn.text.starts_with(start))
        {
            turn.aha.push(AhaMark {
                checkpoint: CheckpointId::parse(cp).unwrap(),
                note: (*note).to_owned(),
            });
        }
    }
    Transcript {
        curriculum_title: "Async Python".to_owned(),
        description: "Why async helps with waiting and not with computing, from the event loop to the GIL and blocking calls.".to_owned(),
        tags: vec!["python".into(), "async".into(), "concurrency".into(), "fastapi".into(), "gil".into()],
        code_language: Some("python".to_owned()),
        persona: "Klover".to_owned(),
        concepts: CONCEPTS
            .iter()
            .map(|(id, title)| VisitedConcept { id: ConceptId::parse(id).unwrap(), title: (*title).to_owned() })
            .collect(),
        turns,
        date: date("2026-02-03"),
        kind: SessionKind::FirstExposure,
        ended_at: at("2026-02-03T18:00:00Z"),
        next_review: Some(at("2026-02-04T18:00:00Z")),
        open_misconceptions: Vec::new(),
    }
}

/// Parses the HTML page as XML: a well-formed document or a test failure.
pub fn parse_page(page: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    match roxmltree::Document::parse_with_options(page, options) {
        Ok(doc) => doc,
        Err(e) => panic!("the page is not well-formed: {e}\n{page}"),
    }
}
