//! Test fixtures shared by the domain's tests and the adapters' tests, so that each
//! small curriculum has one home: a loader for inline concept files, the tiny
//! three-concept curriculum of the policy tests, the async fixture of the prompt and LLM
//! tests, and the repository's curriculum folders read from disk.
//!
//! Compiled for this crate's unit tests (`cfg(test)`) and, through the `test-support`
//! feature, for integration tests: this crate's own (it is its own dev-dependency with
//! the feature) and klover-llm's. Never in a normal build, so the domain stays free of
//! I/O: only [`load`] reads files, for tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use crate::curriculum::{Curriculum, SourceFile, load_sources};

/// Loads a curriculum from `(path, text)` pairs (`curriculum.toml` and
/// `concepts/<name>.toml`); panics with the problems when it does not load.
pub fn curriculum(files: &[(&str, &str)]) -> Curriculum {
    let files: Vec<SourceFile> = files
        .iter()
        .map(|(path, text)| SourceFile {
            path: (*path).into(),
            text: (*text).into(),
        })
        .collect();
    load_sources(&files).unwrap_or_else(|e| panic!("the fixture does not load: {e}"))
}

/// The manifest of a one-off test curriculum (id `t`).
pub const MANIFEST: &str = "id = \"t\"\ntitle = \"T\"\nversion = \"1\"\n";

/// A curriculum of one concept, from the text of its file (under [`MANIFEST`]).
pub fn one_concept(concept: &str) -> Curriculum {
    curriculum(&[("curriculum.toml", MANIFEST), ("concepts/a.toml", concept)])
}

/// Concept `a` of [`small`]: `alpha` states `x`, `beta` states `y`, whose statements
/// say "Secret statement" (a leak is easy to spot); `cheese` shows the misconception `m`,
/// which has a question and no authored correction.
pub const SMALL: &str = r#"
id = "a"
title = "A"
opening_question = "Explain A?"
summary = "A."
[[checkpoints]]
id = "x"
statement = "Secret statement x."
cues = ["alpha"]
hints = ["Hint x one?", "Hint x two?"]
[[checkpoints]]
id = "y"
statement = "Secret statement y."
cues = ["beta"]
hints = ["Hint y one?", "Hint y two?"]
[[misconceptions]]
id = "m"
belief = "The Moon is cheese."
cues = ["cheese"]
question = "What is the Moon made of?"
"#;

/// The smallest useful curriculum: the one concept [`SMALL`].
pub fn small() -> Curriculum {
    one_concept(SMALL)
}

/// The tiny curriculum's manifest.
pub const TINY_MANIFEST: &str = r#"
id = "tiny"
title = "Tiny"
version = "1"
"#;

/// Concept A of [`tiny`]: `alpha` states checkpoint `x` (two hints, a prompt, a
/// confirmation), `beta` states `y` (two hints, a review question), `gamma` shows
/// misconception `m`; the analogy `pic`; the question "What does A mean?".
pub const TINY_A: &str = r#"
id = "a"
title = "Concept A"
opening_question = "Explain A?"
summary = "A is alpha and beta."

[[checkpoints]]
id = "x"
statement = "X is alpha."
cues = ["alpha"]
hints = ["Vague hint about x?", "Specific hint about x?"]
prompt = "X is ___?"
confirmation = "Exactly: x."

[[checkpoints]]
id = "y"
statement = "Y is beta."
cues = ["beta"]
hints = ["Vague hint about y?", "Specific hint about y?"]
review_question = "Review question about y?"

[[misconceptions]]
id = "m"
belief = "Gamma is true."
cues = ["gamma"]
question = "Is gamma really true?"
correction = "Gamma is false."

[[analogies]]
id = "pic"
text = "A picture."

[[questions]]
cues = ["what+does+a+mean"]
answer = "Alpha is a word. What do you make of it?"
"#;

/// Concept B of [`tiny`] (needs A): `delta` states `z`; the question "What is zeta?".
pub const TINY_B: &str = r#"
id = "b"
title = "Concept B"
prerequisites = ["a"]
opening_question = "Explain B?"
summary = "B is delta."

