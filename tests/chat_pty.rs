//! `klover chat` on a real pseudo-terminal (rexpect), as a learner types at it: `/quit`,
//! Ctrl-D and a second Ctrl-C quit at once; Ctrl-C during a reply stops the reply; the
//! session id and `/help` show at start-up and the resume command at exit; a resumed
//! session shows both sides; a server that wants a token says so in words.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Command;

use klover_server::TutorVoice;
use rexpect::session::{PtySession, spawn_command};
use support::{spawn_app, spawn_app_with, test_settings};

/// The `› ` prompt as rexpect sees it: it reads the pty byte by byte, each byte a char.
const PROMPT: &str = "\u{e2}\u{80}\u{ba} ";

/// Generous: the steps wait for output, they do not measure time. A hang fails here.
const TIMEOUT_MS: u64 = 30_000;

/// `klover chat args…` on a fresh pty, in an empty folder, with no token in the environment.
fn chat(args: &[&str]) -> (PtySession, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klover"));
    cmd.arg("chat")
        .args(args)
        .current_dir(dir.path())
        .env_remove("KLOVER_TOKEN")
        .env_remove("KLOVER_SERVER")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn");
    (spawn_command(cmd, Some(TIMEOUT_MS)).unwrap(), dir)
}

/// Reads up to the session id the client announces, and returns it.
fn session_id(p: &mut PtySession) -> String {
    p.exp_string("klover: session ").unwrap();
    let (_, id) = p.exp_regex("[0-9a-f-]{36}").unwrap();
    p.exp_string("/help").unwrap();
    id
}

/// Waits for the end of the process and returns its exit status.
fn exits(p: &mut PtySession) -> String {
    let rest = p.exp_eof().unwrap();
    let status = p.process_mut().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
        "{status:?}\n{rest}"
    );
    rest
}

async fn in_pty<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn quit_exits_at_once_and_says_how_to_resume_and_resume_shows_both_sides() {
    let app = spawn_app().await;
    // `--bind host:port` is accepted too, as `klover serve --bind` takes it.
    let server = format!("localhost:{}", app.addr.port());
    let line = support::seed_lines()[0].clone();
    let (id, said) = in_pty({
        let line = line.clone();
        move || {
            let (mut p, _dir) = chat(&["--bind", &server]);
            let id = session_id(&mut p);
            p.exp_string(PROMPT).unwrap();
            p.send_line(&line).unwrap();
            p.exp_string("mastery").unwrap();
            p.exp_string(PROMPT).unwrap();
            p.send_line("/quit").unwrap();
            // No further Enter: `/quit` alone ends the process.
            let rest = exits(&mut p);
            (id, rest)
        }
    })
    .await;
    assert!(
        said.contains(&format!("resume with: klover chat --session {id}")),
        "{said}"
    );
    // The transcript came back with the learner's own line, before `(resumed)`.
    let again = in_pty({
        let server = format!("http://{}", app.addr);
        move || {
            let (mut p, _dir) = chat(&["--server", &server, "--session", &id]);
            let (before, _) = p.exp_regex(r"\(resumed\)").unwrap();
            p.send_control('d').unwrap();
            exits(&mut p);
            before
        }
    })
    .await;
    assert!(
        again.contains(&format!("{PROMPT}{line}")),
        "the learner's side:\n{again}"
    );
    assert!(again.contains("Klover: "), "the tutor's side:\n{again}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_a_reply_and_a_second_ctrl_c_quits() {
    let mut settings = test_settings();
    // A slow offline voice: the reply is still streaming when Ctrl-C comes.
    settings.offline_delta_delay_ms = 150;
    let app = spawn_app_with(settings, TutorVoice::Offline).await;
    let server = format!("http://{}", app.addr);
    let said = in_pty(move || {
        let (mut p, _dir) = chat(&["--server", &server]);
        session_id(&mut p);
        p.exp_string(PROMPT).unwrap();
        p.send_line("I am not sure, maybe it is about waiting?")
            .unwrap();
        p.exp_string("Klover: ").unwrap();
        p.send_control('c').unwrap();
        p.exp_string("stopping the reply").unwrap();
        p.exp_string("[stopped]").unwrap();
        p.exp_string(PROMPT).unwrap();
        p.send_control('c').unwrap();
        exits(&mut p)
    })
    .await;
    assert!(
        said.contains("resume with: klover chat --session"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_d_at_the_prompt_quits_at_once() {
    let app = spawn_app().await;
    let server = format!("http://{}", app.addr);
    let said = in_pty(move || {
        let (mut p, _dir) = chat(&["--server", &server]);
        session_id(&mut p);
        p.exp_string(PROMPT).unwrap();
        p.send_control('d').unwrap();
        exits(&mut p)
    })
    .await;
    assert!(said.contains("resume with:"), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_wants_a_token_says_so_in_words() {
    let mut settings = test_settings();
    settings.auth = true;
    let app = spawn_app_with(settings, TutorVoice::Offline).await;
    let server = format!("http://{}", app.addr);
    let said = in_pty(move || {
        let (mut p, _dir) = chat(&["--server", &server]);
        let said = p.exp_eof().unwrap();
        let status = p.process_mut().wait().unwrap();
        (said, status)
    })
    .await;
    assert!(
        said.0.contains("this server needs a token") && said.0.contains("--token"),
        "{}",
        said.0
    );
    assert!(
        !said.0.contains("unauthorized") && !said.0.contains("hello"),
        "no protocol words: {}",
        said.0
    );
    assert!(
        !matches!(said.1, rexpect::process::WaitStatus::Exited(_, 0)),
        "a refused start is a failure"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn quit_after_review_done_exits_at_once() {
    use klover_domain::{CheckpointId, CurriculumId};
    use klover_store::{CardSource, ReviewCard};
    let app = spawn_app().await;
    let local = app.store.create_learner("local").await.unwrap();
    app.store
        .upsert_review_card(&ReviewCard {
            learner: local.id.clone(),
            curriculum: CurriculumId::parse("async-python").unwrap(),
            checkpoint: CheckpointId::parse("cpu-task-blocks-loop").unwrap(),
            memory: None,
            due_at: chrono::Utc::now() - chrono::Duration::hours(2),
            last_review_at: None,
            reps: 0,
            lapses: 0,
            source: CardSource::Aha,
            suspended: false,
        })
        .await
        .unwrap();
    let server = format!("http://{}", app.addr);
    let said = in_pty(move || {
        let (mut p, _dir) = chat(&["--server", &server, "--review"]);
        p.exp_string("Review: 1 checkpoint due").unwrap();
        p.exp_string(PROMPT).unwrap();
        p.send_line(
            "A CPU-bound task never reaches a wait, so it blocks the single-threaded event \
             loop: everything else pauses.",
        )
        .unwrap();
        p.exp_string("Review done").unwrap();
        p.send_line("/quit").unwrap();
        exits(&mut p)
    })
    .await;
    assert!(said.contains("resume with:"), "{said}");
}
