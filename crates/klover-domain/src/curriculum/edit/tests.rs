//! Edits of fields and lists on the reference curriculum and small folders: the model
//! after `load_sources` is the one intended, untouched files keep their bytes, a one-word
//! edit is a one-line diff, comments survive. The helpers are shared with `links_tests`.

use proptest::prelude::*;

use super::*;
use crate::curriculum::{Curriculum, load_sources};
use crate::ids::CheckpointId;
use crate::testing;

pub(super) fn reference() -> Vec<SourceFile> {
    testing::files("curriculum/async-python")
}

pub(super) fn edit(json: serde_json::Value) -> Edit {
    serde_json::from_value(json).unwrap()
}

pub(super) fn load(files: &[SourceFile]) -> Curriculum {
    load_sources(files).unwrap_or_else(|e| panic!("does not load: {e}"))
}

pub(super) fn file<'a>(files: &'a [SourceFile], path: &str) -> &'a str {
    &files.iter().find(|f| f.path == path).unwrap().text
}

/// The lines that differ between two texts of the same line count (a real line diff when
/// nothing was inserted or removed); panics if the counts differ.
pub(super) fn changed_lines(old: &str, new: &str) -> Vec<(usize, String)> {
    let (a, b): (Vec<_>, Vec<_>) = (old.lines().collect(), new.lines().collect());
    assert_eq!(a.len(), b.len(), "line count changed:\n{new}");
    a.iter()
        .zip(&b)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, (_, y))| (i + 1, (*y).to_owned()))
        .collect()
}

/// Every file except `except` is byte-identical.
pub(super) fn others_untouched(before: &[SourceFile], after: &[SourceFile], except: &[&str]) {
    for f in before.iter().filter(|f| !except.contains(&f.path.as_str())) {
        assert_eq!(file(after, &f.path), f.text, "{} changed", f.path);
    }
}

#[test]
fn a_one_word_hint_edit_is_a_one_line_diff_and_loads_as_intended() {
    let before = reference();
    let path = "concepts/02-io-vs-cpu.toml";
    let old_hint = "Which of the two kinds of task spends most of its time waiting?";
    let new_hint = "Which of the two kinds of task spends most of its time idle?";
    let after = apply(
        &before,
        &edit(serde_json::json!({
            "op": "set_item",
            "target": {"kind": "checkpoint", "id": "async-helps-io-bound"},
            "field": "hints", "index": 0, "value": new_hint,
        })),
    )
    .unwrap();
    assert!(after.renamed_from.is_empty());
    let diff = changed_lines(file(&before, path), file(&after.files, path));
    // The hint's line, found rather than hard-coded: cues above it change between rounds.
    let line = file(&before, path)
        .lines()
        .position(|l| l.contains(old_hint))
        .unwrap()
        + 1;
    assert_eq!(diff, vec![(line, format!("    \"{new_hint}\","))]);
    assert!(file(&before, path).contains(old_hint));
    others_untouched(&before, &after.files, &[path]);
    let c = load(&after.files);
    let (_, cp) = c
        .checkpoint(&CheckpointId::parse("async-helps-io-bound").unwrap())
        .unwrap();
    assert_eq!(cp.hints[0], new_hint);
}

#[test]
fn a_statement_edit_changes_one_line_and_the_model() {
    let before = reference();
    let path = "concepts/03-event-loop.toml";
    let after = apply(
        &before,
        &Edit::SetText {
            target: Target::Checkpoint {
                id: "loop-single-threaded".into(),
            },
            field: "statement".into(),
            value: Some("The loop runs on one single thread.".into()),
        },
    )
    .unwrap();
    let diff = changed_lines(file(&before, path), file(&after.files, path));
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert_eq!(
        diff[0].1,
        "statement = \"The loop runs on one single thread.\""
    );
    let c = load(&after.files);
    let (concept, cp) = c
        .checkpoint(&CheckpointId::parse("loop-single-threaded").unwrap())
        .unwrap();
    assert_eq!(concept.id.as_str(), "event-loop");
    assert_eq!(cp.statement, "The loop runs on one single thread.");
}

#[test]
fn comments_and_the_manifest_survive_an_edit_next_to_them() {
    let before = reference();
    let path = "concepts/07-blocking-in-async.toml";
    let after = apply(
        &before,
        &Edit::SetText {
            target: Target::Concept {
                id: "blocking-in-async".into(),
            },
            field: "title".into(),
            value: Some("Blocking calls in async code".into()),
        },
    )
    .unwrap();
    let new = file(&after.files, path);
    assert!(new.contains("# The seed's two versions of the call, shown as fenced code"));
    assert_eq!(changed_lines(file(&before, path), new).len(), 1);
    others_untouched(&before, &after.files, &[path]);
}

