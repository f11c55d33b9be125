//! The view model the templates render: the transcript turned into an intro, sections of
//! Markdown/HTML turns, a footer and front matter values.

use std::borrow::Cow;
use std::collections::HashMap;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use serde::Serialize;

use super::{
    ExportError, ExportOptions, FrontMatter, OpenMisconception, Role, SessionKind, Transcript,
    footer, message, slug,
};

/// What the templates see.
#[derive(Debug, Serialize)]
pub(super) struct Post {
    title: String,
    description: String,
    tags: Vec<String>,
    devto_tags: String,
    date: String,
    author: Option<String>,
    /// `# Title` at the top of the Markdown (when no front matter carries the title).
    show_title: bool,
    /// `*By NAME*` under the title (when no front matter field carries the author).
    show_byline: bool,
    intro: Vec<String>,
    sections: Vec<Section>,
    footer: String,
}

#[derive(Debug, Serialize)]
struct Section {
    title: String,
    turns: Vec<TurnView>,
    /// "Still open" notes (misconceptions the learner left with) as plain text (the HTML
    /// template escapes them).
    open: Vec<String>,
    /// The same notes escaped for Markdown.
    open_md: Vec<String>,
}

#[derive(Debug, Serialize)]
struct TurnView {
    learner: bool,
    markdown: String,
    html: String,
    /// Aha notes as plain text (the HTML template escapes them).
    aha: Vec<String>,
    /// The same notes escaped for Markdown.
    aha_md: Vec<String>,
}

/// Builds the view model, checking that every turn's concept is known.
pub(super) fn build(t: &Transcript, o: &ExportOptions) -> Result<Post, ExportError> {
    if t.turns.is_empty() {
        return Err(ExportError::Empty);
    }
    let kept = without_omitted(t, &o.omit)?;
    let t = kept.as_ref();
    let titles: HashMap<_, _> = t.concepts.iter().map(|c| (&c.id, &c.title)).collect();
    let mut sections: Vec<Section> = Vec::new();
    let mut current = None;
    let mut section_concepts = Vec::new();
    for (i, turn) in t.turns.iter().enumerate() {
        let title = titles
            .get(&turn.concept)
            .ok_or_else(|| ExportError::UnknownConcept {
                turn: i,
                concept: turn.concept.clone(),
            })?;
        if current != Some(&turn.concept) {
            current = Some(&turn.concept);
            sections.push(Section {
                title: (*title).clone(),
                turns: Vec::new(),
                open: Vec::new(),
                open_md: Vec::new(),
            });
            section_concepts.push(&turn.concept);
        }
        let speaker = match turn.role {
            Role::Learner => "Me",
            Role::Tutor => t.persona.as_str(),
        };
        let markdown = message::to_markdown(speaker, &turn.text, t.code_language.as_deref());
        let view = TurnView {
            learner: turn.role == Role::Learner,
            html: markdown_to_html(&markdown),
            markdown,
            aha: turn.aha.iter().map(|a| a.note.clone()).collect(),
            aha_md: turn
                .aha
                .iter()
                .map(|a| message::escape_inline(&a.note))
                .collect(),
        };
        if let Some(section) = sections.last_mut() {
            section.turns.push(view);
        }
    }
    for open in &t.open_misconceptions {
        let at = section_concepts
            .iter()
            .rposition(|c| *c == &open.concept)
            .unwrap_or(sections.len() - 1);
        let note = still_open(open, &t.persona);
        sections[at].open_md.push(message::escape_inline(&note));
        sections[at].open.push(note);
    }
    let path = path_sentence(t);
    let author = o.author.clone().filter(|a| !a.trim().is_empty());
    let carries_author = matches!(o.front_matter, FrontMatter::Hugo | FrontMatter::Jekyll);
    Ok(Post {
        title: title(t, o),
        description: if t.description.trim().is_empty() {
            path.clone()
        } else {
            t.description.trim().to_owned()
        },
        tags: t.tags.clone(),
        devto_tags: devto_tags(&t.tags),
        date: t.date.format("%Y-%m-%d").to_string(),
        show_byline: author.is_some() && !carries_author,
        author,
        show_title: o.front_matter == FrontMatter::None,
        intro: vec![opening(t), path],
        sections,
        footer: footer::footer(t),
    })
}

/// The transcript without the turns `omit` names; a concept left with no turn is no
/// longer among the visited ones. An id the transcript does not have is an error (a typo
/// must not export the turn it meant to hide).
fn without_omitted<'t>(
    t: &'t Transcript,
    omit: &[String],
) -> Result<Cow<'t, Transcript>, ExportError> {
    if omit.is_empty() {
        return Ok(Cow::Borrowed(t));
    }
    if let Some(unknown) = omit
        .iter()
        .find(|id| !t.turns.iter().any(|turn| &turn.id == *id))
    {
        return Err(ExportError::UnknownTurn(unknown.clone()));
    }
    let mut kept = t.clone();
    kept.turns.retain(|turn| !omit.contains(&turn.id));
    if kept.turns.is_empty() {
        return Err(ExportError::AllOmitted);
    }
    let turns = &kept.turns;
    kept.concepts
        .retain(|c| turns.iter().any(|turn| turn.concept == c.id));
    Ok(Cow::Owned(kept))
}

