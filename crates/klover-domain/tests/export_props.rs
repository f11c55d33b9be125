//! Properties of the export over arbitrary messages: it always renders, the HTML page is
//! always a well-formed document holding only the page's own elements, and every learner
//! character that is not markup survives as text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod export_common;

use export_common::{parse_page, seed_transcript};
use klover_domain::export::{ExportOptions, Format, FrontMatter, Role, render};
use proptest::prelude::*;

/// Elements the page template and Markdown rendering may produce.
const ALLOWED: [&str; 30] = [
    "html", "head", "meta", "title", "style", "body", "article", "header", "h1", "p", "section",
    "h2", "div", "strong", "em", "ul", "ol", "li", "pre", "code", "a", "aside", "footer", "br",
    "hr", "del", // and the aha and "still open" marks, drawn as inline SVG:
    "svg", "path", "rect", "circle",
];

/// Messages mixing prose, Markdown and HTML syntax, code-looking lines and any character.
fn message() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z ]{1,12}",
        Just("<script>alert(1)</script>".to_owned()),
        Just("<img src=x onerror=alert(1)>".to_owned()),
        Just("```".to_owned()),
        Just("`".to_owned()),
        Just("\n".to_owned()),
        Just("\n- ".to_owned()),
        Just("\n# ".to_owned()),
        Just("\nasync def f():\nreturn x\n".to_owned()),
        Just("[x](javascript:alert(1))".to_owned()),
        Just("![i](http://e.x/i.png)".to_owned()),
        Just("&amp; &lt; & \" '".to_owned()),
        Just("</div></section>".to_owned()),
        Just("*_~|>=".to_owned()),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_learner_text_gives_a_well_formed_page_of_our_own_elements(texts in prop::collection::vec(message(), 1..4)) {
        let mut t = seed_transcript();
        let learner: Vec<usize> = t.turns.iter().enumerate().filter(|(_, x)| x.role == Role::Learner).map(|(i, _)| i).collect();
        for (i, text) in learner.iter().zip(&texts) {
            t.turns[*i].text = text.clone();
        }
        let options = ExportOptions { format: Format::Html, ..ExportOptions::default() };
        let page = render(&t, &options).unwrap();
        let doc = parse_page(&page);
        for node in doc.descendants().filter(|n| n.is_element()) {
            let name = node.tag_name().name();
            prop_assert!(ALLOWED.contains(&name), "<{}> in the page", name);
            for attr in node.attributes() {
                prop_assert!(!attr.name().starts_with("on"));
                prop_assert!(!attr.value().to_ascii_lowercase().contains("javascript:"));
            }
        }
    }

    #[test]
    fn any_learner_text_renders_in_every_markdown_target(text in message()) {
        let mut t = seed_transcript();
        t.turns[0].text = text;
        for front_matter in [FrontMatter::None, FrontMatter::Devto, FrontMatter::Hugo, FrontMatter::Jekyll] {
            let md = render(&t, &ExportOptions { front_matter, ..ExportOptions::default() }).unwrap();
            prop_assert!(md.contains("## The practical gotcha"));
            prop_assert!(md.ends_with("Review scheduled for tomorrow.*\n"));
        }
    }
}
