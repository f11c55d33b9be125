//! The authoring HTTP API: authors read a whole curriculum (checkpoint statements, cues,
//! hints, misconceptions and all), check curriculum files with the same validator as
//! `klover curriculum check`, and change what is taught through stored versions:
//! history, diff and revert ([`versions`]), drafts edited with `ETag`/`If-Match` and
//! published ([`drafts`]), with renamed ids carrying learner data along ([`renames`]).
//! Nothing is written to the curriculum folder. The author page at `/author` is in
//! [`page`].
//!
//! Who may call it: see [`access`]. Analytics and the inbox of unrecognised answers are
//! in [`analytics`].

pub mod access;
pub mod analytics;
pub mod drafts;
pub mod editor;
pub mod page;
pub mod renames;
pub mod versions;

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use klover_domain::Curriculum;
use klover_domain::assess::findings;
use klover_domain::curriculum::{Concept, Problem, SourceFile, load_sources};
use serde::{Deserialize, Serialize};

pub use access::Author;

use crate::error::Error;
use crate::state::AppState;

/// The largest `POST /api/author/check` body accepted (1 MiB); larger gets 413.
pub const MAX_CHECK_BODY: usize = 1024 * 1024;

/// The most files one check may hold.
pub const MAX_CHECK_FILES: usize = 500;

/// Routes: `GET /author` (+ its assets), `GET /api/author/curricula`,
/// `GET /api/author/curricula/{id}`, `POST /api/author/check`, and the versions and
/// drafts of a curriculum under `/api/author/curricula/{id}/` (docs/authoring.md).
pub fn router() -> Router<AppState> {
    const C: &str = "/api/author/curricula/{id}";
    let limit = || DefaultBodyLimit::max(MAX_CHECK_BODY);
    Router::new()
        .merge(page::router())
        .merge(editor::router())
        .merge(analytics::router())
        .route("/api/author/curricula", get(curricula))
        .route(C, get(curriculum))
        .route(&format!("{C}/versions"), get(versions::history))
        .route(&format!("{C}/versions/{{n}}"), get(versions::version))
        .route(
            &format!("{C}/versions/{{n}}/revert"),
            post(versions::revert),
        )
        .route(&format!("{C}/diff"), get(versions::diff))
        .route(
            &format!("{C}/import"),
            post(versions::import).layer(limit()),
        )
        .route(&format!("{C}/drafts"), post(drafts::create))
        .route(&format!("{C}/drafts/{{d}}"), get(drafts::get))
        .route(
            &format!("{C}/drafts/{{d}}/files/{{*path}}"),
            put(drafts::put_file)
                .delete(drafts::delete_file)
                .layer(limit()),
        )
        .route(
            &format!("{C}/drafts/{{d}}/edits"),
            post(drafts::edits).layer(limit()),
        )
        .route(&format!("{C}/drafts/{{d}}/publish"), post(drafts::publish))
        .route(
            "/api/author/check",
            post(check).layer(DefaultBodyLimit::max(MAX_CHECK_BODY)),
        )
}

/// A whole curriculum as authors see it, concepts in prerequisite order.
#[derive(Debug, Serialize)]
pub struct CurriculumView<'a> {
    /// Curriculum id.
    pub id: &'a str,
    /// Title.
    pub title: &'a str,
    /// Author's version.
    pub version: &'a str,
    /// What the learner will understand.
    pub description: &'a str,
    /// Default code-block language.
    pub code_language: Option<&'a str>,
    /// Export tags.
    pub tags: &'a [String],
    /// Word → synonyms for the rubric.
    pub synonyms: &'a std::collections::BTreeMap<String, Vec<String>>,
    /// Every concept with checkpoints (statements, cues, hints), misconceptions,
    /// analogies and learner questions, each after its prerequisites.
    pub concepts: Vec<&'a Concept>,
    /// `[prerequisite, concept]` pairs.
    pub edges: Vec<[String; 2]>,
}