/// The post's title: the override, or one derived from the curriculum and session kind.
pub(super) fn title(t: &Transcript, o: &ExportOptions) -> String {
    match (&o.title, t.kind) {
        (Some(title), _) if !title.trim().is_empty() => title.trim().to_owned(),
        (_, SessionKind::FirstExposure) => {
            format!("{} — learning by explaining", t.curriculum_title)
        }
        (_, SessionKind::Review) => format!("{} — review", t.curriculum_title),
    }
}

/// The note for a misconception the learner left with: the belief is quoted as what I
/// still thought, called wrong in so many words, with the tutor's correction when one is
/// authored.
fn still_open(open: &OpenMisconception, persona: &str) -> String {
    let belief = open.belief.trim().trim_end_matches('.');
    let said = format!(
        "I ended the session still believing \"{belief}\". That is wrong, and we had not \
         settled it yet."
    );
    match open.correction.as_deref().map(str::trim) {
        Some(fix) if !fix.is_empty() => format!("{said} {persona}'s correction: {fix}"),
        _ => said,
    }
}

fn opening(t: &Transcript) -> String {
    let p = &t.persona;
    match t.kind {
        SessionKind::FirstExposure => format!(
            "This is a Socratic-style learning session between me and {p}, my AI tutor. \
             Instead of reading docs or watching tutorials, I learn by explaining concepts in \
             my own words and getting challenged on the gaps. The conversation format is the \
             point — it captures the actual \"aha\" moments as they happen."
        ),
        SessionKind::Review => format!(
            "This is a spaced-review session between me and {p}, my AI tutor. I explain again, \
             in my own words, what I learned before, and get challenged wherever it has faded."
        ),
    }
}

/// "In this session, we start from X and work our way through Y, Z, and W."
fn path_sentence(t: &Transcript) -> String {
    let names: Vec<String> = t.concepts.iter().map(|c| lower_first(&c.title)).collect();
    match (t.kind, names.split_first()) {
        (_, None) => "In this session, we talk it through.".to_owned(),
        (SessionKind::Review, Some(_)) => {
            format!("In this review, we revisit {}.", join_and(&names))
        }
        (SessionKind::FirstExposure, Some((first, []))) => {
            format!("In this session, we work through {first}.")
        }
        (SessionKind::FirstExposure, Some((first, rest))) => format!(
            "In this session, we start from {first} and work our way through {}.",
            join_and(rest)
        ),
    }
}

/// Lowercases a title's first letter for use mid-sentence, unless its first word is an
/// acronym or a name (`I/O-bound`, `GIL`, `FastAPI` stay as written).
fn lower_first(title: &str) -> String {
    let first_word = title.split_whitespace().next().unwrap_or("");
    let inner_caps = first_word.chars().skip(1).any(char::is_uppercase);
    let mut chars = title.chars();
    match chars.next() {
        Some(c) if !inner_caps => c.to_lowercase().chain(chars).collect(),
        _ => title.to_owned(),
    }
}

/// "a", "a and b", "a, b, and c".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

/// dev.to tags: at most four, lowercase letters and digits only, comma-separated.
fn devto_tags(tags: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let clean: String = slug(tag)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        if !clean.is_empty() && clean != "session" && !out.contains(&clean) {
            out.push(clean);
        }
    }
    out.truncate(4);
    out.join(", ")
}

/// Markdown to an HTML fragment. Raw HTML is turned into text, images into their alt
/// text, link targets other than http(s)/mailto into `#`, and a code block's language
/// must be a plain name, so no message can inject markup, script or a remote load.
fn markdown_to_html(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).filter_map(|event| {
        Some(match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => return None,
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let plain = info
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.' | '#'));
                let info = if plain { info } else { CowStr::Borrowed("") };
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: safe_url(dest_url),
                title,
                id,
            }),
            other => other,
        })
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let allowed = ["http://", "https://", "mailto:"]
        .iter()
        .any(|p| lower.starts_with(p));
    if allowed { url } else { CowStr::Borrowed("#") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_lowercased_mid_sentence_unless_acronyms() {
        assert_eq!(lower_first("The event loop"), "the event loop");
        assert_eq!(
            lower_first("I/O-bound vs CPU-bound"),
            "I/O-bound vs CPU-bound"
        );
        assert_eq!(lower_first("GIL and threads"), "GIL and threads");
        assert_eq!(lower_first("FastAPI pitfalls"), "FastAPI pitfalls");
    }

    #[test]
    fn lists_are_joined_with_an_oxford_comma() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(join_and(&s(&["a"])), "a");
        assert_eq!(join_and(&s(&["a", "b"])), "a and b");
        assert_eq!(join_and(&s(&["a", "b", "c"])), "a, b, and c");
    }

    #[test]
    fn devto_keeps_four_clean_tags() {
        let tags: Vec<String> = ["Python", "async-io", "concurrency", "python", "web", "gil"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(devto_tags(&tags), "python, asyncio, concurrency, web");
    }

    #[test]
    fn raw_html_and_script_links_do_not_survive_html_rendering() {
        let html = markdown_to_html("<script>x</script>\n\n[a](javascript:alert(1)) <b>hi</b>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }
}
