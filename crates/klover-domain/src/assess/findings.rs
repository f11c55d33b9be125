//! What a curriculum check reports beyond loading, in one place for `klover curriculum
//! check` and the author page: tutor texts that give a checkpoint away (the giveaway lint),
//! tutor texts over the voice's limits ([`crate::curriculum::lint`]), and authored examples
//! the rubric does not read as meant — each located at its file and line.

use super::{examples, giveaway};
use crate::curriculum::{Curriculum, Problem, SourceFile, lint};

/// Every tutor-text problem of a loaded curriculum (giveaways, then voice limits),
/// located in `files` (the files it was loaded from).
pub fn tutor_texts(c: &Curriculum, files: &[SourceFile]) -> Vec<Problem> {
    let mut out = Vec::new();
    for g in giveaway::giveaways(c) {
        let states: Vec<&str> = g.states.iter().map(|s| s.as_str()).collect();
        let declare = if g.key.starts_with("questions") || g.key.starts_with("analogies") {
            format!(
                ", or, if it must say it, declare it: states = [\"{}\"]",
                states.join("\", \"")
            )
        } else {
            String::new()
        };
        let (file, line) = locate(files, &g.concept, &g.text);
        out.push(Problem {
            file,
            line,
            key: Some(g.key),
            message: format!(
                "states `{}` before the learner could: \"{}\"",
                states.join("`, `"),
                g.text
            ),
            fix: format!("ask rather than tell (a question, or leave the key idea out){declare}"),
        });
    }
    for l in lint::lints(c) {
        let (file, line) = locate(files, &l.concept, &l.text);
        out.push(Problem {
            file,
            line,
            key: Some(l.key),
            message: l.message,
            fix: l.fix,
        });
    }
    out
}

/// The authored examples the rubric does not read as meant, as problems at their lines.
pub fn failing_examples(c: &Curriculum) -> Vec<Problem> {
    let report = examples::run(c, &examples::authored(c));
    report
        .failures
        .iter()
        .map(|f| {
            let w = &f.wording;
            let must = match w.kind {
                examples::Kind::Example => "must show",
                examples::Kind::Counterexample => "must not show",
            };
            let (file, line) = match w.at.rsplit_once(':') {
                Some((file, line)) => (file.to_owned(), line.parse().ok()),
                None => (w.at.clone(), None),
            };
            Problem {
                file,
                line,
                key: None,
                message: format!("{must} `{}`: \"{}\" — {}", w.target, w.text, f.got),
                fix: "change the cues (or contradictions) until the wording is read as meant, or move it to the other list if it was misfiled".into(),
            }
        })
        .collect()
}

/// The file (of `files`) defining `concept` (the manifest for an empty `concept`: a
/// `[voice]` text), and the line where `text` starts in it (found by its first words: the
/// model keeps no positions for texts).
pub fn locate(files: &[SourceFile], concept: &str, text: &str) -> (String, Option<usize>) {
    let head: String = text.chars().take(40).collect();
    let manifest = crate::curriculum::load::MANIFEST;
    let defines = |f: &&SourceFile| match concept {
        "" => f.path == manifest,
        _ => f.text.contains(&format!("id = \"{concept}\"")) && f.path != manifest,
    };
    let mut candidates: Vec<&SourceFile> = files.iter().filter(defines).collect();
    candidates.sort_by(|a, b| a.path.cmp(&b.path));
    let Some(f) = candidates.first() else {
        return (String::new(), None);
    };
    // A TOML string escapes quotes and backslashes; search for the escaped form too.
    let escaped = head.replace('\\', "\\\\").replace('"', "\\\"");
    let at = f.text.find(&head).or_else(|| f.text.find(&escaped));
    let line = at.map(|at| f.text[..at].lines().count().max(1));
    (f.path.clone(), line)
}
