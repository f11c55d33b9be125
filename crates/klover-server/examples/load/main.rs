//! A bounded load generator: N learners on real loopback websockets, M turns each.
//!
//! ```sh
//! cargo run --release -p klover-server --example load -- --learners 50 --messages 5
//! cargo run --release -p klover-server --example load -- --learners 50 --messages 5 --llm
//! cargo run --release -p klover-server --example load -- --learners 50 \
//!     --database-url postgres://postgres@127.0.0.1:5432/klover_load_1
//! cargo run --release -p klover-server --example load -- --table
//! ```
//!
//! The server runs in this process as `klover serve` would (offline voice, the reference
//! curriculum, a temporary SQLite file unless `--database-url` is given; rate limits
//! raised, since every loopback connection is the same local learner), on a tokio runtime
//! of its own (2 workers, threads named `klover-srv`); the clients and the fake model run
//! on the main runtime. With `--llm` the voice and judge talk to an in-process
//! `klover_fake_llm::FakeLlm` that streams a 24-word reply word by word (`--first-token-ms`,
//! `--chunk-ms`; each word tagged `#<request>.<chunk>`) and returns an empty verdict to the
//! judge (after `--first-token-ms`), so the rubric decides.
//!
//! Each learner connects, starts a session, waits for the opening's `progress`, then all
//! learners together send `--messages` learner lines from the reference conversation,
//! one at a time: the latency of a turn is from sending `message` to receiving its
//! `tutor_done`; the next message goes after the turn's closing `progress`. Errors are
//! `error` frames, `tutor_done` frames whose status is not `complete`, closed sockets, and
//! learners still running at `--timeout-secs` (the whole run stops by then).
//!
//! What a run measures besides latency (all during the turns only):
//! - **commits/turn**: `Store::write_transactions()` ÷ turns.
//! - **writer queue µs/write**: how long each write held the store's write path
//!   (`Store::writer_queue()`: on SQLite the writer thread's busy time, its commits
//!   included), and the share of the run's wall time it was held: on SQLite one writer at
//!   a time, so near 100 % the writer bounds throughput.
//! - **server CPU µs/turn**: CPU time of the server runtime's threads, sqlx's SQLite
//!   worker threads and the store's SQLite writer thread ÷ turns, per thread from `/proc/self/task/*/schedstat`, sampled every
//!   100 ms so a thread that exits mid-run loses at most its last interval ([`cpu`]).
//!   **server switches/turn**: how many times those threads were scheduled in
//!   (`schedstat`'s third field), a count that moves less than time on a shared machine.
//!   **process CPU µs/turn**: the whole process (`CLOCK_PROCESS_CPUTIME_ID`): server,
//!   clients, fake model. A single run also prints the other threads' share, to check
//!   that server + rest ≈ process.
//! - **relay** (LLM runs): from the fake model handing a chunk to its HTTP connection
//!   ([`klover_fake_llm::FakeLlm::sent_chunks`]) to the learner's client receiving the
//!   `tutor_delta` that carries that chunk's tagged word. The server relays the model's
//!   text unchanged (a word ending in a space never looks like the canary's start, so the
//!   canary guard holds nothing back), sending in one delta what waited. p99 over every
//!   chunk, and over chunks after a reply's first: a speculative voice's first tokens wait
//!   for the judge (`speculate.rs`), so the first chunk's figure includes that wait. A
//!   single run also prints the first chunks alone (p50, p75, p99): with the judge as fast
//!   as the voice, what they wait for is the commit of the turn's assessment.
//!
//! `--table` prints issue 17's table instead (docs/benchmarks.md): the disk's single-row
//! commit rate (sqlx on a plain SQLite file, WAL, `synchronous = FULL`, one connection;
//! and the store's `append_event` path for comparison), then offline and LLM runs with
//! turns/s, latency, time to first token, commits, server and process CPU per turn, and
//! relay p99. `--runs "1x10,50x10,200x5,1x10llm,10x5llm,10x5llmd"` (the default) picks the
//! runs (`llmd`: the fake judge changes every plan). `--repeat N` runs the whole list N
//! times, interleaved (1 × 10, 50 × 10, …, then again), and each cell shows the median and
//! the range of the N runs: on a shared machine one run of a row swings by 20–30 %.
//! `--rubric-judge` makes the fake judge's verdict unusable (the rubric decides);
//! `--judge-disagrees` makes it change every plan (the speculative voice is cancelled).
//!
//! `--nodelay` serves `klover_server::router` directly with `axum::serve` on sockets with
//! `TCP_NODELAY` (without `klover_server::run`'s edge layers, which set it too).
//!
//! `--url ws://host:port/ws` runs no server here: the learners go to a server already
//! running there (a `klover serve`, or a load balancer in front of several), with the
//! voice and database it was started with. Its rate and per-IP limits must be raised as
//! above (docs/benchmarks.md gives the command); commits are not counted, and the CPU
//! figure is the clients' alone. `--tokens FILE` (one API token a line) makes learner `i`
//! authenticate with token `i` (modulo their number) in a `hello`: with a server started
//! with auth on, each learner is a learner of their own, as in production (without it,
//! every loopback connection is the one local learner, whose sessions share its rows).
//! `--own-learners` does that for the server in this process: auth on, one learner and
//! one token per simulated learner, created before the run (also in `--table` runs).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

