//! Unit tests of the merge rule.

use super::*;
use crate::ids::{CheckpointId, ConceptId, MisconceptionId};

fn assessment(scores: &[(&str, f64)]) -> Assessment {
    Assessment {
        concept: ConceptId::parse("c").unwrap(),
        scores: scores
            .iter()
            .map(|(id, s)| {
                let score = CheckpointScore {
                    score: *s,
                    evidence: Some(Span { start: 0, end: 1 }),
                };
                (CheckpointId::parse(id).unwrap(), score)
            })
            .collect(),
        misconceptions: Vec::new(),
        contradictions: Vec::new(),
        asked_question: false,
        asked_for_answer: false,
        dont_know: false,
        off_topic: true,
        question: None,
        negated: Vec::new(),
        source: AssessmentSource::Rubric,
        act: None,
    }
}

#[test]
fn the_judge_decides_credit_and_the_rubric_only_vetoes() {
    let mut rubric = assessment(&[("a", 0.0), ("b", 1.0), ("c", 0.0), ("d", 0.0)]);
    rubric.negated.push(CheckpointId::parse("c").unwrap());
    rubric.contradictions.push(Contradiction {
        checkpoint: CheckpointId::parse("d").unwrap(),
        evidence: None,
    });
    let mut judge = assessment(&[("a", 0.9), ("b", 0.2), ("c", 1.0), ("d", 1.0)]);
    judge.off_topic = false;
    judge.asked_question = true;
    judge.misconceptions.push(MisconceptionHit {
        id: MisconceptionId::parse("m").unwrap(),
        evidence: None,
    });
    let m = merge(rubric, judge);
    assert_eq!(
        m.score(&CheckpointId::parse("a").unwrap()),
        0.9,
        "judge credits"
    );
    assert_eq!(
        m.score(&CheckpointId::parse("b").unwrap()),
        0.2,
        "a rubric credit the judge does not give does not survive"
    );
    assert_eq!(
        m.score(&CheckpointId::parse("c").unwrap()),
        0.0,
        "negation vetoes"
    );
    assert_eq!(
        m.score(&CheckpointId::parse("d").unwrap()),
        0.0,
        "contradiction vetoes"
    );
    assert_eq!(m.misconceptions.len(), 1);
    assert_eq!(m.contradictions.len(), 1);
    assert!(m.asked_question);
    assert!(!m.off_topic, "off topic only when both say so");
    assert_eq!(m.source, AssessmentSource::Merged);
}

#[test]
fn a_checkpoint_the_judge_leaves_out_is_not_credited() {
    let rubric = assessment(&[("a", 1.0)]);
    let judge = assessment(&[]);
    assert_eq!(
        merge(rubric, judge).score(&CheckpointId::parse("a").unwrap()),
        0.0
    );
}

#[test]
fn merge_clamps_judge_scores_into_range() {
    let rubric = assessment(&[("a", 0.0)]);
    let judge = assessment(&[("a", 7.0)]);
    assert_eq!(
        merge(rubric, judge).score(&CheckpointId::parse("a").unwrap()),
        1.0
    );
}