[[checkpoints]]
id = "z"
statement = "Z is delta."
cues = ["delta"]
hints = ["Hint z one?", "Hint z two?"]

[[questions]]
cues = ["what+is+zeta"]
answer = "Zeta comes after delta. What do you make of it?"
"#;

/// Concept C of [`tiny`] (needs B): `epsilon` states `w`; the question "What is omega?".
pub const TINY_C: &str = r#"
id = "c"
title = "Concept C"
prerequisites = ["b"]
opening_question = "Explain C?"
summary = "C is epsilon."

[[checkpoints]]
id = "w"
statement = "W is epsilon."
cues = ["epsilon"]
hints = ["Hint w one?", "Hint w two?"]

[[questions]]
cues = ["what+is+omega"]
answer = "Omega is the last letter. Why would it come last?"
"#;

/// The policy tests' curriculum: concepts A → B → C whose cues are single made-up words,
/// so that each test reads as a dialogue (files listed out of path order on purpose).
pub fn tiny() -> Curriculum {
    curriculum(&[
        ("curriculum.toml", TINY_MANIFEST),
        ("concepts/01-a.toml", TINY_A),
        ("concepts/02-c.toml", TINY_C),
        ("concepts/03-b.toml", TINY_B),
    ])
}

/// The async fixture's manifest (id `fixture`).
pub const ASYNC_MANIFEST: &str = r#"
id = "fixture"
title = "Async, a fixture"
version = "1"
"#;

/// The async fixture's first concept, `io-basics`: checkpoints `sync-waits` (with a
/// prompt) and `cpu-idle-on-io`, misconception `async-is-faster`, the analogy `chef`,
/// the question "what thread".
pub const ASYNC_BASICS: &str = r#"
id = "io-basics"
title = "The basics"
opening_question = "In your own words: what is the difference between sync and async?"
summary = "Async helps when the CPU would otherwise sit waiting on I/O."

[[checkpoints]]
id = "sync-waits"
statement = "Synchronous code waits for each operation to complete before moving on."
cues = ["sync wait"]
hints = ["What does a sync worker do until the reply arrives?", "Can the next line start before the slow call returns?"]
prompt = "So in sync code, the worker has to ___ for the call to finish?"

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
correction = "Async only helps when the bottleneck is waiting, not computing."

[[analogies]]
id = "chef"
text = "A single chef puts a dish in the oven and chops vegetables instead of staring at it."

[[questions]]
cues = ["what thread"]
answer = "A thread is a sequence of instructions the CPU follows, like a to-do list."
"#;

/// The async fixture's second concept, `event-loop` (needs `io-basics`).
pub const ASYNC_LOOP: &str = r#"
id = "event-loop"
title = "The event loop"
prerequisites = ["io-basics"]
opening_question = "What decides which task runs next?"
summary = "The event loop runs a task until it waits, then picks up the next."

[[checkpoints]]
id = "loop-switches"
statement = "The event loop parks a waiting task and runs another."
cues = ["loop switch"]
hints = ["Who notices a task is waiting?", "What happens to the waiting task?"]
"#;

/// A small async curriculum in the reference curriculum's words: `io-basics`, then
/// `event-loop` (the prompt and LLM tests).
pub fn async_fixture() -> Curriculum {
    curriculum(&[
        ("curriculum.toml", ASYNC_MANIFEST),
        ("concepts/01.toml", ASYNC_BASICS),
        ("concepts/02.toml", ASYNC_LOOP),
    ])
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Loads a curriculum folder of the repository (relative to its root) with std::fs.
pub fn load(dir: &str) -> Curriculum {
    load_sources(&files(dir)).unwrap_or_else(|e| panic!("{dir} does not load: {e}"))
}

/// The files of a curriculum folder of the repository (relative to its root), manifest
/// first, then the concept files in name order.
pub fn files(dir: &str) -> Vec<SourceFile> {
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
    files
}

/// The reference curriculum (`curriculum/async-python`).
pub fn async_python() -> Curriculum {
    load("curriculum/async-python")
}

/// The second curriculum, git branches (`tests/fixtures/curricula/git-branches`).
pub fn git_branches() -> Curriculum {
    load("tests/fixtures/curricula/git-branches")
}
