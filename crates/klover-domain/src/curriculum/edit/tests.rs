//! Edits on the reference curriculum and small folders: the model after `load_sources`
//! is the one intended, untouched files keep their bytes, a one-word edit is a one-line
//! diff, comments survive, and refusals name what was wrong.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::curriculum::{Curriculum, load_sources};
use crate::ids::{CheckpointId, ConceptId};
use crate::testing;

fn reference() -> Vec<SourceFile> {
    testing::files("curriculum/async-python")
}

fn edit(json: serde_json::Value) -> Edit {
    serde_json::from_value(json).unwrap()
}

fn load(files: &[SourceFile]) -> Curriculum {
    load_sources(files).unwrap_or_else(|e| panic!("does not load: {e}"))
}

fn file<'a>(files: &'a [SourceFile], path: &str) -> &'a str {
    &files.iter().find(|f| f.path == path).unwrap().text
}

/// The lines that differ between two texts of the same line count (a real line diff when
/// nothing was inserted or removed); panics if the counts differ.
fn changed_lines(old: &str, new: &str) -> Vec<(usize, String)> {
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
fn others_untouched(before: &[SourceFile], after: &[SourceFile], except: &[&str]) {
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
    assert_eq!(diff, vec![(29, format!("    \"{new_hint}\","))]);
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

#[test]
fn a_new_concept_with_a_prerequisite_and_a_checkpoint_loads() {
    let before = reference();
    let mut files = apply(
        &before,
        &edit(serde_json::json!({
            "op": "add_concept", "id": "async-queues", "title": "Queues between tasks",
            "opening_question": "Two tasks must pass work to each other. How would you do it?",
            "summary": "A queue hands work over without blocking the loop.",
            "prerequisites": ["event-loop"],
        })),
    )
    .unwrap()
    .files;
    assert_eq!(files.last().unwrap().path, "concepts/08-async-queues.toml");
    files = apply(
        &files,
        &Edit::AddCheckpoint {
            concept: "async-queues".into(),
            id: "queue-hands-over-work".into(),
            statement: "A queue lets one task hand work to another without waiting.".into(),
            title: None,
            cues: vec!["queue hand*|pass*".into()],
            hints: vec![
                "What sits between the two tasks?".into(),
                "What does a queue do?".into(),
            ],
        },
    )
    .unwrap()
    .files;
    others_untouched(&before, &files, &[]);
    let c = load(&files);
    let id = ConceptId::parse("async-queues").unwrap();
    let concept = c.concept(&id).unwrap();
    assert_eq!(
        concept.prerequisites,
        vec![ConceptId::parse("event-loop").unwrap()]
    );
    assert_eq!(concept.checkpoints[0].hints.len(), 2);
    assert_eq!(
        c.graph.prerequisites(&id),
        vec![ConceptId::parse("event-loop").unwrap()]
    );
}

#[test]
fn a_prerequisite_that_closes_a_cycle_is_refused_with_the_path() {
    let before = reference();
    let err = apply(
        &before,
        &Edit::AddPrerequisite {
            concept: "sync-vs-async".into(),
            prerequisite: "event-loop".into(),
        },
    )
    .unwrap_err();
    let path = ["event-loop", "sync-vs-async", "io-vs-cpu", "event-loop"];
    assert_eq!(
        err,
        EditError::Cycle {
            path: path.iter().map(|s| (*s).to_owned()).collect()
        }
    );
    assert_eq!(
        err.to_string(),
        "prerequisite cycle: event-loop → sync-vs-async → io-vs-cpu → event-loop"
    );
    let self_loop = Edit::AddPrerequisite {
        concept: "gil".into(),
        prerequisite: "gil".into(),
    };
    assert_eq!(
        apply(&before, &self_loop).unwrap_err().to_string(),
        "prerequisite cycle: gil → gil"
    );
}

#[test]
fn an_unknown_id_or_field_is_an_error_and_a_taken_id_is_refused() {
    let files = reference();
    let unknown = Edit::SetText {
        target: Target::Checkpoint {
            id: "no-such".into(),
        },
        field: "statement".into(),
        value: Some("x".into()),
    };
    assert_eq!(
        apply(&files, &unknown).unwrap_err().to_string(),
        "no checkpoint `no-such` in the curriculum"
    );
    let bad_field = Edit::SetText {
        target: Target::Checkpoint {
            id: "loop-single-threaded".into(),
        },
        field: "cues".into(),
        value: Some("x".into()),
    };
    assert!(matches!(
        apply(&files, &bad_field),
        Err(EditError::UnknownField { .. })
    ));
    let required = Edit::SetText {
        target: Target::Checkpoint {
            id: "loop-single-threaded".into(),
        },
        field: "statement".into(),
        value: None,
    };
    assert!(matches!(
        apply(&files, &required),
        Err(EditError::Required { .. })
    ));
    let taken = Edit::Rename {
        kind: IdKind::Checkpoint,
        from: "loop-single-threaded".into(),
        to: "cpu-task-blocks-loop".into(),
    };
    assert!(matches!(
        apply(&files, &taken),
        Err(EditError::Taken { .. })
    ));
    let far = Edit::RemoveItem {
        target: Target::Checkpoint {
            id: "loop-single-threaded".into(),
        },
        field: "hints".into(),
        index: 9,
    };
    assert!(matches!(
        apply(&files, &far),
        Err(EditError::NoIndex { len: 2, .. })
    ));
}

#[test]
fn an_edit_that_leaves_the_curriculum_invalid_is_applied_for_the_checker() {
    let files = reference();
    let after = apply(
        &files,
        &Edit::RemoveItem {
            target: Target::Checkpoint {
                id: "loop-single-threaded".into(),
            },
            field: "hints".into(),
            index: 0,
        },
    )
    .unwrap();
    let err = load_sources(&after.files).unwrap_err();
    assert!(err.to_string().contains("hints"), "{err}");
}

#[test]
fn renaming_a_checkpoint_records_the_mapping_and_follows_its_references() {
    let before = reference();
    let after = apply(
        &before,
        &Edit::Rename {
            kind: IdKind::Checkpoint,
            from: "loop-single-threaded".into(),
            to: "loop-one-thread".into(),
        },
    )
    .unwrap();
    assert_eq!(
        after.renamed_from,
        BTreeMap::from([("loop-one-thread".into(), "loop-single-threaded".into())])
    );
    let path = "concepts/03-event-loop.toml";
    // The id, one misconception's `contradicts` and two `states` lists.
    assert_eq!(
        changed_lines(file(&before, path), file(&after.files, path)).len(),
        4
    );
    others_untouched(&before, &after.files, &[path]);
    let c = load(&after.files);
    assert!(
        c.checkpoint(&CheckpointId::parse("loop-one-thread").unwrap())
            .is_some()
    );
    assert!(
        c.checkpoint(&CheckpointId::parse("loop-single-threaded").unwrap())
            .is_none()
    );
}

#[test]
fn renaming_a_concept_renames_its_file_and_the_prerequisites_naming_it() {
    let before = reference();
    let after = apply(
        &before,
        &Edit::Rename {
            kind: IdKind::Concept,
            from: "io-vs-cpu".into(),
            to: "io-bound-vs-cpu-bound".into(),
        },
    )
    .unwrap();
    let paths: Vec<&str> = after.files.iter().map(|f| f.path.as_str()).collect();
    assert!(
        paths.contains(&"concepts/02-io-bound-vs-cpu-bound.toml"),
        "{paths:?}"
    );
    assert!(!paths.contains(&"concepts/02-io-vs-cpu.toml"));
    let c = load(&after.files);
    let new = ConceptId::parse("io-bound-vs-cpu-bound").unwrap();
    assert_eq!(c.graph.dependents(&new).len(), 2);
    assert_eq!(
        after.renamed_from.get("io-bound-vs-cpu-bound").unwrap(),
        "io-vs-cpu"
    );
}

#[test]
fn removing_entries_removes_the_references_to_them() {
    let before = reference();
    let no_cp = apply(
        &before,
        &Edit::RemoveCheckpoint {
            id: "loop-single-threaded".into(),
        },
    )
    .unwrap();
    let c = load(&no_cp.files);
    assert!(
        c.checkpoint(&CheckpointId::parse("loop-single-threaded").unwrap())
            .is_none()
    );
    let no_concept = apply(&before, &Edit::RemoveConcept { id: "gil".into() }).unwrap();
    assert!(
        !no_concept
            .files
            .iter()
            .any(|f| f.path.ends_with("05-gil.toml"))
    );
    let c = load(&no_concept.files);
    let t = ConceptId::parse("threading-vs-async").unwrap();
    assert_eq!(
        c.graph.prerequisites(&t),
        vec![ConceptId::parse("event-loop").unwrap()]
    );
    let no_mc = apply(
        &before,
        &Edit::RemoveMisconception {
            id: "threads-are-free".into(),
        },
    )
    .unwrap();
    let left: Vec<String> = load(&no_mc.files).concepts[5]
        .misconceptions
        .iter()
        .map(|m| m.id.to_string())
        .collect();
    assert_eq!(left, vec!["async-uses-many-threads".to_owned()]);
}

#[test]
fn renames_compose_over_a_draft() {
    let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect()
    };
    assert_eq!(
        compose_renames(&m(&[("b", "a")]), &m(&[("c", "b")])),
        m(&[("c", "a")])
    );
    assert_eq!(
        compose_renames(&m(&[("b", "a")]), &m(&[("a", "b")])),
        m(&[])
    );
    assert_eq!(
        compose_renames(&m(&[]), &m(&[("y", "x")])),
        m(&[("y", "x")])
    );
}

#[test]
fn edits_are_tagged_json() {
    let e = Edit::AddPrerequisite {
        concept: "gil".into(),
        prerequisite: "event-loop".into(),
    };
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"op": "add_prerequisite", "concept": "gil", "prerequisite": "event-loop"})
    );
    assert!(
        serde_json::from_value::<Edit>(serde_json::json!({"op": "set_text", "oops": 1})).is_err()
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
