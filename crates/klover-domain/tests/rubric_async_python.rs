//! The rubric on the reference curriculum, with learner wordings written for this test and
//! not in the seed: paraphrases that must be credited, wrong or negated statements that
//! must not be, and misconceptions that must be flagged. Precision matters more than
//! recall offline; `recall_and_precision_on_unseen_wordings` prints both.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{async_python, credited, flagged};

/// (concept, learner wording, checkpoint that must be credited)
const PARAPHRASES: &[(&str, &str, &str)] = &[
    (
        "sync-vs-async",
        "With synchronous code each call blocks until it returns, and only then does the next line run.",
        "sync-waits-for-completion",
    ),
    (
        "sync-vs-async",
        "In sync code things happen one after another, nothing overlaps.",
        "sync-waits-for-completion",
    ),
    (
        "sync-vs-async",
        "Asynchronous means you fire off the request and switch to other work in the meantime.",
        "async-works-while-waiting",
    ),
    (
        "sync-vs-async",
        "async code doesn't sit and wait, it moves on to the next task",
        "async-works-while-waiting",
    ),
    (
        "sync-vs-async",
        "There must be some kind of scheduler choosing which task goes next.",
        "something-schedules-tasks",
    ),
    (
        "sync-vs-async",
        "During a database query the processor is basically idle.",
        "io-leaves-cpu-idle",
    ),
    (
        "sync-vs-async",
        "Those calls don't need the CPU at all, the work happens on another machine.",
        "io-leaves-cpu-idle",
    ),
    (
        "sync-vs-async",
        "While the network answers, our CPU has nothing to do.",
        "io-leaves-cpu-idle",
    ),
    (
        "io-vs-cpu",
        "Async is a good fit for network-heavy code where you mostly wait.",
        "async-helps-io-bound",
    ),
    (
        "io-vs-cpu",
        "I/O-bound programs benefit from async.",
        "async-helps-io-bound",
    ),
    (
        "io-vs-cpu",
        "For number crunching async won't speed anything up, since the CPU is busy the whole time.",
        "async-no-help-cpu-bound",
    ),
    (
        "io-vs-cpu",
        "A CPU-bound job never waits, so there is nothing for async to fill.",
        "async-no-help-cpu-bound",
    ),
    (
        "event-loop",
        "It runs one coroutine until that coroutine hits an await, then switches to another one.",
        "loop-runs-until-wait",
    ),
    (
        "event-loop",
        "When a task is waiting on I/O, the loop parks it and picks up the next one.",
        "loop-runs-until-wait",
    ),
    (
        "event-loop",
        "There's only one thread, so one task at a time.",
        "loop-single-threaded",
    ),
    (
        "event-loop",
        "The whole loop freezes and no other task gets to run.",
        "cpu-task-blocks-loop",
    ),
    (
        "event-loop",
        "All the other tasks have to wait until the heavy one finishes.",
        "cpu-task-blocks-loop",
    ),
    (
        "threads-and-processes",
        "A thread is basically a list of instructions the CPU works through.",
        "thread-is-instruction-sequence",
    ),
    (
        "threads-and-processes",
        "Threads in the same program see the same variables in memory.",
        "threads-share-memory",
    ),
    (
        "threads-and-processes",
        "Each process gets its own memory space.",
        "processes-separate-memory",
    ),
    (
        "threads-and-processes",
        "Processes are isolated, one can't mess with another's data.",
        "processes-separate-memory",
    ),
    (
        "threads-and-processes",
        "To send data to another process it has to be pickled.",
        "processes-pass-data-by-serialization",
    ),
    (
        "gil",
        "Only a single thread can run Python bytecode at once.",
        "gil-one-thread-at-a-time",
    ),
    (
        "gil",
        "Threads take turns holding the lock.",
        "gil-one-thread-at-a-time",
    ),
    (
        "gil",
        "It protects reference counts from being corrupted by two threads at the same time.",
        "gil-protects-refcounts",
    ),
    (
        "gil",
        "With multiprocessing every process has its own interpreter and its own GIL.",
        "one-gil-per-process",
    ),
    (
        "gil",
        "Separate processes can run on all the cores in parallel.",
        "one-gil-per-process",
    ),
    (
        "gil",
        "Adding threads won't make CPU-heavy Python code faster.",
        "threads-dont-speed-up-cpu-in-cpython",
    ),
    (
        "threading-vs-async",
        "Every thread needs its own stack, several megabytes each.",
        "threads-cost-memory",
    ),
    (
        "threading-vs-async",
        "You would run out of memory with that many threads.",
        "threads-cost-memory",
    ),
    (
        "threading-vs-async",
        "Coroutines are cheap, just small objects the loop keeps in a queue.",
        "async-tasks-are-cheap",
    ),
    (
        "threading-vs-async",
        "A single thread can juggle thousands of async tasks.",
        "async-tasks-are-cheap",
    ),
    (
        "threading-vs-async",
        "For a few hundred connections threads are fine, for thousands async wins.",
        "concurrency-rule-of-thumb",
    ),
    (
        "blocking-in-async",
        "Async, because the endpoint mostly waits on the database and the external API.",
        "io-endpoint-should-be-async",
    ),
    (
        "blocking-in-async",
        "requests.get blocks, so the whole event loop is stuck until the response arrives.",
        "blocking-call-freezes-loop",
    ),
    (
        "blocking-in-async",
        "The sync call never gives control back to the loop.",
        "blocking-call-freezes-loop",
    ),
    (
        "blocking-in-async",
        "await is where the coroutine pauses and lets the loop run something else.",
        "await-is-pause-point",
    ),
    (
        "blocking-in-async",
        "Use httpx's AsyncClient instead of requests.",
        "use-async-libraries",
    ),
    (
        "blocking-in-async",
        "You could push the blocking call into a thread with asyncio.to_thread.",
        "use-async-libraries",
    ),
    // A second batch, written after the cues were first tuned.
    (
        "sync-vs-async",
        "Synchronous execution means every operation must be done before the program continues.",
        "sync-waits-for-completion",
    ),
    (
        "sync-vs-async",
        "With async the program kicks off the download and handles other requests until the data comes back.",
        "async-works-while-waiting",
    ),
    (
        "sync-vs-async",
        "The processor just waits around doing nothing while the disk reads.",
        "io-leaves-cpu-idle",
    ),
    (
        "sync-vs-async",
        "Network calls are mostly waiting, the CPU is free during that time.",
        "io-leaves-cpu-idle",
    ),
    (
        "io-vs-cpu",
        "Async shines when your program spends its time waiting on the network.",
        "async-helps-io-bound",
    ),
    (
        "io-vs-cpu",
        "Heavy math won't get faster with async because there's no waiting involved.",
        "async-no-help-cpu-bound",
    ),
    (
        "event-loop",
        "The loop keeps a queue of tasks and resumes each one when its I/O is ready.",
        "loop-runs-until-wait",
    ),
    (
        "event-loop",
        "If one coroutine does heavy computation, every other coroutine is stuck waiting.",
        "cpu-task-blocks-loop",
    ),
    (
        "event-loop",
        "The web page freezes because the loop is busy.",
        "cpu-task-blocks-loop",
    ),
    (
        "threads-and-processes",
        "Threads live inside one process and use the same memory.",
        "threads-share-memory",
    ),
    (
        "threads-and-processes",
        "Separate processes don't share memory, each has its own.",
        "processes-separate-memory",
    ),
    (
        "gil",
        "Even with 8 cores, only one thread executes Python at any given moment.",
        "gil-one-thread-at-a-time",
    ),
    (
        "gil",
        "Running 4 processes gives you 4 interpreters, so 4 cores really work in parallel.",
        "one-gil-per-process",
    ),
    (
        "threading-vs-async",
        "10,000 threads would eat gigabytes of RAM because of their stacks.",
        "threads-cost-memory",
    ),
    (
        "threading-vs-async",
        "An async task is just a lightweight object, so you can have thousands.",
        "async-tasks-are-cheap",
    ),
    (
        "blocking-in-async",
        "Calling requests inside async def blocks the whole event loop.",
        "blocking-call-freezes-loop",
    ),
    (
        "blocking-in-async",
        "await gives control back to the event loop so other tasks can run.",
        "await-is-pause-point",
    ),
    (
        "blocking-in-async",
        "Swap requests for an async HTTP client like aiohttp.",
        "use-async-libraries",
    ),
    // A third batch, informal wordings, measured blind before any fix: 16 of 21 credited
    // (recall 0.76) and 2 false credits among its 11 wrong statements (precision 0.89).
    (
        "sync-vs-async",
        "sync = wait for it to finish, then go on",
        "sync-waits-for-completion",
    ),
    (
        "sync-vs-async",
        "async lets your program do other stuff instead of just waiting around",
        "async-works-while-waiting",
    ),
    (
        "sync-vs-async",
        "the thread can go serve another user while the first one's query is running",
        "async-works-while-waiting",
    ),
    (
        "sync-vs-async",
        "Basically the computer isn't working during I/O, it's just waiting for the answer.",
        "io-leaves-cpu-idle",
    ),
    (
        "sync-vs-async",
        "something like a manager hands out work to whoever is free",
        "something-schedules-tasks",
    ),
    (
        "io-vs-cpu",
        "async is useful for stuff like web requests and database calls",
        "async-helps-io-bound",
    ),
    (
        "io-vs-cpu",
        "if the work is pure computation there's no idle time to reuse, so async is pointless there",
        "async-no-help-cpu-bound",
    ),
    (
        "event-loop",
        "the event loop pauses a task at each await and resumes it later when the result arrives",
        "loop-runs-until-wait",
    ),
    (
        "event-loop",
        "it's single-threaded, just one thing running at any instant",
        "loop-single-threaded",
    ),
    (
        "event-loop",
        "a long calculation would hog the loop and nothing else gets a turn",
        "cpu-task-blocks-loop",
    ),
    (
        "threads-and-processes",
        "all the threads inside a program read and write the same memory",
        "threads-share-memory",
    ),
    (
        "threads-and-processes",
        "a process has its own separate address space",
        "processes-separate-memory",
    ),
    (
        "threads-and-processes",
        "sending objects between processes means copying them, which is slow",
        "processes-pass-data-by-serialization",
    ),
    (
        "gil",
        "the GIL means two threads can never execute Python at once",
        "gil-one-thread-at-a-time",
    ),
    (
        "gil",
        "multiprocessing sidesteps the GIL because every process has a separate interpreter",
        "one-gil-per-process",
    ),
    (
        "gil",
        "threads don't help CPU-bound Python code because of the GIL",
        "threads-dont-speed-up-cpu-in-cpython",
    ),
    (
        "threading-vs-async",
        "thousands of threads would use way too much memory",
        "threads-cost-memory",
    ),
    (
        "threading-vs-async",
        "one event loop can handle thousands of coroutines cheaply",
        "async-tasks-are-cheap",
    ),
    (
        "blocking-in-async",
        "a sync HTTP call in an async function freezes everything until it returns",
        "blocking-call-freezes-loop",
    ),
    (
        "blocking-in-async",
        "without an await there's no point where the loop can switch tasks",
        "await-is-pause-point",
    ),
    (
        "blocking-in-async",
        "I'd use aiohttp or httpx async client, or run_in_executor for the blocking bit",
        "use-async-libraries",
    ),
];

