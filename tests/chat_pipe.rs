//! `klover chat` driven through a pipe against a real server: plain output, one line per
//! learner message, each sent after the previous reply; the seed's first lines complete
//! the first concept of the reference curriculum offline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Stdio;
use std::time::Duration;

use support::spawn_app;
use tokio::io::AsyncWriteExt;

async fn chat(server: &str, input: &str, extra: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    chat_in(dir.path(), server, input, extra).await
}

async fn chat_in(
    cwd: &std::path::Path,
    server: &str,
    input: &str,
    extra: &[&str],
) -> (bool, String, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_klover"))
        .args(["chat", "--server", server])
        .current_dir(cwd)
        .args(extra)
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

#[tokio::test]
async fn klover_chat_through_a_pipe_completes_the_first_concept_offline() {
    let app = spawn_app().await;
    let lines: Vec<String> = support::seed_lines().into_iter().take(3).collect();
    let input = lines.join("\n") + "\n/progress\n/export\n";
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = chat_in(dir.path(), &format!("http://{}", app.addr), &input, &[]).await;
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    // Every learner line was sent, in order, each after a whole reply.
    let mut at = 0;
    for line in &lines {
        let me = out[at..]
            .find(&format!("Me: {line}"))
            .expect("line echoed in order");
        at += me;
        let reply = out[at..].find("Klover: ").expect("a reply after each line");
        at += reply;
    }
    assert!(out.starts_with("Async in Python"), "{out}");
    assert!(
        out.contains("── next concept:"),
        "the first concept is complete:\n{out}"
    );
    assert!(out.contains("(io-vs-cpu)"), "{out}");
    assert!(out.contains("★ aha"), "{out}");
    assert!(out.contains('✓'), "{out}");
    // `/export` saved the session as a blog post in the working folder.
    let saved: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 1, "{err}");
    let post = std::fs::read_to_string(&saved[0]).unwrap();
    assert!(post.contains(&lines[0][..40]), "{post}");
    assert!(err.contains("saved klover-"), "{err}");
    let sessions = app
        .store
        .list_sessions(
            &app.store
                .find_learner_by_name("local")
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].current_concept.as_str(), "io-vs-cpu");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn klover_chat_says_clearly_when_no_server_is_there() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let (ok, _out, err) = chat(&format!("http://{addr}"), "hello\n", &[]).await;
    assert!(!ok);
    assert!(err.contains("klover serve"), "{err}");
}

#[tokio::test]
async fn klover_chat_reconnects_after_a_server_restart_and_resumes_the_same_session() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let app = spawn_app().await;
    let addr = app.addr;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_klover"))
        .args(["chat", "--server", &format!("http://{addr}")])
        .env_remove("KLOVER_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let lines = support::seed_lines();
    stdin
        .write_all(format!("{}\n", lines[0]).as_bytes())
        .await
        .unwrap();
    // Wait for the reply's progress line: the first turn is done.
    let mut seen = Vec::new();
    let mut progress = 0;
    while progress < 2 {
        let line = tokio::time::timeout(Duration::from_secs(20), out.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        progress += usize::from(line.trim_start().starts_with('['));
        seen.push(line);
    }
    let (result, db) = app.stop_keeping_db().await;
    result.unwrap();
    let app = support::restart_on(addr, db).await;
    stdin
        .write_all(format!("{}\n", lines[1]).as_bytes())
        .await
        .unwrap();
    drop(stdin);
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(30), out.next_line()).await
    {
        seen.push(line);
    }
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    let text = seen.join("\n");
    assert!(status.success(), "{text}");
    assert!(text.contains(&format!("Me: {}", lines[1])), "{text}");
    let learner = app
        .store
        .find_learner_by_name("local")
        .await
        .unwrap()
        .unwrap()
        .id;
    let sessions = app.store.list_sessions(&learner).await.unwrap();
    assert_eq!(sessions.len(), 1, "resumed, not restarted: {text}");
    let turns = app.store.turns(&sessions[0].id).await.unwrap();
    let learner_turns: Vec<_> = turns
        .iter()
        .filter(|t| t.role == klover_store::TurnRole::Learner)
        .map(|t| t.text.clone())
        .collect();
    assert_eq!(learner_turns, lines[..2].to_vec());
    assert_eq!(turns.last().unwrap().role, klover_store::TurnRole::Tutor);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn klover_chat_uses_its_token_and_says_so_when_the_token_is_wrong() {
    let mut settings = support::test_settings();
    settings.auth = true;
    let app = support::spawn_app_with(settings, klover_server::TutorVoice::Offline).await;
    let token = app.token_for("ada").await;
    let server = format!("http://{}", app.addr);
    let line = format!("{}\n", support::seed_lines()[0]);
    let (ok, out, err) = chat(&server, &line, &["--token", "klv_wrong"]).await;
    assert!(!ok, "{out}");
    assert!(err.contains("--token"), "{err}");
    let (ok, out, err) = chat(&server, &line, &["--token", &token]).await;
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("Me: Async is after"), "{out}");
    let ada = app
        .store
        .find_learner_by_name("ada")
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(app.store.list_sessions(&ada).await.unwrap().len(), 1);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn klover_chat_continues_where_the_learner_left_off_and_new_starts_from_scratch() {
    let app = spawn_app().await;
    let server = format!("http://{}", app.addr);
    let lines: Vec<String> = support::seed_lines().into_iter().take(3).collect();
    let (ok, out, err) = chat(&server, &(lines.join("\n") + "\n"), &[]).await;
    assert!(
        ok && out.contains("(io-vs-cpu)"),
        "stdout:\n{out}\nstderr:\n{err}"
    );

    // The next day: the second concept, not "The basics" again.
    let (ok, out, err) = chat(&server, "", &[]).await;
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    let heading = out.lines().next().unwrap_or_default();
    assert!(heading.ends_with("— I/O-bound vs CPU-bound"), "{out}");

    // `--new`: from scratch, the first concept.
    let (ok, out, err) = chat(&server, "", &["--new"]).await;
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    let heading = out.lines().next().unwrap_or_default();
    assert!(heading.ends_with("— The basics"), "{out}");
    app.stop().await.unwrap();
}
