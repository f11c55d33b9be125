//! One offline turn (rubric assessment, learner model update, aha, policy, offline voice)
//! on the reference curriculum. The figure goes to `docs/benchmarks.md` ("Engine").
//!
//! `cargo bench -p klover-domain --bench offline_turn`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::Path;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use klover_domain::ConceptId;
use klover_domain::assess::{forget_recent_texts, forget_token_words};
use klover_domain::curriculum::{SourceFile, load_sources};
use klover_domain::engine::{jump, offline_turn, start};

fn async_python() -> klover_domain::Curriculum {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../curriculum/async-python");
    let mut files = vec![SourceFile {
        path: "curriculum.toml".into(),
        text: std::fs::read_to_string(root.join("curriculum.toml")).unwrap(),
    }];
    for e in std::fs::read_dir(root.join("concepts")).unwrap() {
        let p = e.unwrap().path();
        files.push(SourceFile {
            path: format!("concepts/{}", p.file_name().unwrap().to_string_lossy()),
            text: std::fs::read_to_string(&p).unwrap(),
        });
    }
    load_sources(&files).unwrap()
}

fn bench(c: &mut Criterion) {
    let curriculum = async_python();
    let (mut state, opening) = start(&curriculum, None).unwrap();
    jump(
        &curriculum,
        &mut state,
        &ConceptId::parse("event-loop").unwrap(),
    )
    .unwrap();
    let line = "The loop runs one task until it hits an await, then switches to another; \
                if a task never waits, everything else pauses.";
    c.bench_function("offline_turn/event-loop", |b| {
        b.iter_batched(
            || {
                forget_recent_texts();
                state.clone()
            },
            |mut s| {
                black_box(offline_turn(
                    &curriculum,
                    &mut s,
                    black_box(line),
                    Some(&opening.offline_text),
                ))
            },
            BatchSize::SmallInput,
        )
    });
    let (state, _) = start(&curriculum, None).unwrap();
    let short = "Everything else pauses.";
    c.bench_function("offline_turn/short-answer", |b| {
        b.iter_batched(
            || {
                forget_recent_texts();
                state.clone()
            },
            |mut s| black_box(offline_turn(&curriculum, &mut s, black_box(short), None)),
            BatchSize::SmallInput,
        )
    });
    // The learner's lines of the reference conversation, one after another, each answering
    // the opening question of *The basics* (a new text each time, as in a real session).
    let (state, opening) = start(&curriculum, None).unwrap();
    let mut next = SEED_LINES.iter().cycle();
    c.bench_function("offline_turn/seed-lines", |b| {
        b.iter_batched(
            || {
                forget_recent_texts();
                (state.clone(), *next.next().unwrap())
            },
            |(mut s, line)| {
                black_box(offline_turn(
                    &curriculum,
                    &mut s,
                    black_box(line),
                    Some(&opening.offline_text),
                ))
            },
            BatchSize::SmallInput,
        )
    });
    // Texts nobody on the team tuned to (the held-back wordings), one after another, each
    // answering its concept's question.
    let wordings = unseen_wordings(&curriculum);
    let mut next = wordings.iter().cycle();
    c.bench_function("offline_turn/unseen-wordings", |b| {
        b.iter_batched(
            || {
                forget_recent_texts();
                let (s, text, context) = next.next().unwrap();
                (s.clone(), text, context)
            },
            |(mut s, text, context)| {
                black_box(offline_turn(
                    &curriculum,
                    &mut s,
                    black_box(text),
                    Some(context.as_str()).filter(|c| !c.is_empty()),
                ))
            },
            BatchSize::SmallInput,
        )
    });
    // The same, with no word of the text seen before in this thread (a process's first
    // turns): each token is matched against the vocabulary (`forget_token_words`).
    let mut next = wordings.iter().cycle();
    c.bench_function("offline_turn/unseen-wordings-unseen-words", |b| {
        b.iter_batched(
            || {
                forget_recent_texts();
                forget_token_words();
                let (s, text, context) = next.next().unwrap();
                (s.clone(), text, context)
            },
            |(mut s, text, context)| {
                black_box(offline_turn(
                    &curriculum,
                    &mut s,
                    black_box(text),
                    Some(context.as_str()).filter(|c| !c.is_empty()),
                ))
            },
            BatchSize::SmallInput,
        )
    });
}

/// The held-back wordings' texts (`tests/data/heldback-*.toml`: blind learner wordings
/// nobody tuned to), each with the state of its concept and the tutor's question it
/// answers.
fn unseen_wordings(
    curriculum: &klover_domain::Curriculum,
) -> Vec<(klover_domain::engine::SessionState, String, String)> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut states = std::collections::HashMap::new();
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("heldback"))
        .collect();
    files.sort();
    for path in files {
        let doc: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
        for w in doc["wording"].as_array().unwrap() {
            let concept = w["concept"].as_str().unwrap();
            let state = states.entry(concept.to_owned()).or_insert_with(|| {
                let (mut s, _) = start(curriculum, None).unwrap();
                jump(curriculum, &mut s, &ConceptId::parse(concept).unwrap()).unwrap();
                s
            });
            let context = w.get("context").and_then(|c| c.as_str()).unwrap_or("");
            let text = w["text"].as_str().unwrap();
            out.push((state.clone(), text.to_owned(), context.to_owned()));
        }
    }
    out
}

/// The learner's lines ("Me:") of `shared/seed/000_d81f72e6670a64cc.txt`.
const SEED_LINES: &[&str] = &[
    "Async is after initiating a process, a worker can then attend to another process while waiting for the initial process to complete. Sync is when the worker has to wait for the process to complete fully before it can move on to something else.",
    "Sounds like there is something delegating the tasks and the worker is something like a processing engine?",
    "They might take a long time for something to return? Or maybe the job itself doesn't require the worker.",
    "Async makes sense when it is I/O-bound. Since it is waiting on something, it can attend to something else. Async would not help the other as it is literally doing the job itself and has to take time to crunch out the numbers.",
    "Everything else pauses.",
    "So if async only solves I/O-bound problems, what about CPU-bound work? More threads?",
    "So you mean only 1 thread can execute code at one time? What exactly is a thread?",
    "So multiprocessing means there will be more GILs able to work? More actual threads doing computing?",
    "You can't create 10,000 threads right? It will hit some sort of limit.",
    "Async. Because most of the actions are done externally. While waiting, it can attend to other tasks.",
    "The first one will have problems. Does await only run when the previous dependency is done?",
];

criterion_group!(benches, bench);
criterion_main!(benches);
