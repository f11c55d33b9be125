//! The export of the seed session reads like the seed: intro, a heading per concept in
//! order, `Me:`/`Klover:` lines, the await example as fenced Python, aha callouts, footer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod export_common;

use export_common::{CONCEPTS, seed_transcript};
use klover_domain::export::{ExportOptions, Format, Role, render};

fn markdown() -> String {
    render(&seed_transcript(), &ExportOptions::default()).unwrap()
}

fn html() -> String {
    let options = ExportOptions {
        format: Format::Html,
        ..ExportOptions::default()
    };
    render(&seed_transcript(), &options).unwrap()
}

#[test]
fn the_seed_transcript_fixture_has_every_turn_of_the_seed() {
    let t = seed_transcript();
    let learner = t.turns.iter().filter(|x| x.role == Role::Learner).count();
    assert_eq!(learner, 11);
    assert_eq!(t.turns.len(), 26);
}

#[test]
fn markdown_opens_with_the_intro_and_the_path_through_the_concepts() {
    let md = markdown();
    assert!(md.starts_with("# Async Python — learning by explaining\n\nThis is a Socratic-style learning session between me and Klover"), "{md}");
    assert!(md.contains(
        "In this session, we start from the basics and work our way through I/O-bound vs \
         CPU-bound, the event loop, threads and processes, threading vs async for I/O, and the \
         practical gotcha."
    ));
}

#[test]
fn markdown_has_one_heading_per_concept_in_order() {
    let md = markdown();
    let headings: Vec<&str> = md.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    let titles: Vec<&str> = CONCEPTS.iter().map(|(_, t)| *t).collect();
    assert_eq!(headings, titles);
}

#[test]
fn markdown_has_a_speaker_line_per_turn() {
    let md = markdown();
    assert_eq!(md.lines().filter(|l| l.starts_with("**Me:** ")).count(), 11);
    assert_eq!(
        md.lines().filter(|l| l.starts_with("**Klover:** ")).count(),
        15
    );
}

#[test]
fn the_await_example_is_fenced_python_with_its_indentation_restored() {
    let md = markdown();
    let expected = "```python\nasync def get_data():\n    async with httpx.AsyncClient() as client:\n        response = await client.get(\"https://api.example.com/data\") # async httpx\n        return response.json()\n```";
    assert!(md.contains(expected), "{md}");
    assert!(md.contains("```python\nasync def get_data():\n    response = requests.get("));
    assert_eq!(md.matches("```python").count(), 2);
}

#[test]
fn lists_stay_markdown_lists() {
    let md = markdown();
    assert!(md.contains("There are two types of \"slow\" tasks:\n\n- I/O-bound — waiting on something external (network, disk, database)\n- CPU-bound"));
    assert!(md.contains("- CPU-bound → neither helps, use multiprocessing\n\n"));
}

#[test]
fn aha_moments_are_marked_after_the_learner_turn() {
    let md = markdown();
    assert_eq!(md.matches("> 💡 **Aha moment:**").count(), 3);
    assert!(md.contains("**Me:** Everything else pauses.\n\n> 💡 **Aha moment:** One CPU-bound task blocks the whole event loop."));
}

#[test]
fn the_footer_says_what_the_seed_says() {
    let md = markdown();
    assert!(md.ends_with("---\n\n*Session: Feb 3, 2026. First exposure — lots of new concepts. Review scheduled for tomorrow.*\n"), "{md}");
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("seed_markdown", markdown());
}

#[test]
fn html_is_a_well_formed_page_with_the_same_structure() {
    let page = html();
    let doc = export_common::parse_page(&page);
    let count = |name: &str, class: Option<&str>| {
        doc.descendants()
            .filter(|n| {
                n.has_tag_name(name) && class.is_none_or(|c| n.attribute("class") == Some(c))
            })
            .count()
    };
    let h2: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("h2"))
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        h2,
        CONCEPTS
            .iter()
            .map(|(_, t)| t.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(count("div", Some("turn learner")), 11);
    assert_eq!(count("div", Some("turn tutor")), 15);
    assert_eq!(count("aside", Some("aha")), 3);
    assert_eq!(count("code", Some("language-python")), 2);
    let footer = doc
        .descendants()
        .find(|n| n.has_tag_name("footer"))
        .unwrap();
    let text: String = footer.descendants().filter_map(|n| n.text()).collect();
    assert!(text.contains("Review scheduled for tomorrow."));
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!("seed_html", html());
}

#[test]
fn an_open_misconception_is_noted_after_its_own_concepts_section_not_the_last_one() {
    let mut t = seed_transcript();
    t.open_misconceptions
        .push(klover_domain::export::OpenMisconception {
            concept: klover_domain::ConceptId::parse("event-loop").unwrap(),
            belief: "The event loop runs its tasks at the same instant, in parallel.".into(),
            correction: None,
        });
    let md = render(&t, &ExportOptions::default()).unwrap();
    let note = md
        .find("> ⚠️ **Still open:** I ended the session still believing")
        .unwrap();
    let event_loop = md.find("## The event loop").unwrap();
    let next = md.find("## Threads and processes").unwrap();
    assert!(event_loop < note && note < next, "{md}");
    assert!(md[note..next].contains("That is wrong, and we had not settled it yet."));
}