/// (concept, wrong or negated statement, checkpoint that must NOT be credited)
const MUST_NOT_CREDIT: &[(&str, &str, &str)] = &[
    (
        "sync-vs-async",
        "The CPU is not idle while it waits for the database.",
        "io-leaves-cpu-idle",
    ),
    (
        "sync-vs-async",
        "The CPU is busy the whole time during a network call.",
        "io-leaves-cpu-idle",
    ),
    (
        "sync-vs-async",
        "Async code does not switch to other tasks while waiting.",
        "async-works-while-waiting",
    ),
    (
        "sync-vs-async",
        "Sync code doesn't wait for anything to finish.",
        "sync-waits-for-completion",
    ),
    (
        "io-vs-cpu",
        "Async doesn't help I/O-bound work at all.",
        "async-helps-io-bound",
    ),
    (
        "io-vs-cpu",
        "Async is great for CPU-bound number crunching.",
        "async-no-help-cpu-bound",
    ),
    (
        "io-vs-cpu",
        "Async helps CPU-bound work, not I/O-bound work.",
        "async-helps-io-bound",
    ),
    (
        "event-loop",
        "Nothing pauses, the other tasks keep running in parallel.",
        "cpu-task-blocks-loop",
    ),
    (
        "event-loop",
        "The loop never gets blocked by a heavy task.",
        "cpu-task-blocks-loop",
    ),
    (
        "event-loop",
        "The loop uses many threads, so it runs lots of tasks at the same time.",
        "loop-single-threaded",
    ),
    (
        "threads-and-processes",
        "Threads don't share memory.",
        "threads-share-memory",
    ),
    (
        "threads-and-processes",
        "Threads never share any data with each other.",
        "threads-share-memory",
    ),
    (
        "threads-and-processes",
        "Processes share the same memory just like threads.",
        "processes-separate-memory",
    ),
    (
        "gil",
        "The GIL lets several threads run Python code at the same time.",
        "gil-one-thread-at-a-time",
    ),
    (
        "gil",
        "Processes don't have their own GIL, they share one.",
        "one-gil-per-process",
    ),
    (
        "gil",
        "More threads make CPU-bound Python faster.",
        "threads-dont-speed-up-cpu-in-cpython",
    ),
    (
        "threading-vs-async",
        "Threads are free, they barely use any memory.",
        "threads-cost-memory",
    ),
    (
        "threading-vs-async",
        "Async tasks are not cheap, each one needs its own thread.",
        "async-tasks-are-cheap",
    ),
    (
        "blocking-in-async",
        "requests.get does not block the event loop.",
        "blocking-call-freezes-loop",
    ),
    (
        "blocking-in-async",
        "await doesn't pause anything, it just waits.",
        "await-is-pause-point",
    ),
    (
        "blocking-in-async",
        "It should be sync because nothing waits on I/O.",
        "io-endpoint-should-be-async",
    ),
    (
        "sync-vs-async",
        "The CPU is never idle during I/O.",
        "io-leaves-cpu-idle",
    ),
    (
        "io-vs-cpu",
        "Async won't help I/O-bound code.",
        "async-helps-io-bound",
    ),
    (
        "event-loop",
        "A CPU-heavy task doesn't block the loop.",
        "cpu-task-blocks-loop",
    ),
    (
        "threads-and-processes",
        "Processes use the same memory.",
        "processes-separate-memory",
    ),
    (
        "gil",
        "Multiple threads run Python code in parallel despite the GIL.",
        "one-gil-per-process",
    ),
    (
        "threading-vs-async",
        "Creating 10,000 threads is no problem at all.",
        "threads-cost-memory",
    ),
    (
        "blocking-in-async",
        "await makes the loop wait for the call before doing anything else.",
        "await-is-pause-point",
    ),
    (
        "blocking-in-async",
        "await makes the loop wait for the call before doing anything else.",
        "io-endpoint-should-be-async",
    ),
    (
        "threads-and-processes",
        "Threads live inside one process and use the same memory.",
        "processes-separate-memory",
    ),
    // The third batch's wrong statements.
    (
        "sync-vs-async",
        "async doesn't let the CPU do anything else while waiting",
        "async-works-while-waiting",
    ),
    (
        "io-vs-cpu",
        "async speeds up CPU-bound tasks",
        "async-no-help-cpu-bound",
    ),
    (
        "event-loop",
        "the loop can interrupt a heavy task whenever it wants",
        "loop-runs-until-wait",
    ),
    (
        "event-loop",
        "a heavy calculation won't affect the other tasks at all",
        "cpu-task-blocks-loop",
    ),
    (
        "threads-and-processes",
        "every thread gets its own memory",
        "threads-share-memory",
    ),
    (
        "gil",
        "the GIL allows many threads to run at the same time",
        "gil-one-thread-at-a-time",
    ),
    ("gil", "processes share a single GIL", "one-gil-per-process"),
    (
        "threading-vs-async",
        "creating threads costs nothing",
        "threads-cost-memory",
    ),
    (
        "threading-vs-async",
        "async needs a separate thread for every task",
        "async-tasks-are-cheap",
    ),
    (
        "blocking-in-async",
        "requests.get inside async def doesn't block anything",
        "blocking-call-freezes-loop",
    ),
    (
        "blocking-in-async",
        "await just makes the code run sequentially like sync",
        "await-is-pause-point",
    ),
];

