//! The seed's learner lines replayed through the offline engine with the reference
//! curriculum, exported: the post has the seed's shape (intro, a heading per concept in
//! order, Me:/Klover: lines, aha callouts, footer) with the engine's own words.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use klover_domain::engine::{self, SessionState};
use klover_domain::export::{
    AhaMark, ExportOptions, Format, Role, SessionKind, Transcript, Turn, VisitedConcept,
    open_misconceptions, render,
};
use klover_domain::{ConceptId, Curriculum};

fn push(turns: &mut Vec<Turn>, role: Role, text: String, concept: &ConceptId) {
    turns.push(Turn {
        id: format!("t{}", turns.len() + 1),
        role,
        text,
        concept: concept.clone(),
        aha: Vec::new(),
    });
}

/// Replays the seed script turn by turn (as the server does), recording the transcript.
fn replayed_seed() -> (Curriculum, Transcript) {
    let script = std::fs::read_to_string(
        common::repo().join("crates/klover-domain/tests/scripts/seed-async-python.txt"),
    )
    .unwrap();
    replayed(&script)
}

/// Replays a script (learner lines, `@concept id` to jump) with the reference curriculum.
fn replayed(script: &str) -> (Curriculum, Transcript) {
    let c = common::async_python();
    let (mut state, opening): (SessionState, _) = engine::start(&c, None).unwrap();
    let mut turns: Vec<Turn> = Vec::new();
    let mut pending_opening = Some(opening.offline_text);
    let mut last_tutor = String::new();
    for line in script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        if let Some(id) = line.strip_prefix("@concept") {
            let id = ConceptId::parse(id.trim()).unwrap();
            if state.concept == id {
                continue; // already there: the session opened on it, or the engine advanced
            }
            pending_opening = Some(engine::jump(&c, &mut state, &id).unwrap().offline_text);
            continue;
        }
        if let Some(text) = pending_opening.take() {
            push(&mut turns, Role::Tutor, text.clone(), &state.concept);
            last_tutor = text;
        }
        let assessed_in = state.concept.clone();
        let outcome = engine::offline_turn(&c, &mut state, line, Some(&last_tutor)).unwrap();
        push(&mut turns, Role::Learner, line.to_owned(), &assessed_in);
        if let Some(cp) = outcome.aha.as_ref().and_then(|a| a.checkpoint.clone()) {
            let note = c.checkpoint(&cp).unwrap().1.statement.clone();
            turns.last_mut().unwrap().aha.push(AhaMark {
                checkpoint: cp,
                note,
            });
        }
        // The closing stays in the concept it closes; the next concept's opening is a
        // turn of its own, in the new section.
        push(
            &mut turns,
            Role::Tutor,
            outcome.offline_text.clone(),
            &assessed_in,
        );
        if let Some(next) = &outcome.next {
            push(
                &mut turns,
                Role::Tutor,
                next.offline_text.clone(),
                &state.concept,
            );
        }
        last_tutor = outcome.said_last().to_owned();
    }
    let mut concepts: Vec<VisitedConcept> = Vec::new();
    for t in &turns {
        if !concepts.iter().any(|v| v.id == t.concept) {
            let title = c.concept(&t.concept).unwrap().title.clone();
            concepts.push(VisitedConcept {
                id: t.concept.clone(),
                title,
            });
        }
    }
    let transcript = Transcript {
        curriculum_title: c.title.clone(),
        description: c.description.clone(),
        tags: c.tags.clone(),
        code_language: c.code_language.clone(),
        persona: "Klover".into(),
        concepts,
        turns,
        date: NaiveDate::from_ymd_opt(2026, 2, 3).unwrap(),
        kind: SessionKind::FirstExposure,
        ended_at: Utc.with_ymd_and_hms(2026, 2, 3, 18, 0, 0).unwrap(),
        next_review: Some(Utc.with_ymd_and_hms(2026, 2, 4, 18, 0, 0).unwrap()),
        open_misconceptions: open_misconceptions(&c, &state.learner),
    };
    (c, transcript)
}