/// The allocator the `klover` binary runs with (src/main.rs): what is measured is what ships.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cpu;
mod learner;
mod probe;
mod report;
mod server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Barrier;

use crate::cpu::{CpuSplit, CpuWatch};
use crate::learner::{Outcome, learner};
use crate::server::{Judge, ServerConfig, on_server, start_fake_llm, start_server};

/// One run of the table: learners × messages, offline or against the fake model.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Run {
    learners: usize,
    messages: usize,
    llm: bool,
    /// What the fake judge answers in an LLM run.
    judge: Judge,
}

/// The table's runs: offline 1 × 10, 50 × 10, 200 × 5; LLM 1 × 10, 10 × 5, and 10 × 5
/// with a judge that changes every plan.
const RUNS: &str = "1x10,50x10,200x5,1x10llm,10x5llm,10x5llmd";

/// `"50x10,200x5,10x5llm"` → runs (`llm` suffix: against the fake model, whose judge
/// agrees with the rubric; `llmd`: whose judge changes every plan).
fn parse_runs(s: &str) -> Vec<Run> {
    s.split(',')
        .map(|r| {
            let r = r.trim();
            let (r, judge) = match r.strip_suffix("llmd") {
                Some(r) => (r, Some(Judge::Disagrees)),
                None => r
                    .strip_suffix("llm")
                    .map_or((r, None), |r| (r, Some(Judge::Agrees))),
            };
            let (l, m) = r
                .split_once('x')
                .unwrap_or_else(|| panic!("--runs: {r:?} is not LEARNERSxMESSAGES[llm]"));
            Run {
                learners: l.parse().expect("--runs: learners"),
                messages: m.parse().expect("--runs: messages"),
                llm: judge.is_some(),
                judge: judge.unwrap_or(Judge::Agrees),
            }
        })
        .collect()
}

struct Args {
    learners: usize,
    messages: usize,
    llm: bool,
    first_token_ms: u64,
    chunk_ms: u64,
    database_url: Option<String>,
    timeout_secs: u64,
    nodelay: bool,
    /// What the fake judge answers (`--rubric-judge`: agrees, `--judge-disagrees`:
    /// changes every plan; by default a verdict that credits nothing).
    judge: Judge,
    /// Print the issue-17 table (several runs) instead of one run.
    table: bool,
    /// A running server's websocket URL: no server in this process.
    url: Option<String>,
    /// API tokens, one per learner (cycled), sent in a `hello`.
    tokens: Vec<String>,
    /// The server in this process runs with auth on and each learner is a learner of
    /// their own (by default every connection is the one local learner).
    own_learners: bool,
    /// The table's runs.
    runs: Vec<Run>,
    /// How many times the table's runs are repeated (interleaved); cells then show the
    /// median and the range.
    repeat: usize,
}

