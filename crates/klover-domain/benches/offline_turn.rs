//! One offline turn (rubric assessment, learner model update, aha, policy, offline voice)
//! on the reference curriculum. The figure goes to `docs/benchmarks.md` ("Engine").
//!
//! `cargo bench -p klover-domain --bench offline_turn`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::Path;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use klover_domain::ConceptId;
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
            || state.clone(),
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
            || state.clone(),
            |mut s| black_box(offline_turn(&curriculum, &mut s, black_box(short), None)),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
