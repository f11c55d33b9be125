//! Whatever the learner types, the HTML page stays a well-formed document and shows it as
//! text: no element, attribute or link of theirs gets through.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod export_common;

use export_common::{parse_page, seed_transcript};
use klover_domain::export::{ExportOptions, Format, Role, render};

const HOSTILE: [&str; 6] = [
    "<img src=x onerror=alert(1)>",
    "</div></section><script>alert(1)</script>",
    "[click me](javascript:alert(1)) and ![x](javascript:alert(2))",
    "Tom & Jerry say \"hi\" & 'bye' <3",
    "<!-- comment --> &lt;b&gt; &amp; &#x3C;i&#x3E;",
    "```\n</code></pre><script>alert(3)</script>\n```",
];

fn hostile_page(author: Option<&str>) -> String {
    let mut t = seed_transcript();
    let learner: Vec<usize> = t
        .turns
        .iter()
        .enumerate()
        .filter(|(_, x)| x.role == Role::Learner)
        .map(|(i, _)| i)
        .collect();
    for (i, text) in learner.iter().zip(HOSTILE) {
        t.turns[*i].text = text.to_owned();
    }
    t.curriculum_title = "<b>Async</b>".to_owned();
    t.concepts[0].title = "<i>The basics</i>".to_owned();
    let options = ExportOptions {
        format: Format::Html,
        author: author.map(str::to_owned),
        ..ExportOptions::default()
    };
    render(&t, &options).unwrap()
}

#[test]
fn learner_html_is_shown_as_text_and_never_becomes_markup() {
    let page = hostile_page(Some("<script>alert('name')</script>"));
    let doc = parse_page(&page);
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(
            !["script", "img", "b", "i", "iframe"].contains(&name),
            "<{name}> got through:\n{page}"
        );
        for attr in node.attributes() {
            assert!(
                !attr.name().starts_with("on"),
                "event handler attribute got through:\n{page}"
            );
            assert!(
                !attr.value().to_ascii_lowercase().contains("javascript:"),
                "script URL got through:\n{page}"
            );
        }
    }
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(
        text.contains("<img src=x onerror=alert(1)>"),
        "the learner's words are shown as typed"
    );
    assert!(text.contains("</div></section><script>alert(1)</script>"));
    assert!(text.contains("Tom & Jerry say \"hi\" & 'bye' <3"));
    assert!(
        text.contains("<script>alert('name')</script>"),
        "the author name is text too"
    );
}

#[test]
fn the_page_structure_survives_hostile_input() {
    let page = hostile_page(None);
    let doc = parse_page(&page);
    let sections = doc
        .descendants()
        .filter(|n| n.has_tag_name("section"))
        .count();
    assert_eq!(sections, 6);
    let turns = doc
        .descendants()
        .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("turn ")))
        .count();
    assert_eq!(turns, 26);
    assert!(doc.descendants().any(|n| n.has_tag_name("footer")));
}

#[test]
fn markdown_escapes_learner_html_too() {
    let mut t = seed_transcript();
    t.turns[0].text = "<img src=x onerror=alert(1)>".to_owned();
    let md = render(&t, &ExportOptions::default()).unwrap();
    assert!(
        md.contains("**Me:** \\<img src=x onerror=alert(1)>"),
        "{md}"
    );
}
