#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]
use klover_domain::engine::replay::replay;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let c = klover_domain::testing::load(&args[1]);
    let script = std::fs::read_to_string(&args[2]).unwrap();
    let concept = args
        .get(3)
        .map(|s| klover_domain::ConceptId::parse(s).unwrap());
    for t in replay(&c, concept.as_ref(), &script).unwrap() {
        let aha = t
            .aha
            .get()
            .map(|a| {
                format!(
                    " AHA[{}:{}]",
                    a.checkpoint.as_ref().map(|c| c.as_str()).unwrap_or("-"),
                    a.triggered_by.kind()
                )
            })
            .unwrap_or_default();
        println!(
            "{} [{}] {}\n   covered={:?} mis={:?} flags={:?}{}\n   -> [{}] {}",
            t.turn,
            t.concept,
            t.learner,
            t.covered.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            t.misconceptions
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>(),
            t.flags,
            aha,
            t.tutor_move.as_ref().map_or("none", |m| m.kind()),
            t.tutor
        );
    }
}