/// (concept, wording, misconception that must be flagged)
const MISCONCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "sync-vs-async",
        "Async runs all the tasks in parallel on different cores.",
        "async-runs-in-parallel",
    ),
    (
        "io-vs-cpu",
        "Async makes everything faster.",
        "async-makes-everything-faster",
    ),
    (
        "io-vs-cpu",
        "If I make my image processing async it will speed up.",
        "async-makes-everything-faster",
    ),
    (
        "event-loop",
        "The event loop runs the tasks simultaneously.",
        "loop-runs-tasks-in-parallel",
    ),
    (
        "event-loop",
        "The loop will preempt a long task so others get a turn.",
        "loop-interrupts-long-tasks",
    ),
    (
        "threads-and-processes",
        "Processes share memory with each other.",
        "processes-share-memory",
    ),
    (
        "threads-and-processes",
        "Each thread has its own separate memory.",
        "threads-have-separate-memory",
    ),
    (
        "gil",
        "More threads will use more cores and run in parallel.",
        "more-threads-use-more-cores",
    ),
    (
        "gil",
        "Because of the GIL, threads are useless for network requests.",
        "gil-makes-threads-useless-for-io",
    ),
    (
        "threading-vs-async",
        "Threads are cheap, you can create as many as you like.",
        "threads-are-free",
    ),
    (
        "threading-vs-async",
        "Async creates a new thread for each task.",
        "async-uses-many-threads",
    ),
    (
        "blocking-in-async",
        "await just waits for the previous line to finish.",
        "await-waits-for-previous-line",
    ),
    (
        "blocking-in-async",
        "Putting async def in front makes the function non-blocking.",
        "async-def-is-enough",
    ),
    (
        "blocking-in-async",
        "Using requests in async code is totally fine.",
        "async-def-is-enough",
    ),
    (
        "blocking-in-async",
        "await makes the loop wait for the call before doing anything else.",
        "await-waits-for-previous-line",
    ),
    (
        "threads-and-processes",
        "Processes use the same memory.",
        "processes-share-memory",
    ),
];

