//! Secrets never reach the log: `klover serve` at `RUST_LOG=trace`, a learner with a
//! token in the URL and another in a `hello` frame, and the whole log has no token.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;

use crate::support::{WsClient, curriculum_dir};

#[tokio::test]
async fn tokens_never_appear_in_the_log_even_at_trace() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/k.db?mode=rwc", dir.path().display());
    let bin = env!("CARGO_BIN_EXE_klover");
    let created = Command::new(bin)
        .args(["token", "create", "--learner", "ada", "--database-url", &db])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();

    let mut child = Command::new(bin)
        .args([
            "serve",
            "--auth",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            &db,
        ])
        .arg("--curriculum-dir")
        .arg(curriculum_dir())
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("klover serve said where it listens");
        let found = line
            .contains("klover is listening")
            .then(|| line.split("addr=").nth(1))
            .flatten()
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned);
        log.push(line);
        if let Some(addr) = found {
            break addr;
        }
    };

    let mut by_url = WsClient::connect(&format!("ws://{addr}/ws?token={token}"))
        .await
        .unwrap();
    by_url.start("async-python", None).await;
    by_url.turn("the worker waits for the call").await;
    let mut by_hello = WsClient::connect(&format!("ws://{addr}/ws")).await.unwrap();
    by_hello
        .send(json!({"type": "hello", "version": 1, "token": token}))
        .await;
    assert_eq!(by_hello.next().await["type"], "welcome");
    by_hello.start("async-python", None).await;
    let api = reqwest::Client::new()
        .get(format!("http://{addr}/api/sessions?token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 200);
    drop((by_url, by_hello));

    let _ = child.kill();
    let _ = child.wait();
    log.extend(rx.iter());
    let text = log.join("\n");
    assert!(text.contains("DEBUG"), "RUST_LOG was honoured:\n{text}");
    let secret = token.trim_start_matches("klv_");
    assert!(
        !text.contains(secret),
        "a token in the log:\n{}",
        log.iter()
            .filter(|l| l.contains(secret))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
