//! The web client in a real browser: installs Debian's Chromium and the npm package
//! `playwright-core` when missing (`scripts/install-browser-deps.sh`), starts the real
//! server on port 0, and runs the Node test files of `tests/browser/tests/` against it.
//! Nothing is skipped: a missing browser or a failing page fails `cargo test`.
//! Screenshots land in `tests/browser/artifacts/` (git-ignored).

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use std::time::Duration;

use anyhow::{Context, bail};
use klover_fake_llm::{FakeLlm, Reply};
use klover_llm::ApiKey;
use klover_server::TutorVoice;
use serde_json::json;
use support::{TestApp, spawn_app, spawn_app_with, test_settings};

/// The curriculum the tests walk through (the seed conversation's path).
const REFERENCE_CURRICULUM: &str = "async-python";

/// One browser at a time: the machine has two cores and Chromium is heavy.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the install script (idempotent): fails the test if it fails.
async fn install_browser_deps() -> anyhow::Result<()> {
    let status = tokio::process::Command::new("bash")
        .arg(root().join("scripts/install-browser-deps.sh"))
        .status()
        .await
        .context("running scripts/install-browser-deps.sh")?;
    if !status.success() {
        bail!("scripts/install-browser-deps.sh failed: {status}");
    }
    Ok(())
}

/// What the page tests need to know about the reference curriculum: the seed's learner
/// lines, and the first concept's id and checkpoint statements (typed as a last resort by
/// the learner who completes the concept, and never shown before they are reached).
fn test_data(dir: &Path) -> anyhow::Result<PathBuf> {
    let catalog = klover_server::Catalog::load(&support::curriculum_dir())?;
    let curriculum = catalog
        .get(REFERENCE_CURRICULUM)
        .context("the reference curriculum is missing")?;
    let ordered = curriculum.ordered_concepts();
    let (first, second) = match ordered.as_slice() {
        [a, b, ..] => (*a, *b),
        _ => bail!("the reference curriculum needs at least two concepts"),
    };
    let data = json!({
        "seed_lines": support::seed_lines(),
        "first_concept": {
            "id": first.id.to_string(),
            "title": first.title,
            "checkpoints": first.checkpoints.iter().map(|c| json!({
                "id": c.id.to_string(), "statement": c.statement, "title": c.label(),
            })).collect::<Vec<_>>(),
        },
        "second_concept": { "id": second.id.to_string(), "title": second.title },
    });
    let path = dir.join("test-data.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&data)?)?;
    Ok(path)
}

/// Runs `node --test` on one test file with the server's address in the environment.
async fn run_node(test_file: &str, envs: &[(&str, String)]) -> anyhow::Result<()> {
    let dir = root().join("tests/browser");
    let mut cmd = tokio::process::Command::new("node");
    cmd.current_dir(&dir)
        .args(["--test", "--test-reporter=spec", "--test-concurrency=1"])
        .arg(format!("tests/{test_file}"))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let status = cmd
        .status()
        .await
        .context("running node (is it installed?)")?;
    if !status.success() {
        bail!("browser tests in tests/browser/tests/{test_file} failed: {status}");
    }
    Ok(())
}

async fn page_tests(
    app: &TestApp,
    test_file: &str,
    extra: &[(&str, String)],
) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir()?;
    let data = test_data(scratch.path())?;
    let mut envs = vec![
        ("KLOVER_URL", format!("http://{}/", app.addr)),
        ("KLOVER_TEST_DATA", data.display().to_string()),
    ];
    envs.extend(extra.iter().cloned());
    run_node(test_file, &envs).await
}

/// The learner's words that ask for the long, slow reply (any other request is answered
/// at once, so openings and judges do not slow the test down).
const SLOW_MARKER: &str = "walk me through it step by step";

/// The long reply the fake LLM streams word by word, slowly enough to press stop.
fn slow_reply() -> String {
    let mut text =
        String::from("Good instinct. Let's slow down and look at what the worker does. ");
    for i in 1..=40 {
        text.push_str(&format!(
            "Step {i}: the task waits on the network, so the loop moves on. "
        ));
    }
    text.trim_end().to_owned()
}

/// The learner's words that ask for a short reply streamed slowly enough to reload the
/// page in the middle of it and still see it finish.
const RELOAD_MARKER: &str = "say it slowly";

/// That short reply.
const RELOAD_REPLY: &str = "Sure. Think of one cook in a kitchen: the oven works on its own \
while the cook chops vegetables for the next dish. What does the cook do while the oven is busy?";

