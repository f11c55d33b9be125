//! `klover export` and `klover review list` against a real SQLite store: a session written
//! through the store API (as the server writes it) comes out as a blog post.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use chrono::{Duration, Utc};
use klover_domain::{CheckpointId, ConceptId, CurriculumId};
use klover_server::protocol::ServerEvent;
use klover_store::{
    CardSource, Grade, Mode, NewAha, NewSession, ReviewCard, SessionKind, Store, TurnAssessment,
    TurnStatus,
};

const LEARNER: &str = "ada-lovelace";

struct Fixture {
    _dir: tempfile::TempDir,
    url: String,
    session: String,
}

/// A short learning session on the event loop with one aha moment and one review card.
async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("k.db").display());
    let store = Store::connect(&url).await.unwrap();
    let ada = store.create_learner(LEARNER).await.unwrap();
    let row = store
        .create_session(&NewSession {
            learner: ada.id.clone(),
            curriculum: CurriculumId::parse("async-python").unwrap(),
            curriculum_version: "test".into(),
            concept: ConceptId::parse("event-loop").unwrap(),
            mode: Mode::Offline,
            kind: SessionKind::Learn,
        })
        .await
        .unwrap();
    let event = |e: ServerEvent| serde_json::to_string(&e).unwrap();
    store
        .append_event(
            &row.id,
            &event(ServerEvent::Session {
                session_id: row.id.to_string(),
                curriculum: "async-python".into(),
                curriculum_title: "Async".into(),
                concept: "event-loop".into(),
                concept_title: "The event loop".into(),
                mode: "learn".into(),
                voice: "offline".into(),
            }),
        )
        .await
        .unwrap();
    let tutor = |text: &'static str| {
        let store = store.clone();
        let id = row.id.clone();
        async move {
            let turn = store.begin_tutor_turn(&id).await.unwrap();
            store.append_tutor_text(&turn.id, text).await.unwrap();
            store
                .finish_tutor_turn(&turn.id, TurnStatus::Complete, None, None)
                .await
                .unwrap();
        }
    };
    tutor("So if there's only ONE chef, what happens if one task is CPU-bound?").await;
    let me = store
        .append_learner_turn(
            &row.id,
            "c-1",
            "Everything else pauses. <img src=x onerror=alert(1)>",
        )
        .await
        .unwrap();
    let aha = NewAha {
        checkpoint: Some(CheckpointId::parse("cpu-task-blocks-loop").unwrap()),
        misconception: None,
        quote: "Everything else pauses.".into(),
        trigger_move: "prompt".into(),
    };
    let assessment = TurnAssessment {
        aha: vec![aha],
        ..TurnAssessment::default()
    };
    store
        .record_assessment(&me.turn.id, &assessment)
        .await
        .unwrap();
    tutor("Exactly.\nasync def handler():\nresult = crunch_numbers()\nreturn result").await;
    store
        .upsert_review_card(&ReviewCard {
            learner: ada.id.clone(),
            curriculum: CurriculumId::parse("async-python").unwrap(),
            checkpoint: CheckpointId::parse("cpu-task-blocks-loop").unwrap(),
            memory: None,
            due_at: Utc::now() + Duration::days(1),
            last_review_at: None,
            reps: 0,
            lapses: 0,
            source: CardSource::Aha,
            suspended: false,
        })
        .await
        .unwrap();
    store.close().await;
    Fixture {
        _dir: dir,
        url,
        session: row.id.to_string(),
    }
}

