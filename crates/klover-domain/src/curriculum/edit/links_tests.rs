//! Edits that touch references: new concepts and their prerequisites, cycles, renames and
//! removals, refusals, and the JSON form of an edit.

use std::collections::BTreeMap;

use super::tests::{changed_lines, edit, file, load, others_untouched, reference};
use super::*;
use crate::curriculum::load_sources;
use crate::ids::{CheckpointId, ConceptId};

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
