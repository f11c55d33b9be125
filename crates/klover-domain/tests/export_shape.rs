//! What the writer can shape: turns left out with `omit` (an off-topic exchange), front
//! matter refused for an HTML page, aha and "still open" marks drawn as inline SVG (no
//! emoji font needed), and the footer's next review said truthfully from the schedule.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod export_common;

use export_common::{at, seed_transcript};
use klover_domain::export::{
    ExportError, ExportOptions, Format, FrontMatter, OpenMisconception, render,
};

fn omitting(ids: &[&str]) -> ExportOptions {
    ExportOptions {
        omit: ids.iter().map(|s| (*s).to_owned()).collect(),
        ..ExportOptions::default()
    }
}

#[test]
fn an_omitted_turn_is_left_out_and_the_rest_keep_their_sections() {
    let t = seed_transcript();
    let third = t
        .turns
        .iter()
        .find(|x| x.text.starts_with("They might take a long time"))
        .unwrap();
    let md = render(&t, &omitting(&[&third.id])).unwrap();
    assert!(!md.contains("They might take a long time"), "{md}");
    assert!(
        !md.contains("During I/O the CPU has nothing to do"),
        "its aha callout goes with it"
    );
    assert_eq!(md.matches("**Me:** ").count(), 10);
    assert_eq!(md.lines().filter(|l| l.starts_with("## ")).count(), 6);
}

#[test]
fn a_concept_whose_turns_are_all_omitted_loses_its_section_and_its_place_in_the_intro() {
    let t = seed_transcript();
    let last: Vec<&str> = t
        .turns
        .iter()
        .filter(|x| x.concept.as_str() == "blocking-in-async")
        .map(|x| x.id.as_str())
        .collect();
    assert!(!last.is_empty());
    let md = render(&t, &omitting(&last)).unwrap();
    assert!(!md.contains("## The practical gotcha"), "{md}");
    assert!(
        !md.contains("practical gotcha"),
        "not in the path sentence either: {md}"
    );
    assert!(md.contains("## Threading vs async for I/O"));
}

#[test]
fn omitting_a_turn_the_session_does_not_have_is_an_error_not_a_silent_export() {
    let t = seed_transcript();
    match render(&t, &omitting(&["t1", "no-such-turn"])) {
        Err(ExportError::UnknownTurn(id)) => assert_eq!(id, "no-such-turn"),
        other => panic!("expected UnknownTurn, got {other:?}"),
    }
    let all: Vec<&str> = t.turns.iter().map(|x| x.id.as_str()).collect();
    assert!(matches!(
        render(&t, &omitting(&all)),
        Err(ExportError::AllOmitted)
    ));
}

#[test]
fn front_matter_with_html_is_refused_with_a_clear_error() {
    for front_matter in [FrontMatter::Devto, FrontMatter::Hugo, FrontMatter::Jekyll] {
        let options = ExportOptions {
            format: Format::Html,
            front_matter,
            ..ExportOptions::default()
        };
        let err = render(&seed_transcript(), &options).unwrap_err();
        assert!(matches!(err, ExportError::FrontMatterWithHtml));
        assert!(
            err.to_string().contains("front matter is for Markdown"),
            "{err}"
        );
    }
}

#[test]
fn the_html_marks_are_inline_svg_not_emoji_that_need_a_font() {
    let mut t = seed_transcript();
    t.open_misconceptions.push(OpenMisconception {
        concept: t.concepts[2].id.clone(),
        belief: "The loop runs tasks in parallel".into(),
        correction: None,
    });
    let options = ExportOptions {
        format: Format::Html,
        ..ExportOptions::default()
    };
    let page = render(&t, &options).unwrap();
    let doc = export_common::parse_page(&page);
    for class in ["aha", "still-open"] {
        let asides: Vec<_> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some(class))
            .collect();
        assert!(!asides.is_empty(), "{class}");
        for aside in asides {
            let svg = aside.descendants().find(|n| n.has_tag_name("svg"));
            assert!(
                svg.is_some_and(|s| s.attribute("aria-hidden") == Some("true")),
                "{class} draws its mark as a decorative SVG"
            );
        }
    }
    assert!(
        !page.chars().any(|c| matches!(c, '💡' | '⚠' | '\u{fe0f}')),
        "no emoji in the page"
    );
}

#[test]
fn the_footer_says_hours_when_the_next_review_is_later_the_same_day() {
    let mut t = seed_transcript();
    t.ended_at = at("2026-02-03T10:00:00Z");
    t.next_review = Some(at("2026-02-03T15:00:00Z"));
    let md = render(&t, &ExportOptions::default()).unwrap();
    assert!(
        md.ends_with("First exposure — lots of new concepts. Review scheduled in 5 hours.*\n"),
        "{md}"
    );
    t.next_review = Some(at("2026-02-03T09:00:00Z"));
    let md = render(&t, &ExportOptions::default()).unwrap();
    assert!(md.ends_with("Review due now.*\n"), "{md}");
}
