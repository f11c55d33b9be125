//! Assessment a teacher can trust, on the reference curriculum: the false credits, missed
//! misconceptions and missed right answers that new learners' wordings showed (issue
//! "Assessment a teacher can trust"), kept as regression cases. The curriculum's own
//! examples (run by `klover curriculum check`, see `tests/curriculum_check.rs`) are the
//! broad test; these pin the reported failures and each mechanism by name.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{async_python, credited, flagged};
use klover_domain::ConceptId;
use klover_domain::assess::{AssessRequest, RubricAssessor};

fn in_context(concept: &str, question: &str, text: &str) -> Vec<String> {
    let c = async_python();
    let id = ConceptId::parse(concept).unwrap();
    RubricAssessor::new()
        .assess_now(AssessRequest {
            curriculum: &c,
            concept: c.concept(&id).unwrap(),
            text,
            last_tutor: Some(question),
        })
        .covered()
        .into_iter()
        .map(|id| id.to_string())
        .collect()
}

#[test]
fn swapped_roles_credit_neither_memory_checkpoint_and_show_the_wrong_beliefs() {
    let c = async_python();
    let text = "processes share the same memory and threads each get their own private memory";
    let got = credited(&c, "threads-and-processes", text);
    assert!(!got.contains(&"threads-share-memory".to_owned()), "{got:?}");
    assert!(
        !got.contains(&"processes-separate-memory".to_owned()),
        "{got:?}"
    );
    let shown = flagged(&c, "threads-and-processes", text);
    assert!(
        shown.contains(&"processes-share-memory".to_owned())
            || shown.contains(&"threads-have-separate-memory".to_owned()),
        "{shown:?}"
    );
}

#[test]
fn the_right_claim_about_each_is_credited_when_both_are_stated() {
    let c = async_python();
    let got = credited(
        &c,
        "threads-and-processes",
        "threads share the same memory, whereas each process gets its own separate memory",
    );
    assert!(got.contains(&"threads-share-memory".to_owned()), "{got:?}");
    assert!(
        got.contains(&"processes-separate-memory".to_owned()),
        "{got:?}"
    );
}

#[test]
fn wrong_statements_reported_by_testers_are_not_praised() {
    let c = async_python();
    for (concept, text, not) in [
        (
            "io-vs-cpu",
            "i'd say async is best for the heavy calculations",
            "async-helps-io-bound",
        ),
        (
            "event-loop",
            "the loop waits right there for it to finish and only then goes on",
            "loop-runs-until-wait",
        ),
        (
            "threading-vs-async",
            "you cant run 10,000 threads because the cpu only has like 8 cores",
            "threads-cost-memory",
        ),
        (
            "gil",
            "because of the gil python can only ever use one core, even multiprocessing cant get around that",
            "one-gil-per-process",
        ),
    ] {
        let got = credited(&c, concept, text);
        assert!(!got.contains(&not.to_owned()), "{text:?} credited {got:?}");
    }
}

#[test]
fn misconceptions_reported_as_missed_are_flagged() {
    let c = async_python();
    for (concept, text, id) in [
        (
            "io-vs-cpu",
            "If I make my matrix multiplication async it will finish sooner",
            "async-makes-everything-faster",
        ),
        (
            "gil",
            "ThreadPoolExecutor with 16 workers will make my number crunching 16x faster",
            "more-threads-use-more-cores",
        ),
        (
            "event-loop",
            "asyncio.gather runs all the coroutines at the same time on different cores",
            "loop-runs-tasks-in-parallel",
        ),
        (
            "blocking-in-async",
            "once you mark a function async def it automatically runs in the background",
            "async-def-is-enough",
        ),
        (
            "threading-vs-async",
            "There is no real cost to threads",
            "threads-are-free",
        ),
    ] {
        let got = flagged(&c, concept, text);
        assert!(got.contains(&id.to_owned()), "{text:?} flagged {got:?}");
    }
}

#[test]
fn learner_spelling_does_not_hide_a_right_answer() {
    let c = async_python();
    for (concept, text, id) in [
        (
            "sync-vs-async",
            "sync code waits til each call is done before it moves on to the next one",
            "sync-waits-for-completion",
        ),
        (
            "sync-vs-async",
            "sync code has to wait untill the call finishes before moving on",
            "sync-waits-for-completion",
        ),
        (
            "threads-and-processes",
            "each process has its own seperate memory",
            "processes-separate-memory",
        ),
    ] {
        let got = credited(&c, concept, text);
        assert!(got.contains(&id.to_owned()), "{text:?} credited {got:?}");
    }
}