/// Negated beliefs: the misconception must not be flagged.
const NEGATED_MISCONCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "io-vs-cpu",
        "Async doesn't make everything faster.",
        "async-makes-everything-faster",
    ),
    (
        "sync-vs-async",
        "Async does not run tasks in parallel.",
        "async-runs-in-parallel",
    ),
    (
        "gil",
        "More threads don't use more cores in CPython.",
        "more-threads-use-more-cores",
    ),
    (
        "threads-and-processes",
        "Processes don't share memory.",
        "processes-share-memory",
    ),
    (
        "threads-and-processes",
        "Threads live inside one process and use the same memory.",
        "processes-share-memory",
    ),
    (
        "blocking-in-async",
        "async def alone doesn't make the code non-blocking.",
        "async-def-is-enough",
    ),
];

#[test]
fn unseen_paraphrases_are_credited() {
    let c = async_python();
    let missed: Vec<_> = PARAPHRASES
        .iter()
        .filter(|(concept, text, cp)| !credited(&c, concept, text).contains(&cp.to_string()))
        .collect();
    assert!(missed.is_empty(), "not credited: {missed:#?}");
}

#[test]
fn wrong_and_negated_statements_are_not_credited() {
    assert!(MUST_NOT_CREDIT.len() >= 10);
    let c = async_python();
    let wrongly: Vec<_> = MUST_NOT_CREDIT
        .iter()
        .filter(|(concept, text, cp)| credited(&c, concept, text).contains(&cp.to_string()))
        .collect();
    assert!(wrongly.is_empty(), "credited although wrong: {wrongly:#?}");
}

