//! Blog-post export of a session: Markdown (with dev.to, Hugo or Jekyll front matter) and
//! a standalone HTML page, laid out like the reference conversation in `shared/seed/`.
//!
//! The input is a plain [`Transcript`] built by the caller (the CLI maps store rows into
//! it, the server does the same for `GET /api/sessions/:id/export`), so this module knows
//! nothing about storage. [`render`] is pure: the same transcript and options always give
//! the same text.
//!
//! Layout: an intro (what the session was, and the path "we start from … and work our
//! way through …"), one section per run of turns on a concept with the concept's title as
//! heading, `**Me:**` / `**<persona>:**` paragraphs, lists and code kept as Markdown (code
//! pasted flat inside a message is detected, fenced and re-indented — see [`message`]),
//! aha moments as a callout (an inline SVG bulb in HTML, so no emoji font is needed), a "Still open" note after a concept whose misconception the
//! learner left with (see [`OpenMisconception`]), and a footer ("Session: Feb 3, 2026. First exposure — lots of
//! new concepts. Review scheduled for tomorrow."). The learner's name appears only when
//! [`ExportOptions::author`] is set. [`ExportOptions::omit`] leaves chosen turns out.

mod footer;
pub mod message;
mod view;

use chrono::{DateTime, NaiveDate, Utc};
use minijinja::{AutoEscape, Environment, Value};
use serde::{Deserialize, Serialize};

use crate::ids::{CheckpointId, ConceptId};

/// A finished (or paused) session, as the export needs it. Built by the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// The curriculum's title (`Async Python`).
    pub curriculum_title: String,
    /// The curriculum's description, used for the front matter's description.
    pub description: String,
    /// Curriculum tags (dev.to keeps the first four).
    pub tags: Vec<String>,
    /// Language of code blocks when a message does not say (`python`).
    pub code_language: Option<String>,
    /// The tutor's name in `<persona>:` lines (`Klover`).
    pub persona: String,
    /// Concepts visited, in the order they were first visited, with their titles.
    pub concepts: Vec<VisitedConcept>,
    /// Every turn, in order.
    pub turns: Vec<Turn>,
    /// The day the session took place.
    pub date: NaiveDate,
    /// First exposure or review.
    pub kind: SessionKind,
    /// When the session ended (or, for one still going, its last activity): the footer
    /// says when the next review is as seen from here.
    pub ended_at: DateTime<Utc>,
    /// The next review of what the session covered (the earliest due of those review
    /// cards), if one is scheduled.
    pub next_review: Option<DateTime<Utc>>,
    /// Misconceptions the learner still held when the session ended (or was exported):
    /// each gets a visible "Still open" note after its concept's section, so the post
    /// never keeps a wrong claim as if it were endorsed.
    #[serde(default)]
    pub open_misconceptions: Vec<OpenMisconception>,
}

/// A misconception still open (the learner model has it active) at the end of the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenMisconception {
    /// The concept it belongs to: the note goes after that concept's (last) section.
    pub concept: ConceptId,
    /// The wrong belief, stated plainly (the curriculum's `belief`).
    pub belief: String,
    /// The authored correction, if any.
    pub correction: Option<String>,
}

/// A concept the session visited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitedConcept {
    /// Concept id, as the turns refer to it.
    pub id: ConceptId,
    /// Section heading (`The event loop`).
    pub title: String,
}

/// Who spoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The learner ("Me:").
    Learner,
    /// The tutor ("Klover:").
    Tutor,
}

/// One message of the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// The stored turn id, which [`ExportOptions::omit`] names (empty when the caller has
    /// none, as in hand-built transcripts).
    #[serde(default)]
    pub id: String,
    /// Who spoke.
    pub role: Role,
    /// The message as sent (plain text; lists and code may be inside).
    pub text: String,
    /// The concept the session was on at this turn.
    pub concept: ConceptId,
    /// Aha moments this (learner) turn showed.
    pub aha: Vec<AhaMark>,
}

/// An aha moment shown in a turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AhaMark {
    /// The checkpoint the learner reached.
    pub checkpoint: CheckpointId,
    /// What the learner got, in one line (usually the checkpoint's statement).
    pub note: String,
}

/// Whether the session met its concepts for the first time or reviewed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// A learning session: the concepts were new.
    FirstExposure,
    /// A spaced-review session.
    Review,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Markdown, optionally with front matter.
    Markdown,
    /// A standalone HTML page.
    Html,
}

/// Front matter for Markdown, per publishing target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrontMatter {
    /// No front matter: the post starts with a `# Title` heading.
    #[default]
    None,
    /// dev.to: YAML with title, `published: false`, description, at most four tags.
    Devto,
    /// Hugo: TOML (`+++`) with title, date, draft, tags.
    Hugo,
    /// Jekyll: YAML with layout, title, date, tags.
    Jekyll,
}

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportOptions {
    /// Markdown or HTML.
    pub format: Format,
    /// Front matter target (Markdown only: with HTML anything but `None` is refused with
    /// [`ExportError::FrontMatterWithHtml`]).
    pub front_matter: FrontMatter,
    /// Byline; the learner's name appears nowhere unless it is given here.
    pub author: Option<String>,
    /// Title override; by default it is derived from the curriculum title.
    pub title: Option<String>,
    /// Turn ids ([`Turn::id`]) to leave out (an off-topic exchange); a concept left with no
    /// turn loses its section and its place in the intro.
    #[serde(default)]
    pub omit: Vec<String>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            format: Format::Markdown,
            front_matter: FrontMatter::None,
            author: None,
            title: None,
            omit: Vec::new(),
        }
    }
}