/// What `--help` prints.
const USAGE: &str = "load: drives `klover serve` with simulated learners over websockets \
and prints throughput, latency and CPU per turn (docs/benchmarks.md).

Usage: load [FLAGS]
  --learners N          concurrent learners (default 50)
  --messages M          messages each learner sends (default 5)
  --llm                 tutor through a local fake OpenAI-compatible upstream
  --first-token-ms MS   the fake's time to first token (default 300)
  --chunk-ms MS         the fake's time between chunks (default 30)
  --rubric-judge        the fake judge's verdict is unusable (the rubric decides)
  --judge-disagrees     the fake judge changes the plan
  --database-url URL    serve on this database (default: a temporary SQLite file)
  --url WS_URL          drive a server already running instead of starting one
  --tokens FILE         bearer tokens, one per line, for --url
  --own-learners        auth on, each learner a learner of their own with a token
                        (default: every connection is the one local learner)
  --nodelay             serve the bare router with TCP_NODELAY (no edge layers)
  --timeout-secs S      give up after S seconds (default 300)
  --table               print the issue-17 table (see --runs and --repeat)
  --runs LIST           the table's runs, e.g. 1x10,50x10,200x5,10x5llm,10x5llmd
  --repeat N            repeat the table's runs N times, interleaved (median and range)
  -h, --help            this text";