#[test]
fn misconceptions_are_flagged_in_new_wordings() {
    let c = async_python();
    let missed: Vec<_> = MISCONCEPTIONS
        .iter()
        .filter(|(concept, text, m)| !flagged(&c, concept, text).contains(&m.to_string()))
        .collect();
    assert!(missed.is_empty(), "not flagged: {missed:#?}");
}

#[test]
fn negated_misconceptions_are_not_flagged() {
    let c = async_python();
    let wrongly: Vec<_> = NEGATED_MISCONCEPTIONS
        .iter()
        .filter(|(concept, text, m)| flagged(&c, concept, text).contains(&m.to_string()))
        .collect();
    assert!(wrongly.is_empty(), "flagged although negated: {wrongly:#?}");
}

#[test]
fn correct_statements_do_not_raise_misconceptions() {
    let c = async_python();
    let raised: Vec<_> = PARAPHRASES
        .iter()
        .filter_map(|(concept, text, _)| {
            let f = flagged(&c, concept, text);
            (!f.is_empty()).then_some((text, f))
        })
        .collect();
    assert!(raised.is_empty(), "{raised:#?}");
}

#[test]
fn the_rubric_is_negation_aware_on_every_must_not_credit_line_it_recognises() {
    // Lines whose cue words occur but under a negation are reported as negated, so an LLM
    // judge merged later cannot override them.
    let c = async_python();
    let a = common::assess(&c, "sync-vs-async", "The CPU is not idle while it waits.");
    assert!(
        a.negated
            .iter()
            .any(|id| id.as_str() == "io-leaves-cpu-idle"),
        "{a:?}"
    );
    let a = common::assess(&c, "threads-and-processes", "Threads don't share memory.");
    assert!(
        a.negated
            .iter()
            .any(|id| id.as_str() == "threads-share-memory"),
        "{a:?}"
    );
}