#[test]
fn an_answer_is_read_in_the_context_of_the_tutors_question() {
    let q = "Now the same worker runs async code and fires off the slow call. What does it do until the reply comes back?";
    let got = in_context(
        "sync-vs-async",
        q,
        "It goes off to do other tasks until the reply comes back",
    );
    assert!(
        got.contains(&"async-works-while-waiting".to_owned()),
        "{got:?}"
    );
    // The same words without the question do not say who goes off.
    let c = async_python();
    let alone = credited(&c, "sync-vs-async", "It goes off and comes back later");
    assert!(alone.is_empty(), "{alone:?}");
    // The question cannot be the answer: echoing its words brings nothing new.
    let echo = in_context("sync-vs-async", q, "until the reply comes back");
    assert!(echo.is_empty(), "{echo:?}");
}

#[test]
fn a_short_answer_fills_the_blank_of_a_fill_in_prompt() {
    let q = "So all threads inside one process share the same ___?";
    let got = in_context("threads-and-processes", q, "memory");
    assert!(got.contains(&"threads-share-memory".to_owned()), "{got:?}");
    let wrong = in_context("threads-and-processes", q, "process id i guess");
    assert!(wrong.is_empty(), "{wrong:?}");
    // The prompt already words most of the idea: the learner's word must carry a cue.
    let q = "So in sync code, the worker has to ___ for the call to finish before it moves on?";
    let got = in_context("sync-vs-async", q, "wait. just block there");
    assert!(
        got.contains(&"sync-waits-for-completion".to_owned()),
        "{got:?}"
    );
    let echo = in_context("sync-vs-async", q, "move on");
    assert!(echo.is_empty(), "{echo:?}");
    // Up to eight words fill the blank ("an await where its waiting on io", seven).
    let q = "The loop runs a task until it reaches a ___, then parks it and picks up the next one?";
    let got = in_context("event-loop", q, "an await where its waiting on io");
    assert!(got.contains(&"loop-runs-until-wait".to_owned()), "{got:?}");
    let q = "So while that sync requests.get() waits, the entire event loop is…?";
    let got = in_context("blocking-in-async", q, "frozen");
    assert!(
        got.contains(&"blocking-call-freezes-loop".to_owned()),
        "{got:?}"
    );
    // A "how many" question words the belief itself; only the learner's number shows it.
    let q = "On an 8-core machine, how many threads can execute Python code at the same instant in CPython?";
    let beliefs = |text: &str| {
        let c = async_python();
        let id = ConceptId::parse("gil").unwrap();
        RubricAssessor::new()
            .assess_now(AssessRequest {
                curriculum: &c,
                concept: c.concept(&id).unwrap(),
                text,
                last_tutor: Some(q),
            })
            .misconceptions
            .into_iter()
            .map(|m| m.id.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        beliefs("eight, one on each core"),
        ["more-threads-use-more-cores"]
    );
    assert!(beliefs("one, the GIL lets only one run").is_empty());
}

#[test]
fn an_insight_of_a_visited_concept_stated_in_passing_is_recorded_without_steering() {
    let c = async_python();
    let script = "@concept threads-and-processes\n@concept gil\nthe GIL exists because all the threads of a process share the same memory\n";
    let turns = klover_domain::engine::replay::replay(&c, None, script).unwrap();
    let t = &turns[0];
    assert_eq!(t.concept.as_str(), "gil");
    assert!(
        t.elsewhere
            .iter()
            .any(|id| id.as_str() == "threads-share-memory"),
        "{:?}",
        t.elsewhere
    );
    // The move stays with the GIL: nothing about threads' memory is confirmed.
    assert!(!t.tutor.contains("share the same memory"), "{}", t.tutor);
}

#[test]
fn a_replay_line_starting_with_a_quote_mark_sets_the_tutors_question() {
    let c = async_python();
    let script = "> Now the same worker runs async code and fires off the slow call. What does it do until the reply comes back?\nIt goes off to do other tasks until the reply comes back\n";
    let turns = klover_domain::engine::replay::replay(&c, None, script).unwrap();
    assert_eq!(turns.len(), 1, "the > line is not a learner turn");
    assert!(
        turns[0]
            .covered
            .iter()
            .any(|id| id.as_str() == "async-works-while-waiting"),
        "{:?}",
        turns[0].scores
    );
}

#[test]
fn a_review_answer_is_read_in_the_context_of_the_review_question() {
    let c = async_python();
    let cp = klover_domain::CheckpointId::parse("async-works-while-waiting").unwrap();
    let (mut state, opening) =
        klover_domain::engine::start_review(&c, std::slice::from_ref(&cp)).unwrap();
    assert!(
        opening.offline_text.contains("until the reply comes back"),
        "the review asks the authored review question: {}",
        opening.offline_text
    );
    let o = klover_domain::engine::offline_turn(
        &c,
        &mut state,
        "It goes off to do other tasks until the reply comes back",
        Some(&opening.offline_text),
    )
    .unwrap();
    assert!(o.assessment.score(&cp) >= 0.6, "{:?}", o.assessment.scores);
}

#[test]
fn an_unnamed_contradiction_never_credits_and_is_probed_like_a_misconception() {
    let c = async_python();
    let text = "sync code just gets on with other work while the call is out";
    let a = common::assess(&c, "sync-vs-async", text);
    assert!(a.misconceptions.is_empty(), "{:?}", a.misconceptions);
    // Sync doing what async does: the swapped role contradicts the async checkpoint.
    let contradicted = a
        .contradictions
        .first()
        .map(|x| x.checkpoint.clone())
        .unwrap_or_else(|| panic!("no contradiction: {a:?}"));
    assert_eq!(contradicted.as_str(), "async-works-while-waiting");
    assert!(a.covered().is_empty(), "{:?}", a.scores);
    // The tutor does not confirm anything: its next move aims at the contradicted checkpoint.
    let turns = klover_domain::engine::replay::replay(&c, None, &format!("{text}\n")).unwrap();
    let mv = serde_json::to_value(&turns[0].tutor_move).unwrap();
    assert_eq!(mv["checkpoint"], contradicted.as_str(), "{mv}");
    assert!(!turns[0].tutor.starts_with("Exactly"), "{}", turns[0].tutor);
}

#[test]
fn a_contradiction_in_one_sentence_blocks_the_checkpoint_in_every_sentence_of_the_turn() {
    let c = async_python();
    // Each sentence alone: the first is right, the third contradicts it.
    let right = "the GIL means one thread at a time.";
    assert!(credited(&c, "gil", right).contains(&"gil-one-thread-at-a-time".to_owned()));
    let text = "the GIL means one thread at a time... but only on single-core machines. on a multicore box each core gets its own lock";
    let got = credited(&c, "gil", text);
    assert!(
        !got.contains(&"gil-one-thread-at-a-time".to_owned()),
        "{got:?}"
    );
    // Also when the credit comes from the fill-in reading of the first sentence.
    let q = "So while that one task crunches numbers, the other tasks are…?";
    assert!(in_context("event-loop", q, "blocked").contains(&"cpu-task-blocks-loop".to_owned()));
    let got = in_context(
        "event-loop",
        q,
        "blocked, but only the ones that need its result. the independent tasks keep running fine",
    );
    assert!(got.is_empty(), "{got:?}");
    // So does a belief shown in another sentence when its author named the checkpoint as
    // one it contradicts: the learner has not shown the insight while holding it (the
    // policy challenges the belief first). Checkpoints the belief leaves alone keep theirs.
    let text = "Sync waits for each call to finish before the next. Async starts a request and while that's waiting it does other things. The tasks are really executing simultaneously on separate threads.";
    let got = credited(&c, "sync-vs-async", text);
    assert!(
        !got.contains(&"async-works-while-waiting".to_owned()),
        "{got:?}"
    );
    assert!(
        got.contains(&"sync-waits-for-completion".to_owned()),
        "{got:?}"
    );
    assert_eq!(
        flagged(&c, "sync-vs-async", text),
        ["async-runs-in-parallel"]
    );
    let right = "Async starts a request and while that's waiting it does other things.";
    assert!(credited(&c, "sync-vs-async", right).contains(&"async-works-while-waiting".to_owned()));
}

#[test]
fn a_question_opened_by_a_negated_auxiliary_proposes_its_belief() {
    let c = async_python();
    let shown = |text: &str| flagged(&c, "sync-vs-async", text);
    let got = shown(
        "I might be wrong, but isn't async just Python spreading the work over all the CPU cores simultaneously?",
    );
    assert_eq!(got, ["async-runs-in-parallel"]);
    // Only the negator that opens the question: a later one still negates.
    assert!(
        shown("Isn't it the case that async doesn't spread the work over all the cores?")
            .is_empty()
    );
    assert!(shown("async doesn't run things in parallel, does it?").is_empty());
}

#[test]
fn a_belief_quoted_corrected_or_only_seeming_is_not_shown() {
    let c = async_python();
    for (concept, text) in [
        (
            "sync-vs-async",
            "A friend told me async means running stuff on all your cores at once, but that's not it.",
        ),
        (
            "threads-and-processes",
            "People say threads each get their own memory, but that's processes.",
        ),
        (
            "threading-vs-async",
            "Threads feel free when you start five of them, but they aren't: each one drags a stack of a few MB along.",
        ),
    ] {
        assert!(flagged(&c, concept, text).is_empty(), "{text}");
    }
    let q = "A CPU-bound task never waits, so the time async could reuse is ___?";
    let c2 = async_python();
    let id = ConceptId::parse("io-vs-cpu").unwrap();
    let a = RubricAssessor::new().assess_now(AssessRequest {
        curriculum: &c2,
        concept: c2.concept(&id).unwrap(),
        text: "none, which is why \"async makes everything faster\" is a myth",
        last_tutor: Some(q),
    });
    assert!(a.misconceptions.is_empty(), "{:?}", a.misconceptions);
    // Held, not denied: still shown.
    let got = flagged(
        &c,
        "threading-vs-async",
        "Threads feel free, and honestly they are: start ten thousand, no problem.",
    );
    assert_eq!(got, ["threads-are-free"]);
}

/// Bounds a held-back batch must stay within (precision first).
struct Bounds {
    wordings: usize,
    false_credit: usize,
    praised_wrong: usize,
    false_flags: usize,
    recall: f64,
}

/// Runs a held-back batch of `tests/data` and checks it against `bounds` (its figures are
/// printed for `--nocapture`).
#[allow(clippy::print_stdout)]
fn held_back_stays_within(file: &str, bounds: Bounds) {
    use klover_domain::assess::examples;
    let c = async_python();
    let path = common::repo()
        .join("crates/klover-domain/tests/data")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let batch = examples::parse_batch(&text, file).unwrap();
    assert_eq!(batch.len(), bounds.wordings);
    let r = examples::run(&c, &batch);
    assert!(r.unknown.is_empty(), "{:?}", r.unknown);
    let (cps, mcs) = r.totals();
    println!("{}", r.summary());
    assert!(
        cps.false_hits <= bounds.false_credit,
        "false credit {}/{}",
        cps.false_hits,
        cps.counterexamples
    );
    assert!(
        r.praised_wrong <= bounds.praised_wrong,
        "{} wrong ideas credited",
        r.praised_wrong
    );
    assert!(
        mcs.false_hits <= bounds.false_flags,
        "{} false flags",
        mcs.false_hits
    );
    assert!(cps.recall() >= bounds.recall, "recall {}", cps.recall());
}

/// The held-back blind batch (never tuned to; see docs/engine.md): a regression guard on
/// precision first. The bounds sit just outside the figures measured when the batch was
/// set aside; a change that makes the rubric praise more wrong ideas fails here. Do not
/// read its lines to tune cues: that would turn it into one more training set.
#[test]
fn the_held_back_batch_stays_precise() {
    held_back_stays_within(
        "heldback-async-python.toml",
        Bounds {
            wordings: 228,
            false_credit: 10,
            praised_wrong: 3,
            false_flags: 2,
            recall: 0.75,
        },
    );
}

/// The second held-back blind batch (E, 240 wordings, set aside on 2026-12-02 before round
/// 3's tuning and never tuned to): the same guard, bounds just outside the figures measured
/// after that round (false credit 4/72, 1 wrong idea credited, no false flag, recall 0.84).
#[test]
fn the_second_held_back_batch_stays_precise() {
    held_back_stays_within(
        "heldback-e-async-python.toml",
        Bounds {
            wordings: 240,
            false_credit: 6,
            praised_wrong: 2,
            false_flags: 2,
            recall: 0.78,
        },
    );
}

/// The third held-back blind batch (G, 240 wordings, written blind on 2026-12-02 beside
/// round 4's tuning batch F and never tuned to): bounds just outside the figures measured
/// after round 5 (false credit 4/72, no wrong idea credited, 1 false flag of 24, recall
/// 0.95; after round 4: 4/72, 0, 1/24, 0.82; before round 4: 9/72, 0, 12/24, 0.82).
#[test]
fn the_third_held_back_batch_stays_precise() {
    held_back_stays_within(
        "heldback-g-async-python.toml",
        Bounds {
            wordings: 240,
            false_credit: 6,
            praised_wrong: 1,
            false_flags: 3,
            recall: 0.90,
        },
    );
}

/// The fourth held-back blind batch (I, 240 wordings, written blind on 2026-12-02 beside
/// round 5's tuning batch H and never tuned to): bounds just outside the figures measured
/// after round 5 (false credit 2/72, 4 wrong ideas credited, no false flag, recall 0.86;
/// before round 5: 2/72, 4, 0/24, 0.70).
#[test]
fn the_fourth_held_back_batch_stays_precise() {
    held_back_stays_within(
        "heldback-i-async-python.toml",
        Bounds {
            wordings: 240,
            false_credit: 4,
            praised_wrong: 4,
            false_flags: 2,
            recall: 0.82,
        },
    );
}

/// The fifth held-back blind batch (K, 192 wrong ideas, written blind on 2026-12-02 beside
/// round 6's tuning batch J and never tuned to): wrong answers in a right answer's words
/// and misconceptions stated in passing. Bounds just outside the figures measured after
/// round 6 (false credit 19/72, 13 wrong ideas credited, 2 false flags of 24; before round
/// 6: 23/72, 16, 2/24). These are the rubric's weakest figures: see docs/engine.md. Since
/// round 8 a belief withholds the checkpoints it names in every sentence of its turn: 7
/// wrong ideas credited, false credit 17/72.
#[test]
fn the_fifth_held_back_batch_stays_precise() {
    held_back_stays_within(
        "heldback-k-async-python.toml",
        Bounds {
            wordings: 192,
            false_credit: 21,
            praised_wrong: 8,
            false_flags: 3,
            recall: 1.0,
        },
    );
}

/// The sixth held-back blind batch (M, 216 wordings, written blind on 2026-12-02 beside
/// round 7's tuning batch L and never tuned to): bounds just outside the figures measured
/// after round 7 (false credit 13/72, 11 wrong ideas credited, 4 false flags of 24, recall
/// 0.90; before round 7: 13/72, 11, 4/24, 0.90: round 7 did not move them). Its false
/// credit is the highest of the held-back sets: see docs/engine.md. After round 8: 13/72,
/// 3 wrong ideas credited (a belief withholds the checkpoints it names in its whole turn),
/// 3/24, 0.90.
#[test]
fn the_sixth_held_back_batch_stays_precise() {
    held_back_stays_within(
        "heldback-m-async-python.toml",
        Bounds {
            wordings: 216,
            false_credit: 15,
            praised_wrong: 4,
            false_flags: 5,
            recall: 0.85,
        },
    );
}

/// The seventh held-back blind batch (O, 216 wordings, written blind on 2026-12-04 beside
/// round 8's tuning batch N and never tuned to): bounds just outside the figures measured
/// after round 8 (false credit 7/72, 2 wrong ideas credited, 1 false flag of 24, recall
/// 0.88; before round 8: 7/72, 3, 2/24, 0.85: round 8 moved it by one line each).
#[test]
fn the_seventh_held_back_batch_stays_precise() {
    held_back_stays_within(
        "heldback-o-async-python.toml",
        Bounds {
            wordings: 216,
            false_credit: 9,
            praised_wrong: 3,
            false_flags: 2,
            recall: 0.85,
        },
    );
}

/// Round 8's tuning batch (N, written blind beside O) and the lead's probes near its cues
/// keep what the round reached: no counterexample credited or flagged, no wrong idea
/// credited, and the measured recall (N 45/48, probes 14/14). A cue change that praises one of them fails here.
#[test]
fn round_eights_tuning_batch_and_probes_keep_their_figures() {
    held_back_stays_within(
        "batch-n-async-python.toml",
        Bounds {
            wordings: 216,
            false_credit: 0,
            praised_wrong: 0,
            false_flags: 0,
            recall: 0.93,
        },
    );
    held_back_stays_within(
        "probes-round8-async-python.toml",
        Bounds {
            wordings: 36,
            false_credit: 0,
            praised_wrong: 0,
            false_flags: 0,
            recall: 1.0,
        },
    );
}

/// A pronoun stands for the subject the learner named last (the first one named in the
/// nearest earlier clause that names one), not for any noun before it, and a cleft ("it's
/// processes that…") names its own.
#[test]
fn a_pronoun_takes_the_subject_the_learner_named_last() {
    let c = async_python();
    let t = "threads-and-processes";
    let got = credited(
        &c,
        t,
        "processes are heavier than threads because each has its own memory",
    );
    assert!(
        got.contains(&"processes-separate-memory".to_owned()),
        "{got:?}"
    );
    let shown = flagged(
        &c,
        t,
        "processes are heavier than threads because each has its own memory",
    );
    assert!(
        !shown.contains(&"threads-have-separate-memory".to_owned()),
        "{shown:?}"
    );
    let got = credited(
        &c,
        t,
        "threads live inside a process, and they share its memory",
    );
    assert!(got.contains(&"threads-share-memory".to_owned()), "{got:?}");
    let shown = flagged(
        &c,
        t,
        "threads live inside a process, and they share its memory",
    );
    assert!(
        !shown.contains(&"processes-share-memory".to_owned()),
        "{shown:?}"
    );
    let shown = flagged(
        &c,
        t,
        "no, threads share the memory, it's processes that have separate memory",
    );
    assert!(shown.is_empty(), "{shown:?}");
}

/// The eighth held-back blind batch (Q, 192 wrong ideas, written blind on 2026-12-04 beside
/// round 8's second tuning batch P and never tuned to): bounds just outside the figures
/// measured after round 8 (false credit 20/120, 2 wrong ideas credited; before this
/// session's changes 25/120 and 3; before P's tuning 24/120 and 2).
#[test]
fn the_eighth_held_back_batch_stays_precise() {
    held_back_stays_within(
        "heldback-q-async-python.toml",
        Bounds {
            wordings: 192,
            false_credit: 22,
            praised_wrong: 3,
            false_flags: 0,
            recall: 1.0,
        },
    );
}

/// Round 8's second tuning batch (P, wrong ideas only, written blind beside Q) keeps what
/// the round reached: 4 of 120 wrong answers credited, 1 wrong idea credited (24/120 and 1
/// before its tuning).
#[test]
fn round_eights_wrong_ideas_batch_keeps_its_figures() {
    held_back_stays_within(
        "batch-p-async-python.toml",
        Bounds {
            wordings: 192,
            false_credit: 4,
            praised_wrong: 1,
            false_flags: 0,
            recall: 1.0,
        },
    );
}

/// The ninth held-back blind batch (S, 204 wordings, written blind on 2026-12-04 beside
/// round 9's tuning batch R and never tuned to): bounds just outside the figures measured
/// before round 9 (recall 44/48, false credit 6/72, misconceptions 43/60 flagged, no false
/// flag, 2 wrong ideas credited).
#[test]
fn the_ninth_held_back_batch_stays_precise() {
    held_back_stays_within(
        "heldback-s-async-python.toml",
        Bounds {
            wordings: 204,
            false_credit: 7,
            praised_wrong: 3,
            false_flags: 1,
            recall: 0.89,
        },
    );
}

/// Round 9's tuning batch (R, written blind beside S) keeps what the round reached: 2 of 72
/// wrong answers credited, no wrong idea credited, 2 false flags, recall 46/48 (8/72, 1, 3
/// and 45/48 before its tuning).
#[test]
fn round_nines_tuning_batch_keeps_its_figures() {
    held_back_stays_within(
        "batch-r-async-python.toml",
        Bounds {
            wordings: 204,
            false_credit: 2,
            praised_wrong: 0,
            false_flags: 2,
            recall: 0.95,
        },
    );
}