fn parse_args() -> Args {
    let mut a = Args {
        learners: 50,
        messages: 5,
        llm: false,
        first_token_ms: 300,
        chunk_ms: 30,
        database_url: None,
        timeout_secs: 300,
        nodelay: false,
        judge: Judge::Silent,
        table: false,
        url: None,
        tokens: Vec::new(),
        own_learners: false,
        runs: parse_runs(RUNS),
        repeat: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--learners" => a.learners = value().parse().expect("--learners N"),
            "--messages" => a.messages = value().parse().expect("--messages M"),
            "--llm" => a.llm = true,
            "--nodelay" => a.nodelay = true,
            "--rubric-judge" => a.judge = Judge::Agrees,
            "--judge-disagrees" => a.judge = Judge::Disagrees,
            "--table" => a.table = true,
            "--own-learners" => a.own_learners = true,
            "--first-token-ms" => a.first_token_ms = value().parse().expect("--first-token-ms"),
            "--chunk-ms" => a.chunk_ms = value().parse().expect("--chunk-ms"),
            "--database-url" => a.database_url = Some(value()),
            "--url" => a.url = Some(value()),
            "--tokens" => {
                let file = value();
                let text = std::fs::read_to_string(&file).expect("--tokens FILE: readable");
                a.tokens = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "--timeout-secs" => a.timeout_secs = value().parse().expect("--timeout-secs"),
            "--runs" => a.runs = parse_runs(&value()),
            "--repeat" => a.repeat = value().parse().expect("--repeat N"),
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => {
                eprintln!("unknown flag {flag}\n\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    let refuse = |ok: bool, why: &str| {
        if !ok {
            eprintln!("{why}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    refuse(
        (1..=5_000).contains(&a.learners),
        "--learners must be 1..=5000",
    );
    refuse((1..=50).contains(&a.messages), "--messages must be 1..=50");
    refuse(
        a.url.is_none()
            || !(a.llm || a.nodelay || a.table || a.own_learners || a.database_url.is_some()),
        "--url targets a running server: --llm, --nodelay, --table, --own-learners and \
         --database-url configure the one this tool would start, so they do not go with it",
    );
    refuse(
        (1..=3_600).contains(&a.timeout_secs),
        "--timeout-secs must be 1..=3600",
    );
    a
}

fn raise_fd_limit() -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    );
    getrlimit(Resource::Nofile).current.unwrap_or(0)
}

/// What one run measured.
struct Measured {
    wall: Duration,
    outcomes: Vec<Outcome>,
    /// Write transactions (commits) the store ran during the turns (`None` with `--url`:
    /// the server is another process).
    commits: Option<u64>,
    /// The writer queue during the turns: writes and the time they held it
    /// (`Store::writer_queue`; `None` with `--url`).
    queue: Option<(u64, Duration)>,
    /// CPU time during the turns: the process's and the server threads' (with `--url`
    /// the process holds the clients alone).
    cpu: CpuSplit,
    /// Relay latencies (fake model → client) of every tagged chunk received, and of those
    /// after each reply's first; empty without `--llm`.
    relay: report::Relay,
}

async fn run_once(args: &Args) -> Option<Measured> {
    let db_dir = tempfile::tempdir().unwrap();
    let fake = if args.llm {
        let first = Duration::from_millis(args.first_token_ms);
        let chunk = Duration::from_millis(args.chunk_ms);
        Some(start_fake_llm(first, chunk, args.judge).await)
    } else {
        None
    };
    let (url, server) = match &args.url {
        Some(url) => (url.clone(), None),
        None => {
            let config = ServerConfig {
                database_url: args
                    .database_url
                    .clone()
                    .unwrap_or_else(|| format!("sqlite://{}/load.db", db_dir.path().display())),
                nodelay: args.nodelay,
                llm: fake.as_ref().map(|f| f.base_url()),
                own_learners: if args.own_learners { args.learners } else { 0 },
            };
            let (addr, stop, store, tokens) = start_server(config).await;
            (format!("ws://{addr}/ws"), Some((stop, store, tokens)))
        }
    };
    let tokens = match &server {
        Some((_, _, own)) if !own.is_empty() => own.clone(),
        _ => args.tokens.clone(),
    };
    let commits = || {
        server
            .as_ref()
            .map(|(_, store, _)| store.write_transactions())
    };
    let queue = || server.as_ref().map(|(_, store, _)| store.writer_queue());
    let go = Arc::new(Barrier::new(args.learners + 1));
    let tasks: Vec<_> = (0..args.learners)
        .map(|id| {
            let token = (!tokens.is_empty()).then(|| tokens[id % tokens.len()].clone());
            tokio::spawn(learner(url.clone(), id, args.messages, token, go.clone()))
        })
        .collect();
    let deadline = Duration::from_secs(args.timeout_secs);
    let run = async {
        go.wait().await;
        let (t0, w0, q0) = (Instant::now(), commits(), queue());
        let cpu = CpuWatch::start();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap());
        }
        let cpu = cpu.stop();
        Measured {
            wall: t0.elapsed(),
            commits: commits().zip(w0).map(|(w1, w0)| w1 - w0),
            queue: queue()
                .zip(q0)
                .map(|((n1, t1), (n0, t0))| (n1 - n0, t1 - t0)),
            relay: report::Relay::join(&outcomes, fake.as_ref()),
            outcomes,
            cpu,
        }
    };
    let measured = tokio::time::timeout(deadline, run).await.ok();
    if let Some((stop, store, _)) = server {
        let _ = stop.send(());
        on_server(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            store.close().await;
        })
        .await;
    }
    measured
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let fds = raise_fd_limit();
    let most = if args.table {
        args.runs.iter().map(|r| r.learners).max().unwrap_or(1)
    } else {
        args.learners
    };
    assert!(
        fds as usize > 2 * most.max(200) + 100,
        "fd soft limit {fds} is too low for {most} learners",
    );
    if args.table {
        return report::table(&args).await;
    }
    let Some(m) = run_once(&args).await else {
        println!(
            "TIMEOUT: the run did not finish in {} s; nothing measured",
            args.timeout_secs
        );
        std::process::exit(2);
    };
    report::report(&args, &m);
}