#[test]
fn a_trailing_comment_on_a_replaced_value_is_kept() {
    let files = vec![
        SourceFile {
            path: "concepts/01-a.toml".into(),
            text: "# Concept a\nid = \"a\"\ntitle = \"A\" # shown as the heading\nopening_question = \"Why?\"\nsummary = \"S.\"\n\n# the one insight\n[[checkpoints]]\nid = \"a-one\"\nstatement = \"One.\"\ncues = [\n    \"one\", # the plain word\n    \"single\",\n]\nhints = [\"H1?\", \"H2?\"]\n".into(),
        },
    ];
    let after = apply(
        &files,
        &Edit::SetText {
            target: Target::Concept { id: "a".into() },
            field: "title".into(),
            value: Some("Concept A".into()),
        },
    )
    .unwrap();
    let text = &after.files[0].text;
    assert!(
        text.contains("title = \"Concept A\" # shown as the heading\n"),
        "{text}"
    );
    let after = apply(
        &after.files,
        &Edit::AddItem {
            target: Target::Checkpoint { id: "a-one".into() },
            field: "cues".into(),
            value: "lone".into(),
            index: Some(1),
        },
    )
    .unwrap();
    let text = &after.files[0].text;
    assert!(
        text.contains(
            "cues = [\n    \"one\", # the plain word\n    \"lone\",\n    \"single\",\n]\n"
        ),
        "{text}"
    );
    let after = apply(
        &after.files,
        &Edit::RemoveItem {
            target: Target::Checkpoint { id: "a-one".into() },
            field: "cues".into(),
            index: 1,
        },
    )
    .unwrap();
    let text = &after.files[0].text;
    assert!(
        text.contains("cues = [\n    \"one\", # the plain word\n    \"single\",\n]\n"),
        "{text}"
    );
    assert!(
        text.starts_with("# Concept a\n") && text.contains("# the one insight\n[[checkpoints]]")
    );
}

#[test]
fn adding_to_a_one_line_list_keeps_it_on_one_line() {
    let before = reference();
    let path = "concepts/06-threading-vs-async.toml";
    let after = apply(
        &before,
        &Edit::RemovePrerequisite {
            concept: "threading-vs-async".into(),
            prerequisite: "event-loop".into(),
        },
    )
    .unwrap();
    let diff = changed_lines(file(&before, path), file(&after.files, path));
    assert_eq!(diff, vec![(3, "prerequisites = [\"gil\"]".to_owned())]);
    let again = apply(
        &after.files,
        &Edit::AddPrerequisite {
            concept: "threading-vs-async".into(),
            prerequisite: "event-loop".into(),
        },
    )
    .unwrap();
    let diff = changed_lines(file(&before, path), file(&again.files, path));
    assert_eq!(
        diff,
        vec![(3, "prerequisites = [\"gil\", \"event-loop\"]".to_owned())]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Any text (quotes, backslashes, newlines, non-ASCII) set as a statement loads back
    /// as that text, and no other file changes.
    #[test]
    fn any_statement_round_trips(text in "[a-zA-Z0-9 '\"\\\\\n#=\\[\\]éλ.,?]{1,60}") {
        prop_assume!(!text.trim().is_empty());
        let before = reference();
        let after = apply(&before, &Edit::SetText {
            target: Target::Checkpoint { id: "gil-protects-refcounts".into() },
            field: "statement".into(),
            value: Some(text.clone()),
        }).unwrap();
        others_untouched(&before, &after.files, &["concepts/05-gil.toml"]);
        let c = load(&after.files);
        let (_, cp) = c.checkpoint(&CheckpointId::parse("gil-protects-refcounts").unwrap()).unwrap();
        prop_assert_eq!(&cp.statement, text.trim());
    }

    /// Inserting an example anywhere in a multi-line list adds exactly one line and the
    /// model's list gains exactly that entry there.
    #[test]
    fn an_inserted_example_is_one_new_line(index in 0usize..20, word in "[a-z]{3,12}") {
        let before = reference();
        let path = "concepts/01-sync-vs-async.toml";
        let value = format!("the worker {word} while waiting");
        let after = apply(&before, &Edit::AddItem {
            target: Target::Checkpoint { id: "async-works-while-waiting".into() },
            field: "examples".into(),
            value: value.clone(),
            index: Some(index),
        }).unwrap();
        let (old, new) = (file(&before, path), file(&after.files, path));
        prop_assert_eq!(new.lines().count(), old.lines().count() + 1);
        let removed: Vec<&str> = new.lines().filter(|l| !old.lines().any(|o| o == *l)).collect();
        prop_assert_eq!(removed, vec![format!("    \"{value}\",")]);
        let c = load(&after.files);
        let (_, cp) = c.checkpoint(&CheckpointId::parse("async-works-while-waiting").unwrap()).unwrap();
        prop_assert_eq!(&cp.examples[index].text, &value);
    }
}