/// Why a transcript could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A turn names a concept that is not in [`Transcript::concepts`].
    #[error("turn {turn} is on concept `{concept}`, which is not among the visited concepts")]
    UnknownConcept {
        /// Index of the turn.
        turn: usize,
        /// The concept it names.
        concept: ConceptId,
    },
    /// The transcript has no turn: there is nothing to export.
    #[error("the session has no turns yet: there is nothing to export")]
    Empty,
    /// Every turn was omitted: there is nothing left to export.
    #[error("every turn of the session is omitted: there is nothing left to export")]
    AllOmitted,
    /// [`ExportOptions::omit`] names a turn the session does not have.
    #[error("the session has no turn `{0}` to omit")]
    UnknownTurn(String),
    /// Front matter was asked for with HTML, which is a standalone page, not a post for a
    /// static site generator.
    #[error(
        "front matter is for Markdown posts; an HTML export is a standalone page: \
         drop the front matter or export Markdown"
    )]
    FrontMatterWithHtml,
    /// A template failed to render (a bug in the embedded templates).
    #[error("export template failed: {0}")]
    Template(#[from] minijinja::Error),
}

const MARKDOWN_TEMPLATE: &str = include_str!("templates/post.md.j2");
const HTML_TEMPLATE: &str = include_str!("templates/post.html.j2");
const DEVTO_TEMPLATE: &str = include_str!("templates/devto.yaml.j2");
const HUGO_TEMPLATE: &str = include_str!("templates/hugo.toml.j2");
const JEKYLL_TEMPLATE: &str = include_str!("templates/jekyll.yaml.j2");

/// Renders the session as a blog post.
pub fn render(input: &Transcript, options: &ExportOptions) -> Result<String, ExportError> {
    if options.format == Format::Html && options.front_matter != FrontMatter::None {
        return Err(ExportError::FrontMatterWithHtml);
    }
    let post = view::build(input, options)?;
    let env = environment()?;
    let ctx = Value::from(minijinja::value::Serde(&post));
    match options.format {
        Format::Html => Ok(env.get_template("post.html")?.render(ctx)?),
        Format::Markdown => {
            let front = match options.front_matter {
                FrontMatter::None => String::new(),
                FrontMatter::Devto => env.get_template("devto")?.render(ctx.clone())?,
                FrontMatter::Hugo => env.get_template("hugo")?.render(ctx.clone())?,
                FrontMatter::Jekyll => env.get_template("jekyll")?.render(ctx.clone())?,
            };
            let body = env.get_template("post.md")?.render(ctx)?;
            Ok(front + &body)
        }
    }
}

/// The misconceptions a learner model still holds (active), as the export notes them, in
/// the curriculum's order; ids the curriculum no longer has are left out.
pub fn open_misconceptions(
    curriculum: &crate::curriculum::Curriculum,
    learner: &crate::learner::LearnerModel,
) -> Vec<OpenMisconception> {
    curriculum
        .ordered_concepts()
        .into_iter()
        .flat_map(|c| c.misconceptions.iter().map(move |m| (c, m)))
        .filter(|(_, m)| learner.misconceptions.get(&m.id).is_some_and(|s| s.active))
        .map(|(c, m)| OpenMisconception {
            concept: c.id.clone(),
            belief: m.belief.clone(),
            correction: m.correction.clone(),
        })
        .collect()
}

/// The file name to suggest: `YYYY-MM-DD-slug.md` (or `.html`), the slug from the title.
pub fn suggested_file_name(input: &Transcript, options: &ExportOptions) -> String {
    let title = view::title(input, options);
    let ext = match options.format {
        Format::Markdown => "md",
        Format::Html => "html",
    };
    format!("{}-{}.{ext}", input.date.format("%Y-%m-%d"), slug(&title))
}

/// A URL-safe slug: lowercase ASCII words joined by `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    if out.is_empty() {
        out.push_str("session");
    }
    out
}

/// The templates, with whitespace control that keeps the files readable. Only the HTML
/// page is auto-escaped; front matter values go through `tojson`, whose quoted strings
/// are valid YAML and TOML strings alike.
fn environment() -> Result<Environment<'static>, ExportError> {
    let mut env = Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.add_template("post.md", MARKDOWN_TEMPLATE)?;
    env.add_template("post.html", HTML_TEMPLATE)?;
    env.add_template("devto", DEVTO_TEMPLATE)?;
    env.add_template("hugo", HUGO_TEMPLATE)?;
    env.add_template("jekyll", JEKYLL_TEMPLATE)?;
    Ok(env)
}