fn klover(args: &[&str], url: &str) -> Output {
    let curriculum = Path::new(env!("CARGO_MANIFEST_DIR")).join("curriculum");
    Command::new(env!("CARGO_BIN_EXE_klover"))
        .args(args)
        .arg("--database-url")
        .arg(url)
        .arg("--curriculum-dir")
        .arg(curriculum)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[tokio::test]
async fn export_prints_the_stored_session_as_a_jekyll_post() {
    let f = fixture().await;
    let md = stdout(&klover(
        &["export", &f.session, "--front-matter", "jekyll"],
        &f.url,
    ));
    assert!(md.starts_with("---\nlayout: post\n"), "{md}");
    assert!(md.contains("## The event loop\n"), "{md}");
    assert!(
        md.contains("**Klover:** So if there's only ONE chef"),
        "{md}"
    );
    assert!(
        md.contains("**Me:** Everything else pauses. \\<img src=x onerror=alert(1)>"),
        "{md}"
    );
    assert!(
        md.contains("> 💡 **Aha moment:** A CPU-bound task never reaches a wait"),
        "{md}"
    );
    assert!(
        md.contains(
            "```python\nasync def handler():\n    result = crunch_numbers()\n    return result\n```"
        ),
        "{md}"
    );
    assert!(
        md.contains("First exposure — one new concept. Review scheduled for tomorrow.*"),
        "{md}"
    );
    assert!(
        !md.contains(LEARNER),
        "the learner's name is not in the post"
    );
}

#[tokio::test]
async fn export_writes_html_into_a_folder_under_the_suggested_name_with_the_author() {
    let f = fixture().await;
    let out_dir = tempfile::tempdir().unwrap();
    let out = klover(
        &[
            "export",
            &f.session,
            "--format",
            "html",
            "--author",
            "Ada",
            "-o",
            out_dir.path().to_str().unwrap(),
        ],
        &f.url,
    );
    stdout(&out);
    let files: Vec<_> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    let today = Utc::now().date_naive().format("%Y-%m-%d").to_string();
    assert_eq!(
        name,
        format!("{today}-async-in-python-from-the-ground-up-learning-by-explaining.html")
    );
    let page = std::fs::read_to_string(&files[0]).unwrap();
    assert!(page.contains("<p class=\"byline\">By Ada</p>"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!page.contains("<img"));
}

#[tokio::test]
async fn export_of_an_unknown_session_fails_with_a_clear_message() {
    let f = fixture().await;
    let out = klover(&["export", "0193f2c4-0000-7000-8000-000000000000"], &f.url);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no session"));
}

#[tokio::test]
async fn review_list_shows_the_card_and_when_it_is_due() {
    let f = fixture().await;
    let text = stdout(&klover(&["review", "list", "--learner", LEARNER], &f.url));
    assert!(
        text.starts_with("ada-lovelace: 1 review card, 0 due now\n"),
        "{text}"
    );
    assert!(
        text.contains("tomorrow")
            && text.contains("The event loop — A CPU-bound task blocks the whole loop (aha, new)"),
        "{text}"
    );
}

#[tokio::test]
async fn export_latest_finds_the_learners_most_recent_session() {
    let f = fixture().await;
    let md = stdout(&klover(
        &["export", "--latest", "--learner", LEARNER],
        &f.url,
    ));
    assert!(md.contains("## The event loop"), "{md}");
    let out = klover(&["export", "--latest", "--learner", "nobody"], &f.url);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no learner named `nobody`"));
    let out = klover(&["export"], &f.url);
    assert!(
        !out.status.success(),
        "a session id or --latest is required"
    );
}

/// `klover` in `dir`, with no flag naming the database or the curricula: only the folder's
/// `klover.toml` does, and no variable of the test's environment interferes.
fn klover_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klover"));
    for (name, _) in std::env::vars() {
        if name.starts_with("KLOVER_") || name == "DATABASE_URL" {
            cmd.env_remove(name);
        }
    }
    cmd.args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[tokio::test]
async fn export_and_review_list_in_a_folder_without_curricula_use_the_built_in_one() {
    let f = fixture().await;
    let here = tempfile::tempdir().unwrap();
    std::fs::write(
        here.path().join("klover.toml"),
        format!("database_url = \"{}\"\n", f.url),
    )
    .unwrap();
    let md = stdout(&klover_in(here.path(), &["export", &f.session]));
    assert!(md.contains("## The event loop"), "{md}");
    let list = stdout(&klover_in(
        here.path(),
        &["review", "list", "--learner", LEARNER],
    ));
    assert!(
        list.contains("The event loop — A CPU-bound task blocks the whole loop"),
        "titles, not ids:\n{list}"
    );
    assert!(
        !here.path().join("klover.db").exists(),
        "klover.toml named the database"
    );
}

#[tokio::test]
async fn a_curriculum_folder_that_was_asked_for_and_is_missing_is_an_error_naming_the_setting() {
    let f = fixture().await;
    let here = tempfile::tempdir().unwrap();
    let out = klover_in(
        here.path(),
        &[
            "export",
            &f.session,
            "--database-url",
            &f.url,
            "--curriculum-dir",
            "nowhere",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("curriculum_dir") && err.contains("flag --curriculum-dir"),
        "{err}"
    );
}

#[tokio::test]
async fn list_turns_numbers_the_turns_and_omit_leaves_them_out_by_number_or_id() {
    let f = fixture().await;
    let list = stdout(&klover(&["export", &f.session, "--list-turns"], &f.url));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(lines[1].starts_with("  2  "), "{list}");
    assert!(lines[1].contains("Me: Everything else pauses."), "{list}");
    let second_id = lines[2].split_whitespace().nth(1).unwrap().to_owned();

    let md = stdout(&klover(&["export", &f.session, "--omit", "2"], &f.url));
    assert!(!md.contains("Everything else pauses"), "{md}");
    assert!(
        !md.contains("Aha moment"),
        "the omitted turn's aha goes too: {md}"
    );
    assert!(md.contains("ONE chef"), "{md}");

    let md = stdout(&klover(
        &["export", &f.session, "--omit", &format!("1,{second_id}")],
        &f.url,
    ));
    assert!(
        !md.contains("ONE chef") && !md.contains("crunch_numbers"),
        "{md}"
    );
    assert!(md.contains("Everything else pauses"), "{md}");

    let out = klover(&["export", &f.session, "--omit", "9"], &f.url);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the session has turns 1 to 3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = klover(&["export", &f.session, "--omit", "0193-not-a-turn"], &f.url);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no turn `0193-not-a-turn`"));
}

#[tokio::test]
async fn front_matter_with_an_html_export_is_refused_with_a_clear_error() {
    let f = fixture().await;
    let out = klover(
        &[
            "export",
            &f.session,
            "--format",
            "html",
            "--front-matter",
            "hugo",
        ],
        &f.url,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--front-matter is for Markdown posts") && err.contains("--format md"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing is written");
}

#[tokio::test]
async fn review_stats_shows_retention_and_a_thirty_day_forecast() {
    let f = fixture().await;
    let text = stdout(&klover(&["review", "stats", "--learner", LEARNER], &f.url));
    assert_eq!(
        text,
        "ada-lovelace: 1 review card (0 reviewed, 1 new)\nRetention: no review in the last 30 days\n\
         Next 30 days: 1 review\n  tomorrow       1  #\n"
    );

    // A card reviewed four times in the review log (one Again, one Again the learner
    // overruled as Good, one 40 days ago that no longer counts), due in three days.
    let store = Store::connect(&f.url).await.unwrap();
    let ada = store.find_learner_by_name(LEARNER).await.unwrap().unwrap();
    let memory = klover_store::CardMemory {
        stability: 5.0,
        difficulty: 5.0,
    };
    let card = ReviewCard {
        learner: ada.id.clone(),
        curriculum: CurriculumId::parse("async-python").unwrap(),
        checkpoint: CheckpointId::parse("loop-runs-one-task").unwrap(),
        memory: Some(memory),
        due_at: Utc::now() + Duration::days(3),
        last_review_at: Some(Utc::now() - Duration::days(2)),
        reps: 5,
        lapses: 2,
        source: CardSource::Weak,
        suspended: false,
    };
    let grades = [
        (40, Grade::Again, Grade::Again),
        (9, Grade::Good, Grade::Good),
        (6, Grade::Again, Grade::Again),
        (4, Grade::Again, Grade::Good),
        (2, Grade::Easy, Grade::Easy),
    ];
    for (days_ago, grader, grade) in grades {
        let entry = klover_store::ReviewEntry {
            id: klover_store::ReviewId::new(),
            learner: ada.id.clone(),
            curriculum: card.curriculum.clone(),
            checkpoint: card.checkpoint.clone(),
            session: None,
            turn: None,
            reviewed_at: Utc::now() - Duration::days(days_ago),
            grader_grade: grader,
            grade,
            overruled: grader != grade,
            elapsed_days: 2,
            before: Some(memory),
            after: memory,
        };
        store.record_review(&card, &entry).await.unwrap();
    }
    store.close().await;
    let text = stdout(&klover(&["review", "stats", "--learner", LEARNER], &f.url));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "ada-lovelace: 2 review cards (1 reviewed, 1 new)");
    assert_eq!(
        lines[1],
        "Retention, last 30 days: 75 % of 4 reviews passed (1 forgotten, 1 regraded by the learner)"
    );
    assert!(
        lines[2].starts_with("Predicted recall today: 9")
            && lines[2].ends_with(" % on average (FSRS, reviewed cards)"),
        "two days into a five-day stability, recall is in the nineties: {text}"
    );
    assert_eq!(lines[3], "Next 30 days: 2 reviews");
    assert_eq!(lines.len(), 6, "{text}");
}

#[tokio::test]
async fn review_reset_makes_a_card_new_and_due_now() {
    let f = fixture().await;
    let out = stdout(&klover(
        &[
            "review",
            "reset",
            "cpu-task-blocks-loop",
            "--learner",
            LEARNER,
        ],
        &f.url,
    ));
    assert_eq!(out, "reset `cpu-task-blocks-loop`: a new card, due now\n");
    let list = stdout(&klover(&["review", "list", "--learner", LEARNER], &f.url));
    assert!(
        list.starts_with("ada-lovelace: 1 review card, 1 due now\n"),
        "{list}"
    );
    let out = klover(
        &["review", "reset", "no-such", "--learner", LEARNER],
        &f.url,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no review card on `no-such`"));
}

#[tokio::test]
async fn review_suspend_sets_a_card_aside_until_unsuspend() {
    let f = fixture().await;
    let card = "cpu-task-blocks-loop";
    let out = stdout(&klover(
        &["review", "suspend", card, "--learner", LEARNER],
        &f.url,
    ));
    assert_eq!(
        out,
        format!("suspended `{card}`: never due until `klover review unsuspend {card}`\n")
    );
    let list = stdout(&klover(&["review", "list", "--learner", LEARNER], &f.url));
    assert!(
        list.starts_with("ada-lovelace: 1 review card, 0 due now, 1 suspended\n"),
        "{list}"
    );
    assert!(
        list.contains("  suspended ")
            && list.contains("The event loop — A CPU-bound task blocks the whole loop (aha, new)  [cpu-task-blocks-loop]"),
        "{list}"
    );
    let stats = stdout(&klover(&["review", "stats", "--learner", LEARNER], &f.url));
    assert!(
        stats.starts_with("ada-lovelace: 1 review card (0 reviewed, 1 new, 1 suspended)\n")
            && stats.contains("Next 30 days: 0 reviews\n"),
        "a suspended card is not in the forecast:\n{stats}"
    );
    // Reset keeps it aside; unsuspend brings it back, due now after the reset.
    stdout(&klover(
        &["review", "reset", card, "--learner", LEARNER],
        &f.url,
    ));
    let store = Store::connect(&f.url).await.unwrap();
    let ada = store.find_learner_by_name(LEARNER).await.unwrap().unwrap();
    assert!(
        store
            .due_cards(&ada.id, Utc::now())
            .await
            .unwrap()
            .is_empty()
    );
    store.close().await;
    let out = stdout(&klover(
        &["review", "unsuspend", card, "--learner", LEARNER],
        &f.url,
    ));
    assert_eq!(
        out,
        format!("unsuspended `{card}`: due again as scheduled\n")
    );
    let list = stdout(&klover(&["review", "list", "--learner", LEARNER], &f.url));
    assert!(
        list.starts_with("ada-lovelace: 1 review card, 1 due now\n"),
        "{list}"
    );
    let out = klover(
        &["review", "suspend", "no-such", "--learner", LEARNER],
        &f.url,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no review card on `no-such`"));
}

#[tokio::test]
async fn a_checkpoint_id_with_cards_in_two_curricula_needs_curriculum_to_suspend_or_reset() {
    let f = fixture().await;
    let card = "cpu-task-blocks-loop";
    // The same checkpoint id in a second curriculum (an author's fork of async-python).
    let store = Store::connect(&f.url).await.unwrap();
    let ada = store.find_learner_by_name(LEARNER).await.unwrap().unwrap();
    let fork_due = Utc::now() + Duration::days(4);
    let fork = ReviewCard {
        learner: ada.id.clone(),
        curriculum: CurriculumId::parse("async-python-fork").unwrap(),
        checkpoint: CheckpointId::parse(card).unwrap(),
        memory: None,
        due_at: fork_due,
        last_review_at: None,
        reps: 0,
        lapses: 0,
        source: CardSource::Weak,
        suspended: false,
    };
    store.upsert_review_card(&fork).await.unwrap();
    let before = store.review_cards(&ada.id).await.unwrap();

    // Without --curriculum: refused, saying which curricula and how to choose; no change.
    for action in ["suspend", "reset"] {
        let out = klover(&["review", action, card, "--learner", LEARNER], &f.url);
        assert!(!out.status.success(), "{action}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(
                "`cpu-task-blocks-loop` names a review card in 2 curricula (async-python, \
                 async-python-fork): say which with --curriculum ID"
            ),
            "{action}: {err}"
        );
        assert_eq!(
            store.review_cards(&ada.id).await.unwrap(),
            before,
            "{action}"
        );
    }
    // The list names the curriculum where the id alone is ambiguous.
    let list = stdout(&klover(&["review", "list", "--learner", LEARNER], &f.url));
    assert!(
        list.contains("[cpu-task-blocks-loop --curriculum async-python]")
            && list.contains("[cpu-task-blocks-loop --curriculum async-python-fork]"),
        "{list}"
    );

    // With it: only that curriculum's card changes.
    let out = stdout(&klover(
        &[
            "review",
            "suspend",
            card,
            "--curriculum",
            "async-python-fork",
            "--learner",
            LEARNER,
        ],
        &f.url,
    ));
    assert_eq!(
        out,
        "suspended `cpu-task-blocks-loop` in `async-python-fork`: never due until \
         `klover review unsuspend cpu-task-blocks-loop --curriculum async-python-fork`\n"
    );
    let cards = store.review_cards(&ada.id).await.unwrap();
    let of = |c: &str| {
        cards
            .iter()
            .find(|k| k.curriculum.as_str() == c)
            .unwrap()
            .clone()
    };
    assert!(of("async-python-fork").suspended);
    assert!(
        !of("async-python").suspended,
        "the other curriculum's card is untouched"
    );
    let out = stdout(&klover(
        &[
            "review",
            "reset",
            card,
            "--curriculum",
            "async-python",
            "--learner",
            LEARNER,
        ],
        &f.url,
    ));
    assert_eq!(
        out,
        "reset `cpu-task-blocks-loop` in `async-python`: a new card, due now\n"
    );
    let cards = store.review_cards(&ada.id).await.unwrap();
    let fork_now = cards
        .iter()
        .find(|k| k.curriculum.as_str() == "async-python-fork")
        .unwrap();
    assert_eq!(
        fork_now.due_at.timestamp_millis(),
        fork_due.timestamp_millis()
    );
    let out = klover(
        &[
            "review",
            "reset",
            card,
            "--curriculum",
            "no-such",
            "--learner",
            LEARNER,
        ],
        &f.url,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no review card on `cpu-task-blocks-loop` in curriculum `no-such`")
    );
    store.close().await;
}
