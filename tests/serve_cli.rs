//! `klover serve` as a process: a fresh folder works with defaults (the built-in reference
//! curriculum), a missing curriculum folder that was asked for, a port in use and a
//! database that cannot be opened are reported with the setting to change, SIGTERM shuts it down cleanly
//! (even right after start-up), and its logs suit a terminal, a pipe or a log collector.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn a_missing_curriculum_folder_is_reported_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_klover"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--curriculum-dir",
            "curriculum",
        ])
        .current_dir(dir.path())
        .env_remove("KLOVER_CURRICULUM_DIR")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`curriculum` does not exist"), "{err}");
    assert!(err.contains("--curriculum-dir"), "{err}");
}

#[test]
fn a_port_in_use_creates_no_database_and_names_the_bind_setting() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_klover"))
        .args(["serve"])
        .current_dir(dir.path())
        .env("KLOVER_BIND", &addr)
        .env_remove("KLOVER_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
    assert!(
        err.contains("`bind` (from env KLOVER_BIND; set it with --bind"),
        "names the setting and where it was set:\n{err}"
    );
    assert!(
        !dir.path().join("klover.db").exists(),
        "the port is bound before the database is created"
    );
}

#[test]
fn a_database_that_cannot_be_opened_names_the_database_url_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_klover"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("DATABASE_URL", "sqlite:///nonexistent-dir/sub/k.db")
        .env_remove("KLOVER_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`database_url` (from env DATABASE_URL"),
        "{err}"
    );
}

#[test]
fn serve_with_defaults_answers_then_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_klover"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("KLOVER_CURRICULUM_DIR")
        .env_remove("DATABASE_URL")
        .env_remove("KLOVER_DATABASE_URL")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        assert!(err.read_line(&mut line).unwrap() > 0, "serve exited early");
        if let Some(rest) = line.split("serving on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body = rt.block_on(async {
        reqwest::get(format!("http://{addr}/readyz"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert!(body.contains("ready"), "{body}");
    let curricula = rt.block_on(async {
        reqwest::get(format!("http://{addr}/api/curricula"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert!(
        curricula.contains("\"async-python\""),
        "with no curriculum/ folder the built-in reference curriculum is taught: {curricula}"
    );
    assert!(
        dir.path().join("klover.db").exists(),
        "SQLite file created on first use"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}

/// Starts `klover serve` in a fresh folder with `envs`, reads stderr up to the "serving on"
/// line, stops it with SIGTERM and returns the log lines read before it.
fn log_lines_until_serving(envs: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klover"));
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("KLOVER_CURRICULUM_DIR")
        .env_remove("DATABASE_URL")
        .env_remove("KLOVER_DATABASE_URL")
        .env_remove("KLOVER_LOG_FORMAT")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "serve exited early: {lines:?}"
        );
        if line.contains("serving on http://") {
            break;
        }
        lines.push(line.trim_end().to_owned());
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success());
    lines
}

#[test]
fn json_logs_are_one_object_per_line_for_log_collectors() {
    let lines = log_lines_until_serving(&[("KLOVER_LOG_FORMAT", "json")]);
    assert!(!lines.is_empty(), "start-up logs something");
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string(), "{line}");
        assert!(v["fields"]["message"].is_string(), "{line}");
    }
    assert!(
        lines.iter().any(|l| l.contains("klover is listening")),
        "{lines:?}"
    );
}

#[test]
fn text_logs_to_a_pipe_carry_no_colour_codes() {
    let lines = log_lines_until_serving(&[]);
    assert!(
        lines.iter().any(|l| l.contains("klover is listening")),
        "{lines:?}"
    );
    for line in &lines {
        assert!(
            !line.contains('\u{1b}'),
            "escape code in a piped log: {line:?}"
        );
    }
}
