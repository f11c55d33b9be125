//! Each front-matter target parses (YAML for dev.to and Jekyll, TOML for Hugo) and carries
//! the fields its platform needs; the learner's name appears only with `author`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod export_common;

use export_common::seed_transcript;
use klover_domain::export::{ExportOptions, Format, FrontMatter, render, suggested_file_name};

fn options(front_matter: FrontMatter, author: Option<&str>) -> ExportOptions {
    ExportOptions {
        front_matter,
        author: author.map(str::to_owned),
        ..ExportOptions::default()
    }
}

/// Splits `---\n<yaml>\n---\n` (or `+++` for TOML) off the post.
fn split(post: &str, fence: &str) -> (String, String) {
    let rest = post
        .strip_prefix(&format!("{fence}\n"))
        .expect("front matter opens the post");
    let end = rest
        .find(&format!("\n{fence}\n"))
        .expect("front matter is closed");
    (
        rest[..end].to_owned(),
        rest[end + fence.len() + 2..].to_owned(),
    )
}

#[test]
fn devto_front_matter_is_yaml_with_title_unpublished_description_and_four_tags() {
    let post = render(&seed_transcript(), &options(FrontMatter::Devto, None)).unwrap();
    let (yaml, body) = split(&post, "---");
    let fm: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
    assert_eq!(
        fm["title"].as_str(),
        Some("Async Python — learning by explaining")
    );
    assert_eq!(fm["published"].as_bool(), Some(false));
    assert!(
        fm["description"]
            .as_str()
            .unwrap()
            .starts_with("Why async helps")
    );
    let tags: Vec<&str> = fm["tags"].as_str().unwrap().split(", ").collect();
    assert_eq!(
        tags,
        ["python", "async", "concurrency", "fastapi"],
        "the fixture has five tags; dev.to takes four"
    );
    assert!(
        body.starts_with("\nThis is a Socratic-style"),
        "no second title in the body: {body}"
    );
}

#[test]
fn hugo_front_matter_is_toml_with_title_date_draft_and_tags() {
    let post = render(&seed_transcript(), &options(FrontMatter::Hugo, None)).unwrap();
    let (text, _) = split(&post, "+++");
    let fm: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        fm["title"].as_str(),
        Some("Async Python — learning by explaining")
    );
    assert_eq!(
        fm["date"].as_datetime().map(|d| d.to_string()).as_deref(),
        Some("2026-02-03")
    );
    assert_eq!(fm["draft"].as_bool(), Some(true));
    assert_eq!(fm["tags"].as_array().unwrap().len(), 5);
    assert!(!fm.contains_key("author"));
}

#[test]
fn jekyll_front_matter_is_yaml_with_layout_title_date_and_tags() {
    let post = render(&seed_transcript(), &options(FrontMatter::Jekyll, None)).unwrap();
    let (yaml, _) = split(&post, "---");
    let fm: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
    assert_eq!(fm["layout"].as_str(), Some("post"));
    assert_eq!(
        fm["title"].as_str(),
        Some("Async Python — learning by explaining")
    );
    assert_eq!(fm["date"].as_str(), Some("2026-02-03"));
    assert_eq!(fm["tags"][0].as_str(), Some("python"));
    assert!(fm.get("author").is_none());
}

#[test]
fn quotes_and_colons_in_titles_keep_the_front_matter_valid() {
    let mut t = seed_transcript();
    t.curriculum_title = "Async: \"why\" it's \\ faster # sometimes".to_owned();
    for fm in [FrontMatter::Devto, FrontMatter::Jekyll] {
        let (yaml, _) = split(&render(&t, &options(fm, None)).unwrap(), "---");
        let v: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(
            v["title"].as_str(),
            Some("Async: \"why\" it's \\ faster # sometimes — learning by explaining")
        );
    }
    let (text, _) = split(
        &render(&t, &options(FrontMatter::Hugo, None)).unwrap(),
        "+++",
    );
    let v: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        v["title"].as_str(),
        Some("Async: \"why\" it's \\ faster # sometimes — learning by explaining")
    );
}

#[test]
fn the_author_appears_only_when_asked_for() {
    let t = seed_transcript();
    for fm in [
        FrontMatter::None,
        FrontMatter::Devto,
        FrontMatter::Hugo,
        FrontMatter::Jekyll,
    ] {
        let anonymous = render(&t, &options(fm, None)).unwrap();
        assert!(
            !anonymous.contains("Ada Lovelace") && !anonymous.contains("By "),
            "{fm:?}"
        );
        let signed = render(&t, &options(fm, Some("Ada Lovelace"))).unwrap();
        assert!(signed.contains("Ada Lovelace"), "{fm:?}");
    }
    let (yaml, _) = split(
        &render(&t, &options(FrontMatter::Jekyll, Some("Ada Lovelace"))).unwrap(),
        "---",
    );
    let v: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
    assert_eq!(v["author"].as_str(), Some("Ada Lovelace"));
    let html_opts = ExportOptions {
        format: Format::Html,
        ..options(FrontMatter::None, None)
    };
    assert!(!render(&t, &html_opts).unwrap().contains("class=\"byline\""));
}

#[test]
fn the_suggested_file_name_is_date_and_slug() {
    let t = seed_transcript();
    assert_eq!(
        suggested_file_name(&t, &ExportOptions::default()),
        "2026-02-03-async-python-learning-by-explaining.md"
    );
    let html = ExportOptions {
        format: Format::Html,
        title: Some("Async, the GIL & me".into()),
        ..ExportOptions::default()
    };
    assert_eq!(
        suggested_file_name(&t, &html),
        "2026-02-03-async-the-gil-me.html"
    );
}
