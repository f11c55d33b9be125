//! Maps the engine's results to the store's rows (the store never sees engine types).

use klover_domain::CheckpointId;
use klover_domain::Curriculum;
use klover_domain::assess::act::{DialogueAct, act_of};
use klover_domain::assess::{Assessment, AssessmentSource};
use klover_domain::engine::{SessionState, TurnOutcome};
use klover_domain::learner::LearnerModel;
use klover_domain::policy::Move;
use klover_store::{CheckpointScore, MasteryUpdate, NewAha, StatedInReply, TurnAssessment};

/// Everything one learner turn changed, for [`klover_store::Store::record_assessment`].
pub fn turn_assessment(
    curriculum: &Curriculum,
    before: &LearnerModel,
    after: &SessionState,
    outcome: &TurnOutcome,
    text: &str,
) -> TurnAssessment {
    let len = text.len();
    let scores = outcome
        .assessment
        .scores
        .iter()
        .map(|(id, s)| CheckpointScore {
            checkpoint: id.clone(),
            score: s.score.clamp(0.0, 1.0),
            evidence: s
                .evidence
                .filter(|e| e.start <= e.end && e.end <= len)
                .map(|e| (to_i64(e.start), to_i64(e.end))),
        })
        .collect();
    // The checkpoints the tutor states in reply (an Assert, or an authored answer's
    // `states`) are recorded with their mastery, so the stored model can tell a concept
    // covered with help from a mastered one.
    let stated = outcome.plan.stated_checkpoints(curriculum, &after.learner);
    let stated: Vec<_> = stated.iter().collect();
    let assessed = outcome.assessment.scores.keys();
    let unassessed = stated
        .iter()
        .copied()
        .filter(|id| !outcome.assessment.scores.contains_key(*id));
    // Checkpoints of other concepts the learner stated in passing are stored too.
    let elsewhere = outcome.elsewhere.iter().filter(|id| !stated.contains(id));
    let mastery = assessed
        .chain(unassessed)
        .chain(elsewhere)
        .map(|id| MasteryUpdate {
            checkpoint: id.clone(),
            mastery: after.learner.p_known(id).clamp(0.0, 1.0),
            stated_by_tutor: stated.contains(&id),
        })
        .collect();
    let misconceptions_resolved = before
        .misconceptions
        .iter()
        .filter(|(id, m)| {
            m.active
                && after
                    .learner
                    .misconceptions
                    .get(*id)
                    .is_some_and(|a| !a.active)
        })
        .map(|(id, _)| id.clone())
        .collect();
    let aha = outcome
        .aha
        .iter()
        .filter(|a| a.checkpoint.is_some() || a.misconception.is_some())
        .map(|a| NewAha {
            checkpoint: a.checkpoint.clone(),
            misconception: a.misconception.clone(),
            quote: a.quote.clone(),
            trigger_move: a.triggered_by.kind().to_owned(),
        })
        .collect();
    // For the authors' inbox: which statements answered a learner's failed attempt.
    let attempt = matches!(
        act_of(&outcome.assessment),
        DialogueAct::Explanation | DialogueAct::TentativeAnswer
    );
    let stated = stated
        .iter()
        .map(|&id| StatedInReply {
            checkpoint: id.clone(),
            asserted: outcome
                .plan
                .moves
                .iter()
                .any(|m| matches!(m, Move::Assert { checkpoint } if checkpoint == id)),
            attempt,
        })
        .collect();
    TurnAssessment {
        scores,
        misconceptions_shown: outcome.misconceptions.clone(),
        misconceptions_resolved,
        mastery,
        aha,
        stated,
        rubric_scores: Vec::new(),
    }
}

/// The rubric's scores to keep beside a judge's verdict (see migration 0012): all of them
/// when the judge took part in `decided`, none when the rubric alone decided.
pub fn rubric_scores(rubric: &Assessment, decided: &Assessment) -> Vec<(CheckpointId, f64)> {
    if decided.source == AssessmentSource::Rubric {
        return Vec::new();
    }
    rubric
        .scores
        .iter()
        .map(|(id, s)| (id.clone(), s.score.clamp(0.0, 1.0)))
        .collect()
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