fn fake_llm_responder(req: &klover_fake_llm::RecordedRequest) -> Reply {
    let body = req.body.to_string();
    if req.is_stream() && body.contains(SLOW_MARKER) {
        Reply::text(&slow_reply()).chunk_interval(Duration::from_millis(150))
    } else if req.is_stream() && body.contains(RELOAD_MARKER) {
        Reply::text(RELOAD_REPLY).chunk_interval(Duration::from_millis(120))
    } else if req.is_stream() {
        Reply::text("In your own words: what does the worker do while it waits?")
    } else {
        // A judge call: an answer the adapter cannot use, so it falls back to the rubric.
        Reply::text("{}")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_author_tries_cues_and_previews_lines_in_chromium() -> anyhow::Result<()> {
    let _one_browser = BROWSER.lock().await;
    install_browser_deps().await?;
    let app = spawn_app().await;
    let result = page_tests(&app, "author.test.mjs", &[]).await;
    app.stop().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_uses_the_web_client_offline_in_chromium() -> anyhow::Result<()> {
    let _one_browser = BROWSER.lock().await;
    install_browser_deps().await?;
    let app = spawn_app().await;
    let result = page_tests(&app, "offline.test.mjs", &[]).await;
    app.stop().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_menu_and_export_dialog_work_in_chromium() -> anyhow::Result<()> {
    let _one_browser = BROWSER.lock().await;
    install_browser_deps().await?;
    let app = spawn_app().await;
    let result = page_tests(&app, "session.test.mjs", &[]).await;
    app.stop().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_continues_where_they_left_off_in_chromium() -> anyhow::Result<()> {
    let _one_browser = BROWSER.lock().await;
    install_browser_deps().await?;
    let app = spawn_app().await;
    let result = page_tests(&app, "continue.test.mjs", &[]).await;
    app.stop().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_llm_reply_can_be_stopped_in_chromium() -> anyhow::Result<()> {
    let _one_browser = BROWSER.lock().await;
    install_browser_deps().await?;
    let fake = FakeLlm::start().await;
    fake.set_responder(fake_llm_responder);
    let mut settings = test_settings();
    settings.llm.base_url = Some(fake.base_url());
    settings.llm.api_key = Some(ApiKey::from("test-key"));
    settings.llm.model = "fake-model".into();
    let voice = TutorVoice::from_settings(&settings.llm).context("the LLM voice")?;
    let app = spawn_app_with(settings, voice).await;
    let extra = [
        ("KLOVER_SLOW_MARKER", SLOW_MARKER.to_owned()),
        ("KLOVER_SLOW_REPLY", slow_reply()),
        ("KLOVER_RELOAD_MARKER", RELOAD_MARKER.to_owned()),
        ("KLOVER_RELOAD_REPLY", RELOAD_REPLY.to_owned()),
    ];
    let result = page_tests(&app, "llm.test.mjs", &extra).await;
    app.stop().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_server_asks_for_the_token_once_per_tab_in_chromium() -> anyhow::Result<()> {
    let _one_browser = BROWSER.lock().await;
    install_browser_deps().await?;
    let mut settings = test_settings();
    settings.auth = true;
    let app = spawn_app_with(settings, TutorVoice::Offline).await;
    let token = app.token_for("ada").await;
    let result = page_tests(&app, "token.test.mjs", &[("KLOVER_TOKEN", token)]).await;
    app.stop().await?;
    result
}

/// A learner's three tries at the first checkpoint; the tutor states it after the third
/// (the inbox item of `analytics.test.mjs`), as `tests/authoring/analytics.rs` checks.
const TOLD_AFTER: [&str; 3] = [
    "Sync code is older and async code is newer.",
    "Async is just a newer style of writing code.",
    "It is only about the syntax, async and await keywords.",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_author_reads_analytics_and_handles_the_inbox_in_chromium() -> anyhow::Result<()> {
    let _one_browser = BROWSER.lock().await;
    install_browser_deps().await?;
    let app = spawn_app().await;
    let mut learner = app.client().await;
    learner
        .start(REFERENCE_CURRICULUM, Some("sync-vs-async"))
        .await;
    for line in TOLD_AFTER {
        learner.turn(line).await;
    }
    learner
        .turn("async runs all the tasks at the same time on different cores")
        .await;
    let told = ("KLOVER_TOLD_ANSWER", TOLD_AFTER[2].to_owned());
    let result = page_tests(&app, "analytics.test.mjs", &[told]).await;
    drop(learner);
    app.stop().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_reconnects_when_the_server_restarts_in_chromium() -> anyhow::Result<()> {
    let _one_browser = BROWSER.lock().await;
    install_browser_deps().await?;
    let scratch = tempfile::tempdir()?;
    let data = test_data(scratch.path())?;
    let envs = [
        ("KLOVER_BIN", env!("CARGO_BIN_EXE_klover").to_owned()),
        (
            "KLOVER_CURRICULUM_DIR",
            support::curriculum_dir().display().to_string(),
        ),
        ("KLOVER_TEST_DATA", data.display().to_string()),
    ];
    run_node("reconnect.test.mjs", &envs).await
}

/// The checkpoint the review test makes due (a concept after the first, so the learner
/// has never met it in this fresh database).
const REVIEW_CHECKPOINT: &str = "cpu-task-blocks-loop";

/// An answer the assessor credits for that checkpoint (as `tests/review_ws.rs` does).
const REVIEW_ANSWER: &str = "A CPU-bound task never reaches a wait, so it blocks the \
single-threaded event loop: everything else pauses.";

/// Gives the server's local loopback learner one review card, due an hour ago, through
/// the real store (as a finished learning session would have, a while back).
async fn due_card(app: &TestApp) -> anyhow::Result<klover_store::LearnerId> {
    use klover_domain::{CheckpointId, CurriculumId};
    use klover_store::{CardSource, ReviewCard};
    let learner = match app.store.find_learner_by_name("local").await? {
        Some(l) => l,
        None => app.store.create_learner("local").await?,
    };
    let card = ReviewCard {
        learner: learner.id.clone(),
        curriculum: CurriculumId::parse(REFERENCE_CURRICULUM)?,
        checkpoint: CheckpointId::parse(REVIEW_CHECKPOINT)?,
        memory: None,
        due_at: chrono::Utc::now() - chrono::Duration::hours(1),
        last_review_at: None,
        reps: 0,
        lapses: 0,
        source: CardSource::Aha,
        suspended: false,
    };
    app.store.upsert_review_card(&card).await?;
    Ok(learner.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_review_card_is_reviewed_from_the_web_client_in_chromium() -> anyhow::Result<()> {
    let _one_browser = BROWSER.lock().await;
    install_browser_deps().await?;
    let app = spawn_app().await;
    let learner = due_card(&app).await?;
    let extra = [("KLOVER_REVIEW_ANSWER", REVIEW_ANSWER.to_owned())];
    let result = page_tests(&app, "review.test.mjs", &extra).await;
    let cards = app.store.review_cards(&learner).await?;
    let log = app
        .store
        .review_log(&learner, chrono::Utc::now() - chrono::Duration::days(1))
        .await?;
    app.stop().await?;
    result?;
    // The page overruled the grader: one review in the log, marked so, graded as the
    // learner said (good or easy).
    anyhow::ensure!(log.len() == 1, "one review, got {}", log.len());
    anyhow::ensure!(
        log[0].overruled
            && log[0].grade != log[0].grader_grade
            && matches!(
                log[0].grade,
                klover_store::Grade::Good | klover_store::Grade::Easy
            ),
        "overruled from the page: {:?}",
        log[0]
    );
    // The page's review went through the real scheduler: the card was re-probed once and
    // moved out (and was suspended and unsuspended again).
    let card = cards
        .iter()
        .find(|c| c.checkpoint.as_str() == REVIEW_CHECKPOINT)
        .context("the review card")?;
    anyhow::ensure!(card.reps == 1, "reviewed once, got {} reps", card.reps);
    anyhow::ensure!(!card.suspended, "unsuspended from the card list");
    anyhow::ensure!(
        card.due_at > chrono::Utc::now() + chrono::Duration::hours(12),
        "answered well, the card moves out: due {}",
        card.due_at
    );
    Ok(())
}

#[tokio::test]
async fn the_message_parser_passes_its_node_unit_tests() -> anyhow::Result<()> {
    install_browser_deps().await?;
    run_node("markup.test.mjs", &[]).await
}

#[tokio::test]
async fn the_concept_graph_states_pass_their_node_unit_tests() -> anyhow::Result<()> {
    install_browser_deps().await?;
    run_node("graph.test.mjs", &[]).await
}