impl<'a> CurriculumView<'a> {
    /// The view of `c`.
    pub fn of(c: &'a Curriculum) -> Self {
        Self {
            id: c.id.as_str(),
            title: &c.title,
            version: &c.version,
            description: &c.description,
            code_language: c.code_language.as_deref(),
            tags: &c.tags,
            synonyms: &c.synonyms,
            concepts: c.ordered_concepts(),
            edges: c
                .graph
                .edges()
                .into_iter()
                .map(|(a, b)| [a.to_string(), b.to_string()])
                .collect(),
        }
    }
}

/// One entry of `GET /api/author/curricula`.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct CurriculumEntry {
    /// Curriculum id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Author's version.
    pub version: String,
}

/// `GET /api/author/curricula`: the curricula the server teaches (id, title, version).
pub async fn curricula(State(app): State<AppState>, _author: Author) -> Json<Vec<CurriculumEntry>> {
    Json(
        app.catalog
            .describe()
            .into_iter()
            .map(|c| CurriculumEntry {
                id: c.id,
                title: c.title,
                version: c.version,
            })
            .collect(),
    )
}

/// `GET /api/author/curricula/{id}`: the full curriculum, for authors.
pub async fn curriculum(
    State(app): State<AppState>,
    _author: Author,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let c = app
        .catalog
        .get(&id)
        .ok_or_else(|| Error::NotFound(format!("no curriculum `{id}`")))?;
    Ok(Json(CurriculumView::of(&c)).into_response())
}

/// Body of `POST /api/author/check`.
#[derive(Debug, Deserialize)]
pub struct CheckRequest {
    /// The curriculum's files: `curriculum.toml` and `concepts/<name>.toml`.
    pub files: Vec<FileIn>,
}

/// One posted file: its path relative to the curriculum folder, and its text.
#[derive(Debug, Deserialize)]
pub struct FileIn {
    /// `curriculum.toml` or `concepts/<name>.toml` (a label: nothing is read or written).
    pub path: String,
    /// The file's TOML.
    pub text: String,
}

/// Answer of `POST /api/author/check`.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum CheckResult {
    /// The files make a valid curriculum.
    Valid {
        /// `true` when nothing is to fix: no tutor text gives a checkpoint away or breaks
        /// the voice's limits, and every authored example is read as meant.
        ok: bool,
        /// What the curriculum holds.
        summary: Summary,
        /// What `klover curriculum check` also fails on: giveaways, the voice's limits,
        /// failing examples (empty when `ok`).
        warnings: Vec<ProblemView>,
    },
    /// Every problem found, in file and line order.
    Invalid {
        /// Always `false`.
        ok: bool,
        /// The problems.
        problems: Vec<ProblemView>,
    },
}

/// What a valid curriculum holds.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// Curriculum id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Author's version.
    pub version: String,
    /// Concept ids in prerequisite order.
    pub order: Vec<String>,
    /// How many concepts.
    pub concepts: usize,
    /// How many checkpoints.
    pub checkpoints: usize,
    /// How many misconceptions.
    pub misconceptions: usize,
}

/// One problem, as `klover curriculum check` prints it.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct ProblemView {
    /// The file, as sent.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Key path (`checkpoints[2].hints`), when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl From<Problem> for ProblemView {
    fn from(p: Problem) -> Self {
        Self {
            file: p.file,
            line: p.line,
            key: p.key,
            message: p.message,
            fix: p.fix,
        }
    }
}

/// Validates `files` with the curriculum loader; nothing is stored.
pub fn check_files(files: &[SourceFile]) -> CheckResult {
    match load_sources(files) {
        Ok(c) => {
            let mut warnings = findings::tutor_texts(&c, files);
            warnings.extend(findings::failing_examples(&c));
            let summary = Summary {
                id: c.id.to_string(),
                title: c.title.clone(),
                version: c.version.clone(),
                order: c
                    .ordered_concepts()
                    .iter()
                    .map(|k| k.id.to_string())
                    .collect(),
                concepts: c.concepts.len(),
                checkpoints: c.concepts.iter().map(|k| k.checkpoints.len()).sum(),
                misconceptions: c.concepts.iter().map(|k| k.misconceptions.len()).sum(),
            };
            CheckResult::Valid {
                ok: warnings.is_empty(),
                summary,
                warnings: warnings.into_iter().map(ProblemView::from).collect(),
            }
        }
        Err(e) => CheckResult::Invalid {
            ok: false,
            problems: e.problems.into_iter().map(ProblemView::from).collect(),
        },
    }
}

