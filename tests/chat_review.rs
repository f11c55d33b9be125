//! `klover chat --review` through a pipe against a real server: with a due card it opens a
//! review session, sends the answer and the card is rescheduled; with nothing due it says
//! so, and when the next card is due, without opening a session.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Utc};
use klover_domain::{CheckpointId, CurriculumId};
use klover_store::{CardSource, LearnerId, ReviewCard, SessionKind};
use support::{TestApp, spawn_app};
use tokio::io::AsyncWriteExt;

const CHECKPOINT: &str = "cpu-task-blocks-loop";

async fn chat(app: &TestApp, input: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_klover"))
        .args([
            "chat",
            "--review",
            "--server",
            &format!("http://{}", app.addr),
        ])
        .current_dir(dir.path())
        .env_remove("KLOVER_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("klover chat finished")
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Gives the `local` learner one card for [`CHECKPOINT`], due at `due_at`.
async fn card(app: &TestApp, due_at: DateTime<Utc>) -> LearnerId {
    card_on(app, CHECKPOINT, due_at).await
}

/// Gives the `local` learner one card for `checkpoint`, due at `due_at`.
async fn card_on(app: &TestApp, checkpoint: &str, due_at: DateTime<Utc>) -> LearnerId {
    let learner = match app.store.find_learner_by_name("local").await.unwrap() {
        Some(l) => l,
        None => app.store.create_learner("local").await.unwrap(),
    };
    app.store
        .upsert_review_card(&ReviewCard {
            learner: learner.id.clone(),
            curriculum: CurriculumId::parse("async-python").unwrap(),
            checkpoint: CheckpointId::parse(checkpoint).unwrap(),
            memory: None,
            due_at,
            last_review_at: None,
            reps: 0,
            lapses: 0,
            source: CardSource::Aha,
            suspended: false,
        })
        .await
        .unwrap();
    learner.id
}

#[tokio::test]
async fn klover_chat_review_reprobes_the_due_card_and_reschedules_it() {
    let app = spawn_app().await;
    let learner = card(&app, Utc::now() - chrono::Duration::hours(2)).await;
    let answer = "A CPU-bound task never reaches a wait, so it blocks the single-threaded \
                  event loop: everything else pauses.";
    let (ok, out, err) = chat(&app, &format!("{answer}\n")).await;
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.starts_with("Review: 1 checkpoint due (The event loop)."),
        "{out}"
    );
    let me = out
        .find(&format!("Me: {answer}"))
        .expect("the answer was sent");
    assert!(
        out[..me].contains("Klover: "),
        "the tutor asked first:\n{out}"
    );
    assert!(out[me..].contains("Klover: "), "and answered:\n{out}");
    assert!(
        out[me..].contains("★ Review done: 1 card(s) rescheduled."),
        "a review ends as a review:\n{out}"
    );
    assert!(!out.contains("whole path"), "{out}");
    assert!(!out.contains("whole async-python curriculum"), "{out}");

    let sessions = app.store.list_sessions(&learner).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].kind, SessionKind::Review);
    let cards = app.store.review_cards(&learner).await.unwrap();
    assert_eq!(cards[0].reps, 1, "reviewed once");
    assert!(
        cards[0].due_at > Utc::now() + chrono::Duration::days(1),
        "moved out"
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn klover_chat_review_with_nothing_due_says_when_the_next_card_is() {
    let app = spawn_app().await;
    let (ok, out, err) = chat(&app, "hello\n").await;
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.starts_with("Nothing to review in async-python: no review cards yet."),
        "{out}"
    );

    let at = Utc::now() + chrono::Duration::days(3);
    let learner = card(&app, at).await;
    let (ok, out, err) = chat(&app, "hello\n").await;
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    let expected = format!(
        "Nothing to review in async-python right now. The next card is due {}",
        at.format("%b %-d, %Y at %H:%M UTC")
    );
    assert!(out.starts_with(&expected), "expected `{expected}`:\n{out}");
    assert!(!out.contains("Me: hello"), "no session was opened:\n{out}");
    assert!(app.store.list_sessions(&learner).await.unwrap().is_empty());
    app.stop().await.unwrap();
}

#[tokio::test]
async fn slash_good_after_a_verdict_overrules_the_graders_grade() {
    let app = spawn_app().await;
    let learner = card(&app, Utc::now() - chrono::Duration::hours(2)).await;
    // Three wrong tries: the tutor states the checkpoint and the grader says Again; the
    // learner knows better and regrades it Good.
    let input = "The loop just switches to another task.\nIt keeps switching between tasks.\n\
                 The other tasks keep running too.\n/good\n/easy\n";
    let (ok, out, err) = chat(&app, input).await;
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains("  ✓ graded again: A CPU-bound task blocks the whole loop · next review"),
        "{out}"
    );
    assert!(
        err.contains("/again, /hard, /good or /easy regrades it"),
        "{err}"
    );
    assert!(
        out.contains(
            "  ↻ regraded good (the grader said again): A CPU-bound task blocks the whole loop"
        ),
        "{out}"
    );
    assert!(
        err.contains("nothing to regrade"),
        "a review is regraded once: the second one is refused:\n{err}"
    );
    let cards = app.store.review_cards(&learner).await.unwrap();
    assert_eq!((cards[0].reps, cards[0].lapses), (1, 0));
    assert!(cards[0].due_at > Utc::now() + chrono::Duration::days(1));
    let log = app
        .store
        .review_log(&learner, Utc::now() - chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].grade, klover_store::Grade::Good);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn slash_again_regrades_every_card_the_last_answer_graded() {
    let app = spawn_app().await;
    let due = Utc::now() - chrono::Duration::hours(2);
    card_on(&app, "loop-runs-until-wait", due).await;
    let learner = card(&app, due).await;
    // One answer that explains both checkpoints: both cards are graded by it. The learner
    // regrades it Again: every card that answer graded is rescheduled as Again.
    let answer = "The loop runs a task until it hits an await on some io, parks it, moves \
                  to the next task, and when the io comes back it puts that task back in the \
                  queue. A CPU-bound task never reaches a wait, so it blocks the \
                  single-threaded event loop: everything else pauses.";
    let (ok, out, err) = chat(&app, &format!("{answer}\n/again\n/good\n")).await;
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(
        out.matches("  ✓ graded ").count(),
        2,
        "one answer, two cards:\n{out}"
    );
    assert_eq!(
        out.matches("  ↻ regraded again (the grader said ").count(),
        2,
        "both regraded:\n{out}"
    );
    assert!(
        err.contains("nothing to regrade"),
        "each review is regraded once:\n{err}"
    );
    assert_eq!(
        err.matches("regrades it").count(),
        1,
        "the hint once per answer:\n{err}"
    );
    let log = app
        .store
        .review_log(&learner, Utc::now() - chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(log.len(), 2, "one review per card, rewritten, none added");
    for entry in &log {
        assert_eq!(
            (entry.grade, entry.overruled),
            (klover_store::Grade::Again, true),
            "{}",
            entry.checkpoint
        );
    }
    let cards = app.store.review_cards(&learner).await.unwrap();
    assert!(
        cards
            .iter()
            .all(|c| c.due_at < Utc::now() + chrono::Duration::days(1)),
        "Again brings both back soon: {cards:?}"
    );
    app.stop().await.unwrap();
}
