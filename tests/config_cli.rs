//! The one settings loader as the binary uses it: every subcommand reads `klover.toml`
//! (or `--config`), `klover config show` says where each value came from, and the
//! aliases lose to their `KLOVER_` names.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

/// `klover args…` in `dir` with `env` and none of the test environment's Klover variables.
fn klover(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klover"));
    for (name, _) in std::env::vars() {
        if name.starts_with("KLOVER_") || name == "DATABASE_URL" || name == "OPENAI_API_KEY" {
            cmd.env_remove(name);
        }
    }
    cmd.args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn token_create_writes_into_the_database_that_klover_toml_names() {
    let here = tempfile::tempdir().unwrap();
    let db = here.path().join("data").join("tokens.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let url = format!("sqlite://{}", db.display());
    std::fs::write(
        here.path().join("klover.toml"),
        format!("database_url = \"{url}\"\n"),
    )
    .unwrap();
    let token = ok(&klover(
        here.path(),
        &["token", "create", "--learner", "ada"],
        &[],
    ));
    assert!(token.starts_with("klv_"), "{token}");
    assert!(db.exists(), "the token went into {url}");
    assert!(
        !here.path().join("klover.db").exists(),
        "no stray ./klover.db"
    );
    let list = ok(&klover(here.path(), &["token", "list"], &[]));
    assert!(list.contains("\tada\t"), "{list}");
}

#[test]
fn config_flag_works_after_any_subcommand_and_a_missing_file_is_an_error() {
    let here = tempfile::tempdir().unwrap();
    let settings = here.path().join("prod.toml");
    std::fs::write(&settings, "bind = \"127.0.0.1:4999\"\n").unwrap();
    let shown = ok(&klover(
        here.path(),
        &["config", "show", "--config", settings.to_str().unwrap()],
        &[],
    ));
    assert!(
        shown.contains("bind = \"127.0.0.1:4999\"") && shown.contains("# file "),
        "{shown}"
    );
    let out = klover(
        here.path(),
        &["--config", "missing.toml", "token", "list"],
        &[],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing.toml") && err.contains("--config"),
        "{err}"
    );
}

#[test]
fn config_show_names_each_origin_and_redacts_secrets() {
    let here = tempfile::tempdir().unwrap();
    std::fs::write(
        here.path().join("klover.toml"),
        "[limits]\nrate_burst = 3\n",
    )
    .unwrap();
    let shown = ok(&klover(
        here.path(),
        &["config", "show"],
        &[
            ("KLOVER_DATABASE_URL", "postgres://ada:hunter2@db/klover"),
            ("DATABASE_URL", "sqlite://loses.db"),
            ("OPENAI_API_KEY", "sk-secret-alias"),
        ],
    ));
    let line = |key: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(&format!("{key} =")))
            .unwrap_or_else(|| panic!("no {key} in\n{shown}"))
            .to_owned()
    };
    assert!(
        line("limits.rate_burst").ends_with("# file klover.toml"),
        "{shown}"
    );
    assert!(
        line("database_url").ends_with("# env KLOVER_DATABASE_URL"),
        "{shown}"
    );
    assert!(
        line("llm.api_key").ends_with("# env OPENAI_API_KEY"),
        "{shown}"
    );
    assert!(line("bind").ends_with("# default"), "{shown}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("sk-secret"),
        "{shown}"
    );
}

#[test]
fn replay_without_a_curriculum_flag_uses_the_curriculum_serve_would_teach() {
    let here = tempfile::tempdir().unwrap();
    let script = here.path().join("lines.txt");
    std::fs::write(
        &script,
        "Async code lets the program do other work while it waits.\n",
    )
    .unwrap();
    let out = ok(&klover(here.path(), &["replay", "lines.txt"], &[]));
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert!(first.is_object(), "{out}");
}
