//! Shared helpers for the LLM adapter's tests: a small inline curriculum, the reference
//! curriculum from the repository, and a config pointing at the fake server.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use klover_domain::Curriculum;
use klover_domain::curriculum::{SourceFile, load_sources};
use klover_llm::{ApiKey, LlmConfig};

/// A config for the fake server at `base_url`: fast retries, and timeouts generous enough
/// for a busy machine.
pub fn config(base_url: String) -> LlmConfig {
    let mut c = LlmConfig::new(base_url, ApiKey::new("sk-test-key"), "fake-model");
    c.timeouts.first_token = Duration::from_secs(10);
    c.timeouts.between_chunks = Duration::from_secs(10);
    c.retry.base_delay = Duration::from_millis(10);
    c
}

/// [`config`] with short timeouts, for tests that wait for one to fire.
pub fn hang_config(base_url: String) -> LlmConfig {
    let mut c = config(base_url);
    c.timeouts.first_token = Duration::from_millis(300);
    c.timeouts.between_chunks = Duration::from_millis(300);
    c
}

const MANIFEST: &str = r#"
id = "fixture"
title = "Async, a fixture"
version = "1"
"#;

const BASICS: &str = r#"
id = "io-basics"
title = "The basics"
opening_question = "In your own words: what is the difference between sync and async?"
summary = "Async helps when the CPU would otherwise sit waiting on I/O."

[[checkpoints]]
id = "sync-waits"
statement = "Synchronous code waits for each operation to complete before moving on."
cues = ["sync wait"]
hints = ["What does a sync worker do until the reply arrives?", "Can the next line start before the slow call returns?"]

[[checkpoints]]
id = "cpu-idle-on-io"
statement = "While waiting on I/O the CPU has nothing to do, so that time is wasted in sync code."
cues = ["cpu idle"]
hints = ["When you call an API or query a database, what do these have in common?", "What is the CPU doing while the network answers?"]

[[misconceptions]]
id = "async-is-faster"
belief = "Async makes every task faster."
cues = ["async faster"]
question = "If a task is crunching numbers the whole time, what would async let the worker switch to?"
"#;

/// The small inline curriculum (one concept, two checkpoints, one misconception).
pub fn fixture() -> Curriculum {
    let f = |p: &str, t: &str| SourceFile {
        path: p.into(),
        text: t.into(),
    };
    load_sources(&[
        f("curriculum.toml", MANIFEST),
        f("concepts/01.toml", BASICS),
    ])
    .unwrap()
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Loads a curriculum folder of the repository.
pub fn load(dir: &str) -> Curriculum {
    let root = repo().join(dir);
    let mut files = vec![SourceFile {
        path: "curriculum.toml".into(),
        text: std::fs::read_to_string(root.join("curriculum.toml")).unwrap(),
    }];
    let mut entries: Vec<_> = std::fs::read_dir(root.join("concepts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        files.push(SourceFile {
            path: format!("concepts/{}", p.file_name().unwrap().to_string_lossy()),
            text: std::fs::read_to_string(&p).unwrap(),
        });
    }
    load_sources(&files).unwrap_or_else(|e| panic!("{dir} does not load: {e}"))
}