#[test]
fn recall_and_precision_on_unseen_wordings() {
    let c = async_python();
    let hits = PARAPHRASES
        .iter()
        .filter(|(k, t, cp)| credited(&c, k, t).contains(&cp.to_string()))
        .count();
    let false_hits = MUST_NOT_CREDIT
        .iter()
        .filter(|(k, t, cp)| credited(&c, k, t).contains(&cp.to_string()))
        .count();
    let recall = hits as f64 / PARAPHRASES.len() as f64;
    let precision = hits as f64 / (hits + false_hits) as f64;
    eprintln!(
        "rubric recall {recall:.2} ({hits}/{}), precision {precision:.2}",
        PARAPHRASES.len()
    );
    assert!(
        recall >= 0.9 && precision >= 0.95,
        "recall {recall}, precision {precision}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any text, however odd (emoji, combining marks, `I/O` at the edges, lone
    /// apostrophes), is assessed without panicking, with scores in [0, 1] and evidence
    /// spans that cut the learner's text on character boundaries.
    #[test]
    fn any_text_is_assessed_with_valid_scores_and_spans(text in "(\\PC|[/.?!',’ ]){0,120}") {
        let c = async_python();
        for concept in &c.concepts {
            let a = common::assess(&c, concept.id.as_str(), &text);
            for s in a.scores.values() {
                proptest::prop_assert!((0.0..=1.0).contains(&s.score));
                if let Some(span) = s.evidence {
                    proptest::prop_assert!(span.quote(&text).is_some(), "{span:?} in {text:?}");
                }
            }
        }
    }
}
