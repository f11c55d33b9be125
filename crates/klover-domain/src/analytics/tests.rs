use super::*;
use crate::testing::tiny;

fn cp(id: &str) -> CheckpointId {
    CheckpointId::parse(id).unwrap()
}

fn tried(learner: &str, checkpoint: &str, score: f64) -> Try {
    Try {
        learner: learner.into(),
        checkpoint: cp(checkpoint),
        score,
    }
}

fn reach(learner: &str, checkpoint: &str, mastery: f64, stated: bool) -> Reach {
    Reach {
        learner: learner.into(),
        checkpoint: cp(checkpoint),
        mastery,
        stated_by_tutor: stated,
    }
}

fn stats<'a>(a: &'a Analytics, id: &str) -> &'a CheckpointStats {
    a.checkpoints
        .iter()
        .find(|c| c.checkpoint.as_str() == id)
        .unwrap()
}

#[test]
fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
    assert_eq!(median(&mut []), None);
    assert_eq!(median(&mut [3.0]), Some(3.0));
    assert_eq!(median(&mut [4.0, 1.0, 3.0]), Some(3.0));
    assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
}

/// The brief's scenario: ann needs a second try (after a hint) for `x`, bo is told it.
#[test]
fn one_learner_after_a_hint_and_one_told_reach_one_of_two_with_one_stated() {
    let tries = [
        tried("ann", "x", 0.0),
        tried("ann", "x", 0.9),
        tried("ann", "x", 0.0), // after the credit: not a try before credit
        tried("bo", "x", 0.2),
        tried("bo", "x", 0.0),
    ];
    let reach = [reach("ann", "x", 0.96, false), reach("bo", "x", 0.25, true)];
    let a = aggregate(&tiny(), &tries, &reach, &[], &[]);
    let x = stats(&a, "x");
    assert_eq!((x.learners, x.reached, x.stated), (2, 1, 1));
    assert_eq!(x.median_tries, Some(2.0));
    assert_eq!(x.title, "X");
    assert_eq!(x.concept_title, "Concept A");
    let z = stats(&a, "z");
    assert_eq!(
        (z.learners, z.reached, z.stated, z.median_tries),
        (0, 0, 0, None)
    );
}

#[test]
fn a_checkpoint_mastered_in_passing_counts_as_reached_without_tries() {
    let a = aggregate(&tiny(), &[], &[reach("ann", "y", 0.97, false)], &[], &[]);
    let y = stats(&a, "y");
    assert_eq!((y.learners, y.reached, y.median_tries), (1, 1, None));
}

#[test]
fn a_checkpoint_told_and_later_mastered_is_reached_only_through_a_credited_turn() {
    let reach = [reach("ann", "x", 0.97, true)];
    let a = aggregate(&tiny(), &[], &reach, &[], &[]);
    assert_eq!(
        stats(&a, "x").reached,
        0,
        "mastery after being told is not reaching it"
    );
    let a = aggregate(&tiny(), &[tried("ann", "x", 0.7)], &reach, &[], &[]);
    assert_eq!((stats(&a, "x").reached, stats(&a, "x").stated), (1, 1));
}

#[test]
fn misconceptions_count_learners_turns_and_resolutions() {
    let m = MisconceptionId::parse("m").unwrap();
    let shown = [
        Shown {
            misconception: m.clone(),
            times_seen: 2,
            active: false,
        },
        Shown {
            misconception: m.clone(),
            times_seen: 1,
            active: true,
        },
    ];
    let a = aggregate(&tiny(), &[], &[], &shown, &[]);
    let row = a
        .misconceptions
        .iter()
        .find(|s| s.misconception == m)
        .unwrap();
    assert_eq!((row.learners, row.times_seen, row.resolved), (2, 3, 1));
    assert_eq!(row.belief, "Gamma is true.");
}

#[test]
fn stopped_sessions_name_the_first_checkpoint_their_learner_left_open() {
    let a_concept = ConceptId::parse("a").unwrap();
    let unfinished = [
        Unfinished {
            learner: "ann".into(),
            concept: a_concept.clone(),
            idle: true,
        },
        Unfinished {
            learner: "bo".into(),
            concept: a_concept.clone(),
            idle: true,
        },
        Unfinished {
            learner: "cy".into(),
            concept: a_concept.clone(),
            idle: false,
        },
    ];
    // ann reached x (y is open); bo was told x (y is open too).
    let tries = [tried("ann", "x", 0.9)];
    let reach = [reach("bo", "x", 0.3, true)];
    let a = aggregate(&tiny(), &tries, &reach, &[], &unfinished);
    assert_eq!(a.stops.len(), 1, "only concepts with unfinished sessions");
    let stop = &a.stops[0];
    assert_eq!((stop.stopped, stop.active), (2, 1));
    assert_eq!(stop.concept_title, "Concept A");
    assert_eq!(
        stop.open_checkpoints,
        [OpenCheckpoint {
            checkpoint: cp("y"),
            title: "Y".into(),
            sessions: 2
        }]
    );
}
