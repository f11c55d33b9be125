//! The authors' inbox (migration 0012): a judge's credit the rubric did not give, and a
//! failed attempt the tutor answered by stating the checkpoint, are listed newest first;
//! statements after "I don't know" or by an authored answer are not; a handled item
//! leaves the inbox and cannot be handled twice.

use klover_domain::{CheckpointId, CurriculumId};
use klover_store::{
    CheckpointScore, InboxAction, InboxReason, StatedInReply, StoreError, TurnAssessment,
};

use crate::common::{TestDb, learner, session};

fn cp(s: &str) -> CheckpointId {
    CheckpointId::parse(s).unwrap()
}

fn score(checkpoint: &str, score: f64) -> CheckpointScore {
    CheckpointScore {
        checkpoint: cp(checkpoint),
        score,
        evidence: None,
    }
}

fn stated(checkpoint: &str, asserted: bool, attempt: bool) -> StatedInReply {
    StatedInReply {
        checkpoint: cp(checkpoint),
        asserted,
        attempt,
    }
}

pub async fn unrecognised_answers_reach_the_inbox_until_handled(db: &TestDb) {
    let store = &db.store;
    let ada = learner(store, "ada").await;
    let s = session(store, &ada).await;
    let mut said = Vec::new();
    let turns = [
        // The judge credits `sync-waits-for-completion` (0.9); the rubric gave 0.2.
        TurnAssessment {
            scores: vec![
                score("sync-waits-for-completion", 0.9),
                score("io-leaves-cpu-idle", 0.1),
            ],
            rubric_scores: vec![
                (cp("sync-waits-for-completion"), 0.2),
                (cp("io-leaves-cpu-idle"), 0.1),
            ],
            ..TurnAssessment::default()
        },
        // A failed attempt, answered by the tutor stating the checkpoint.
        TurnAssessment {
            scores: vec![score("io-leaves-cpu-idle", 0.0)],
            stated: vec![stated("io-leaves-cpu-idle", true, true)],
            ..TurnAssessment::default()
        },
        // "I don't know", then stated: not an unrecognised answer.
        TurnAssessment {
            stated: vec![stated("async-works-while-waiting", true, false)],
            ..TurnAssessment::default()
        },
        // An authored answer stated it: not an unrecognised answer either.
        TurnAssessment {
            stated: vec![stated("something-schedules-tasks", false, true)],
            ..TurnAssessment::default()
        },
        // Rubric alone (no rubric_scores): never a judge item.
        TurnAssessment {
            scores: vec![score("something-schedules-tasks", 0.9)],
            ..TurnAssessment::default()
        },
    ];
    for (i, a) in turns.iter().enumerate() {
        let text = format!("line {i}");
        let turn = store
            .append_learner_turn(&s.id, &format!("c-{i}"), &text)
            .await
            .unwrap()
            .turn;
        store.record_assessment(&turn.id, a).await.unwrap();
        said.push(turn.id);
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let curriculum = CurriculumId::parse("async-python").unwrap();
    let inbox = store.inbox(&curriculum, 0.6).await.unwrap();
    let seen: Vec<_> = inbox
        .iter()
        .map(|r| (r.text.as_str(), r.checkpoint.as_str(), r.reason))
        .collect();
    assert_eq!(
        seen,
        [
            ("line 1", "io-leaves-cpu-idle", InboxReason::Stated),
            ("line 0", "sync-waits-for-completion", InboxReason::Judge),
        ]
    );
    assert_eq!((inbox[1].score, inbox[1].rubric_score), (0.9, Some(0.2)));
    assert_eq!(inbox[0].rubric_score, None);
    let other = CurriculumId::parse("git-branches").unwrap();
    assert!(store.inbox(&other, 0.6).await.unwrap().is_empty());

    store
        .act_on_inbox(&said[1], &cp("io-leaves-cpu-idle"), &InboxAction::Dismissed)
        .await
        .unwrap();
    let again = store
        .act_on_inbox(&said[1], &cp("io-leaves-cpu-idle"), &InboxAction::Dismissed)
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let example = InboxAction::Example {
        draft: "d-1".into(),
    };
    store
        .act_on_inbox(&said[0], &cp("sync-waits-for-completion"), &example)
        .await
        .unwrap();
    assert!(store.inbox(&curriculum, 0.6).await.unwrap().is_empty());
}