#[test]
fn the_replayed_seed_exports_with_the_seeds_structure() {
    let (c, t) = replayed_seed();
    let md = render(&t, &ExportOptions::default()).unwrap();
    assert!(md.contains("In this session, we start from "), "{md}");
    let headings: Vec<&str> = md.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    let expected: Vec<&str> = c
        .ordered_concepts()
        .iter()
        .map(|k| k.title.as_str())
        .collect();
    assert_eq!(
        headings, expected,
        "one section per concept, in the path's order"
    );
    assert_eq!(md.lines().filter(|l| l.starts_with("**Me:** ")).count(), 11);
    assert!(md.lines().filter(|l| l.starts_with("**Klover:** ")).count() >= 11);
    let ahas = t.turns.iter().map(|x| x.aha.len()).sum::<usize>();
    assert!(ahas >= 3, "the seed's aha moments are detected");
    assert_eq!(md.matches("> 💡 **Aha moment:**").count(), ahas);
    assert!(md.ends_with(
        "*Session: Feb 3, 2026. First exposure — lots of new concepts. Review scheduled for tomorrow.*\n"
    ));
    assert!(
        md.contains(
            "\n```python\nasync def get_data():\n    async with httpx.AsyncClient() as client:\n        \
             response = await client.get(\"https://api.example.com/data\")  # async httpx\n    \
             return response.json()\n```\n"
        ),
        "the await example as a fenced Python block, indentation kept: {md}"
    );
    insta::assert_snapshot!("replayed_seed_markdown", md);
}

#[test]
fn the_replayed_seed_exports_as_a_well_formed_page() {
    let (_, t) = replayed_seed();
    let options = ExportOptions {
        format: Format::Html,
        ..ExportOptions::default()
    };
    let page = render(&t, &options).unwrap();
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&page, opts).unwrap();
    let learner_turns = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("turn learner"))
        .count();
    assert_eq!(learner_turns, 11);
    assert!(
        page.contains("    async with httpx.AsyncClient() as client:\n"),
        "the code keeps its indentation in the page"
    );
    insta::assert_snapshot!("replayed_seed_html", page);
}

#[test]
fn a_misconception_the_learner_left_with_is_marked_still_open_never_endorsed() {
    let (_, t) = replayed(
        "@concept event-loop\n\
         the event loop runs all its tasks in parallel, thats how it keeps them all going\n",
    );
    assert_eq!(
        t.open_misconceptions.len(),
        1,
        "{:?}",
        t.open_misconceptions
    );
    let md = render(&t, &ExportOptions::default()).unwrap();
    let section = md.split("## The event loop").nth(1).unwrap();
    let note = section
        .lines()
        .find(|l| l.starts_with("> ⚠️ **Still open:**"))
        .unwrap_or_else(|| panic!("a visible note in the concept's section: {md}"));
    assert!(
        note.contains("still believing \"The event loop runs its tasks at the same instant, in parallel\". That is wrong"),
        "the belief is named as wrong: {note}"
    );
    assert!(
        note.ends_with("Klover's correction: The loop only switches between tasks when one waits; at any instant exactly one task runs. It is concurrency, not parallelism."),
        "{note}"
    );
    let page = render(
        &t,
        &ExportOptions {
            format: Format::Html,
            ..ExportOptions::default()
        },
    )
    .unwrap();
    assert!(page.contains("<aside class=\"still-open\"><strong><svg class=\"icon\""));
    assert!(page.contains("</svg> Still open:</strong>"));
    assert!(!page.contains('⚠'), "no glyph that needs an emoji font");
}

#[test]
fn a_misconception_resolved_in_the_session_leaves_no_note() {
    let (_, t) = replayed(
        "@concept event-loop\n\
         the event loop runs all its tasks in parallel, thats how it keeps them all going\n\
         no wait, only one task runs at a time in the loop, it just swaps whenever one's waiting\n",
    );
    assert!(
        t.open_misconceptions.is_empty(),
        "{:?}",
        t.open_misconceptions
    );
    let md = render(&t, &ExportOptions::default()).unwrap();
    assert!(!md.contains("Still open"), "{md}");
}

#[test]
fn a_transition_is_two_tutor_turns_with_the_new_section_between_them() {
    let (c, t) = replayed_seed();
    let md = render(&t, &ExportOptions::default()).unwrap();
    let sections: Vec<&str> = md.split("\n## ").skip(1).collect();
    let mut transitions = 0;
    for pair in sections.windows(2) {
        let (closed, opened) = (pair[0], pair[1]);
        let title = opened.lines().next().unwrap();
        let concept = c.concepts.iter().find(|k| k.title == title).unwrap();
        let first = opened.lines().find(|l| !l.trim().is_empty() && *l != title);
        let question_starts = concept.opening_question.lines().next().unwrap();
        assert_eq!(
            first,
            Some(format!("**Klover:** {question_starts}").as_str()),
            "the new section opens with the opening question alone"
        );
        let closing = closed
            .lines()
            .rev()
            .find(|l| l.starts_with("**Klover:** "))
            .unwrap();
        // The engine closed the concept (the seed script jumps to the later ones): the
        // closing stays in the section it closes, the question is not in it.
        if closing.ends_with(&format!("Next: {title}.")) {
            transitions += 1;
            assert!(!closing.contains(&concept.opening_question), "{closing}");
        }
    }
    assert_eq!(
        transitions, 2,
        "the basics and I/O-bound vs CPU-bound close: {md}"
    );
}