/// `POST /api/author/check`: validates the posted files (every problem at once).
/// A body over [`MAX_CHECK_BODY`] gets 413, one that is not the expected JSON 400.
pub async fn check(
    _author: Author,
    body: Result<Json<CheckRequest>, JsonRejection>,
) -> Result<Response, Error> {
    let request = match body {
        Ok(Json(request)) => request,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok(too_large()),
        Err(r) => {
            return Err(Error::BadRequest(format!(
                "expected JSON {{\"files\": [{{\"path\": \"curriculum.toml\", \"text\": \"...\"}}]}}: {}",
                r.body_text()
            )));
        }
    };
    if request.files.len() > MAX_CHECK_FILES {
        return Err(Error::BadRequest(format!(
            "{} files sent: a check takes at most {MAX_CHECK_FILES}",
            request.files.len()
        )));
    }
    let files: Vec<SourceFile> = request
        .files
        .into_iter()
        .map(|f| SourceFile {
            path: f.path,
            text: f.text,
        })
        .collect();
    let result = tokio::task::spawn_blocking(move || check_files(&files))
        .await
        .map_err(|e| Error::Curriculum(format!("check task failed: {e}")))?;
    Ok(Json(result).into_response())
}

/// 413 with a JSON message saying the limit.
fn too_large() -> Response {
    let body = serde_json::json!({
        "error": format!(
            "the request body is larger than {} KiB: send only the curriculum's TOML files",
            MAX_CHECK_BODY / 1024
        )
    });
    (StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_files_is_a_problem_not_a_crash() {
        let CheckResult::Invalid { ok, problems } = check_files(&[]) else {
            panic!("an empty folder cannot be valid");
        };
        assert!(!ok);
        assert!(!problems.is_empty());
    }

    #[test]
    fn a_valid_curriculum_with_a_giveaway_opening_is_not_ok_and_says_where() {
        let concept = klover_domain::testing::SMALL.replace(
            "opening_question = \"Explain A?\"",
            "opening_question = \"Tell me. What is A? Why? How?\"",
        );
        let files = vec![
            SourceFile {
                path: "curriculum.toml".into(),
                text: klover_domain::testing::MANIFEST.into(),
            },
            SourceFile {
                path: "concepts/a.toml".into(),
                text: concept,
            },
        ];
        let CheckResult::Valid { ok, warnings, .. } = check_files(&files) else {
            panic!("the curriculum loads");
        };
        assert!(!ok);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].file, "concepts/a.toml");
        assert_eq!(warnings[0].line, Some(4));
        assert_eq!(warnings[0].key.as_deref(), Some("opening_question"));
        assert!(
            warnings[0].message.starts_with("3 questions"),
            "{warnings:?}"
        );
    }

    #[test]
    fn the_embedded_reference_curriculum_checks_ok() {
        let files: Vec<SourceFile> = crate::builtin::FILES
            .iter()
            .map(|(path, text)| SourceFile {
                path: (*path).to_owned(),
                text: (*text).to_owned(),
            })
            .collect();
        let CheckResult::Valid {
            ok,
            summary,
            warnings,
        } = check_files(&files)
        else {
            panic!("the reference curriculum is valid");
        };
        assert_eq!(warnings, vec![]);
        assert!(ok);
        assert_eq!(
            summary.order.first().map(String::as_str),
            Some("sync-vs-async")
        );
        assert_eq!(summary.concepts, 7);
    }
}
