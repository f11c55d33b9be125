//! A bounded load generator: N learners on real loopback websockets, M turns each.
//!
//! ```sh
//! cargo run --release -p klover-server --example load -- --learners 50 --messages 5
//! cargo run --release -p klover-server --example load -- --learners 50 --messages 5 --llm
//! cargo run --release -p klover-server --example load -- --learners 50 \
//!     --database-url postgres://postgres@127.0.0.1:5432/klover_load_1
//! ```
//!
//! The server runs in this process as `klover serve` would (offline voice, the reference
//! curriculum, a temporary SQLite file unless `--database-url` is given; rate limits
//! raised, since every loopback connection is the same local learner). With `--llm` the
//! voice and judge talk to an in-process `klover_fake_llm::FakeLlm` that streams a
//! 20-word reply word by word (`--first-token-ms`, `--chunk-ms`) and returns an empty
//! verdict to the judge (after `--first-token-ms`), so the rubric decides.
//!
//! Each learner connects, starts a session, waits for the opening's `progress`, then all
//! learners together send `--messages` learner lines from the reference conversation,
//! one at a time: the latency of a turn is from sending `message` to receiving its
//! `tutor_done`; the next message goes after the turn's closing `progress`. Errors are
//! `error` frames, `tutor_done` frames whose status is not `complete`, closed sockets, and
//! learners still running at `--timeout-secs` (the whole run stops by then).
//!
//! `--table` prints issue 17's table instead (docs/benchmarks.md): the disk's commit rate,
//! then offline and LLM runs with turns/s, latency, time to first token, commits and CPU
//! per turn. `--rubric-judge` makes the fake judge's verdict unusable (the rubric decides).
//!
//! `--nodelay` serves `klover_server::router` directly on sockets with `TCP_NODELAY`
//! (what `klover_server::run` does not set), to measure what Nagle's algorithm costs.
//!
//! `--url ws://host:port/ws` runs no server here: the learners go to a server already
//! running there (a `klover serve`, or a load balancer in front of several), with the
//! voice and database it was started with. Its rate and per-IP limits must be raised as
//! above (docs/benchmarks.md gives the command); commits are not counted, and the CPU
//! figure is the clients' alone. `--tokens FILE` (one API token a line) makes learner `i`
//! authenticate with token `i` (modulo their number) in a `hello`: with a server started
//! with auth on, each learner is a learner of their own, as in production (without it,
//! every loopback connection is the one local learner, whose sessions share its rows).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use klover_fake_llm::{FakeLlm, Reply};
use tokio::sync::Barrier;
use tokio_tungstenite::tungstenite::Message;

/// Learner lines ("Me:") from the reference conversation, `shared/seed/000_d81f72e6670a64cc.txt`.
const LINES: &[&str] = &[
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

const LLM_REPLY: &str = "Good thinking so far. Now picture the worker waiting on a slow \
     network call: what could it usefully do during that time, and why?";
const VERDICT: &str = r#"{"checkpoints":[],"misconceptions":[],"asked_question":false,"asked_for_answer":false,"dont_know":false,"off_topic":false}"#;

struct Args {
    learners: usize,
    messages: usize,
    llm: bool,
    first_token_ms: u64,
    chunk_ms: u64,
    database_url: Option<String>,
    timeout_secs: u64,
    nodelay: bool,
    /// The fake judge's verdict is unusable: the rubric's plan stands (the judge agrees).
    rubric_judge: bool,
    /// Print the issue-17 table (several runs) instead of one run.
    table: bool,
    /// A running server's websocket URL: no server in this process.
    url: Option<String>,
    /// API tokens, one per learner (cycled), sent in a `hello`.
    tokens: Vec<String>,
}

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
        rubric_judge: false,
        table: false,
        url: None,
        tokens: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--learners" => a.learners = value().parse().expect("--learners N"),
            "--messages" => a.messages = value().parse().expect("--messages M"),
            "--llm" => a.llm = true,
            "--nodelay" => a.nodelay = true,
            "--rubric-judge" => a.rubric_judge = true,
            "--table" => a.table = true,
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
            _ => panic!(
                "unknown flag {flag}; flags: --learners N --messages M --llm \
                 --first-token-ms MS --chunk-ms MS --database-url URL --timeout-secs S --nodelay \
                 --rubric-judge --table --url WS_URL --tokens FILE"
            ),
        }
    }
    assert!(
        (1..=5_000).contains(&a.learners),
        "--learners must be 1..=5000"
    );
    assert!((1..=50).contains(&a.messages), "--messages must be 1..=50");
    assert!(
        a.url.is_none() || !(a.llm || a.nodelay || a.table || a.database_url.is_some()),
        "--url targets a running server: --llm, --nodelay, --table and --database-url \
         configure the one this tool would start, so they do not go with it"
    );
    assert!(
        (1..=3_600).contains(&a.timeout_secs),
        "--timeout-secs must be 1..=3600"
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

/// What one learner saw.
#[derive(Default)]
struct Outcome {
    started: bool,
    start_latency: Option<Duration>,
    latencies: Vec<Duration>,
    /// From sending a message to its first `tutor_delta`.
    ttfts: Vec<Duration>,
    errors: Vec<String>,
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Reads frames until a `progress`; returns when `tutor_done` arrived (if it did), and
/// records when the first `tutor_delta` arrived.
async fn read_turn(ws: &mut Ws, out: &mut Outcome, sent: Instant) -> Option<Instant> {
    let mut done_at = None;
    let mut first = true;
    loop {
        let frame = match ws.next().await {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(c))) => {
                out.errors.push(format!("closed: {c:?}"));
                return None;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                out.errors.push(format!("socket: {e}"));
                return None;
            }
            None => {
                out.errors.push("socket ended".into());
                return None;
            }
        };
        let v: serde_json::Value = serde_json::from_str(&frame).unwrap();
        match v["type"].as_str().unwrap_or("") {
            "tutor_delta" if std::mem::take(&mut first) => out.ttfts.push(sent.elapsed()),
            "tutor_done" => {
                done_at = Some(Instant::now());
                if v["status"] != "complete" {
                    out.errors
                        .push(format!("tutor_done status {}", v["status"]));
                }
            }
            "error" => {
                out.errors
                    .push(format!("error {}: {}", v["code"], v["message"]));
                return None;
            }
            "progress" => return done_at,
            _ => {}
        }
    }
}

async fn learner(
    url: String,
    id: usize,
    messages: usize,
    token: Option<String>,
    go: Arc<Barrier>,
) -> Outcome {
    let mut out = Outcome::default();
    let ws = match tokio_tungstenite::connect_async(&url).await {
        Ok((ws, _)) => Some(ws),
        Err(e) => {
            out.errors.push(format!("connect: {e}"));
            None
        }
    };
    let mut ws = match ws {
        Some(mut ws) => {
            if let Some(token) = token {
                let hello = serde_json::json!({"type": "hello", "version": 1, "token": token});
                ws.send(Message::text(hello.to_string())).await.unwrap();
            }
            let t0 = Instant::now();
            let start = r#"{"type":"start","curriculum":"async-python"}"#;
            ws.send(Message::text(start)).await.unwrap();
            if let Some(done) = read_turn(&mut ws, &mut out, t0).await {
                out.started = true;
                out.start_latency = Some(done - t0);
            }
            out.ttfts.clear();
            Some(ws)
        }
        None => None,
    };
    go.wait().await;
    let Some(ws) = ws.as_mut().filter(|_| out.started) else {
        return out;
    };
    for i in 0..messages {
        let text = LINES[(id + i) % LINES.len()];
        let msg =
            serde_json::json!({"type": "message", "client_id": format!("c-{i}"), "text": text});
        let t0 = Instant::now();
        if let Err(e) = ws.send(Message::text(msg.to_string())).await {
            out.errors.push(format!("send: {e}"));
            break;
        }
        match read_turn(ws, &mut out, t0).await {
            Some(done) => out.latencies.push(done - t0),
            None => break,
        }
    }
    let _ = ws.close(None).await;
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn start_fake_llm(first_token: Duration, chunk: Duration, rubric_judge: bool) -> FakeLlm {
    let fake = FakeLlm::start().await;
    let verdict = if rubric_judge {
        "not a verdict"
    } else {
        VERDICT
    };
    fake.set_responder(move |req| {
        if req.is_stream() {
            Reply::text(LLM_REPLY)
                .first_token_after(first_token)
                .chunk_interval(chunk)
        } else {
            Reply::text(verdict).first_token_after(first_token)
        }
    });
    fake
}

async fn start_server(
    args: &Args,
    fake: Option<&FakeLlm>,
    db_dir: &std::path::Path,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    klover_store::Store,
) {
    let database_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/load.db", db_dir.display()));
    let mut settings = klover_server::Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        curriculum_dir: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../curriculum"),
        database_url,
        ..Default::default()
    };
    settings.limits.rate_per_minute = 1_000_000;
    settings.limits.rate_burst = 1_000_000;
    // Every benchmark client comes from 127.0.0.1: lift the per-IP edge limits.
    settings.limits.max_connections = 1_000_000;
    settings.limits.max_connections_per_ip = 1_000_000;
    settings.limits.handshakes_per_minute_per_ip = 1_000_000;
    if let Some(fake) = fake {
        settings.llm.base_url = Some(fake.base_url());
        settings.llm.api_key = Some(klover_llm::ApiKey::from("sk-load"));
        settings.llm.model = "fake-model".into();
    }
    let voice = klover_server::TutorVoice::from_settings(&settings.llm).unwrap();
    let store = klover_store::Store::connect(&settings.store_url())
        .await
        .unwrap();
    let catalog = klover_server::Catalog::load(&settings.curriculum_dir).unwrap();
    let listener = tokio::net::TcpListener::bind(settings.bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = klover_server::AppState::new(settings, store.clone(), catalog, voice);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    if args.nodelay {
        // The server's router on sockets with TCP_NODELAY (`run` leaves Nagle on).
        use axum::serve::ListenerExt;
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let app = klover_server::router(app);
        let serve = axum::serve(listener, app).with_graceful_shutdown(shutdown);
        tokio::spawn(async move { serve.await });
    } else {
        tokio::spawn(async move {
            if let Err(e) = klover_server::run(listener, app, shutdown).await {
                eprintln!("server stopped: {e}");
            }
        });
    }
    (addr, stop, store)
}

/// What one run measured.
struct Measured {
    wall: Duration,
    outcomes: Vec<Outcome>,
    /// Write transactions (commits) the store ran during the turns (`None` with `--url`:
    /// the server is another process).
    commits: Option<u64>,
    /// CPU time of this process (server, clients and fake model; the clients alone with
    /// `--url`) during the turns.
    cpu: Duration,
}

/// User + system CPU time of this process so far (`/proc/self/stat`, 100 ticks a second).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

async fn run_once(args: &Args) -> Option<Measured> {
    let db_dir = tempfile::tempdir().unwrap();
    let fake = if args.llm {
        let first = Duration::from_millis(args.first_token_ms);
        let chunk = Duration::from_millis(args.chunk_ms);
        Some(start_fake_llm(first, chunk, args.rubric_judge).await)
    } else {
        None
    };
    let (url, server) = match &args.url {
        Some(url) => (url.clone(), None),
        None => {
            let (addr, stop, store) = start_server(args, fake.as_ref(), db_dir.path()).await;
            (format!("ws://{addr}/ws"), Some((stop, store)))
        }
    };
    let commits = || server.as_ref().map(|(_, store)| store.write_transactions());
    let go = Arc::new(Barrier::new(args.learners + 1));
    let tasks: Vec<_> = (0..args.learners)
        .map(|id| {
            let token =
                (!args.tokens.is_empty()).then(|| args.tokens[id % args.tokens.len()].clone());
            tokio::spawn(learner(url.clone(), id, args.messages, token, go.clone()))
        })
        .collect();
    let deadline = Duration::from_secs(args.timeout_secs);
    let run = async {
        go.wait().await;
        let (t0, c0, w0) = (Instant::now(), cpu_time(), commits());
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap());
        }
        Measured {
            wall: t0.elapsed(),
            outcomes,
            commits: commits().zip(w0).map(|(w1, w0)| w1 - w0),
            cpu: cpu_time().saturating_sub(c0),
        }
    };
    let measured = tokio::time::timeout(deadline, run).await.ok();
    if let Some((stop, store)) = server {
        let _ = stop.send(());
        tokio::time::sleep(Duration::from_millis(200)).await;
        store.close().await;
    }
    measured
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let fds = raise_fd_limit();
    assert!(
        fds as usize > 2 * args.learners.max(200) + 100,
        "fd soft limit {fds} is too low for {} learners",
        args.learners
    );
    if args.table {
        return table(&args).await;
    }
    let Some(m) = run_once(&args).await else {
        println!(
            "TIMEOUT: the run did not finish in {} s; nothing measured",
            args.timeout_secs
        );
        std::process::exit(2);
    };
    report(&args, &m);
}

/// Durable single-row commits per second on this disk, through the store (one
/// `append_event` each: a counter UPDATE and an INSERT in one transaction, fsynced), for
/// about `secs` seconds.
async fn sqlite_commit_rate(secs: u64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/probe.db?mode=rwc", dir.path().display());
    let store = klover_store::Store::connect(&url).await.unwrap();
    let learner = store.create_learner("probe").await.unwrap();
    let session = store
        .create_session(&klover_store::NewSession {
            learner: learner.id.clone(),
            curriculum: klover_domain::CurriculumId::parse("async-python").unwrap(),
            curriculum_version: "1".into(),
            concept: klover_domain::ConceptId::parse("sync-vs-async").unwrap(),
            mode: klover_store::Mode::Offline,
            kind: klover_store::SessionKind::Learn,
        })
        .await
        .unwrap();
    let t0 = Instant::now();
    let mut n = 0u64;
    while t0.elapsed() < Duration::from_secs(secs) {
        store.append_event(&session.id, "{}").await.unwrap();
        n += 1;
    }
    let rate = n as f64 / t0.elapsed().as_secs_f64();
    store.close().await;
    rate
}

/// The issue-17 table: offline durable turns at 1, 50 and 200 learners, the disk's
/// commit rate, LLM turns against the in-process fake at 1 and 10 learners.
async fn table(base: &Args) {
    let commit_rate = sqlite_commit_rate(3).await;
    println!("SQLite single-row commits/s on this disk (store append_event): {commit_rate:.0}");
    println!();
    println!(
        "| run | turns/s | ratio to commit rate | turn p50 | turn p99 | TTFT p50 | added TTFT p50 | TTFT p99 | commits/turn | CPU µs/turn | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let runs: [(usize, usize, bool); 5] = [
        (1, 10, false),
        (50, 10, false),
        (200, 5, false),
        (1, 10, true),
        (10, 5, true),
    ];
    for (learners, messages, llm) in runs {
        let args = Args {
            learners,
            messages,
            llm,
            rubric_judge: true,
            table: false,
            database_url: base.database_url.clone(),
            url: None,
            tokens: Vec::new(),
            ..*base
        };
        let Some(m) = run_once(&args).await else {
            println!(
                "| {learners} × {messages} {} | TIMEOUT |",
                if llm { "LLM" } else { "offline" }
            );
            continue;
        };
        let mut lat: Vec<Duration> = m
            .outcomes
            .iter()
            .flat_map(|o| o.latencies.clone())
            .collect();
        lat.sort();
        let mut ttft: Vec<Duration> = m.outcomes.iter().flat_map(|o| o.ttfts.clone()).collect();
        ttft.sort();
        let errors: usize = m.outcomes.iter().map(|o| o.errors.len()).sum();
        let turns = lat.len().max(1) as f64;
        let rate = lat.len() as f64 / m.wall.as_secs_f64();
        let (ttft_p50, ttft_p99) = (percentile(&ttft, 50.0), percentile(&ttft, 99.0));
        let added = if llm {
            ms(ttft_p50.saturating_sub(Duration::from_millis(args.first_token_ms)))
        } else {
            "–".into()
        };
        println!(
            "| {learners} × {messages} {} | {rate:.1} | {:.3} | {} | {} | {} | {added} | {} | {:.1} | {:.0} | {errors} |",
            if llm { "LLM" } else { "offline" },
            rate / commit_rate,
            ms(percentile(&lat, 50.0)),
            ms(percentile(&lat, 99.0)),
            ms(ttft_p50),
            ms(ttft_p99),
            m.commits.unwrap_or_default() as f64 / turns,
            m.cpu.as_secs_f64() * 1e6 / turns,
        );
    }
    println!();
    println!(
        "LLM runs: fake model in process, first token {} ms (judge and voice), {} ms per chunk, a {}-word reply; the judge's verdict is unusable, so the rubric's plan stands (the judge agrees). Added TTFT = TTFT - {} ms. CPU includes clients and the fake model.",
        base.first_token_ms,
        base.chunk_ms,
        LLM_REPLY.split_whitespace().count(),
        base.first_token_ms
    );
}

fn report(args: &Args, m: &Measured) {
    let (wall, outcomes) = (m.wall, &m.outcomes);
    let mut lat: Vec<Duration> = outcomes.iter().flat_map(|o| o.latencies.clone()).collect();
    lat.sort();
    let mut ttft: Vec<Duration> = outcomes.iter().flat_map(|o| o.ttfts.clone()).collect();
    ttft.sort();
    let mut starts: Vec<Duration> = outcomes.iter().filter_map(|o| o.start_latency).collect();
    starts.sort();
    let errors: Vec<&String> = outcomes.iter().flat_map(|o| &o.errors).collect();
    let started = outcomes.iter().filter(|o| o.started).count();
    let db = match (&args.url, &args.database_url) {
        (Some(url), _) => format!("of the server at {url}"),
        (None, Some(u)) if u.starts_with("postgres") => "postgres".into(),
        (None, Some(_)) => "given url".into(),
        (None, None) => "sqlite (temp file)".into(),
    };
    let voice = if args.url.is_some() {
        "the server's".into()
    } else if args.llm {
        format!(
            "llm (fake, first token {} ms, {} ms/chunk)",
            args.first_token_ms, args.chunk_ms
        )
    } else {
        "offline".into()
    };
    println!(
        "learners {} × messages {} | voice {voice} | db {db}",
        args.learners, args.messages
    );
    println!(
        "sessions started {started}/{}, start p50 {} p95 {}",
        args.learners,
        ms(percentile(&starts, 50.0)),
        ms(percentile(&starts, 95.0))
    );
    println!(
        "turns {} in {:.2} s = {:.1} turns/s",
        lat.len(),
        wall.as_secs_f64(),
        lat.len() as f64 / wall.as_secs_f64()
    );
    println!(
        "turn latency p50 {} p95 {} p99 {} max {}",
        ms(percentile(&lat, 50.0)),
        ms(percentile(&lat, 95.0)),
        ms(percentile(&lat, 99.0)),
        ms(lat.last().copied().unwrap_or_default())
    );
    println!(
        "first tutor_delta p50 {} p99 {}",
        ms(percentile(&ttft, 50.0)),
        ms(percentile(&ttft, 99.0))
    );
    let turns = lat.len().max(1) as f64;
    let cpu = m.cpu.as_secs_f64() * 1e6 / turns;
    match m.commits {
        Some(commits) => println!(
            "commits/turn {:.1}, CPU µs/turn {cpu:.0} (this process: server, clients, fake model)",
            commits as f64 / turns
        ),
        None => println!("CPU µs/turn {cpu:.0} (this process: the clients only)"),
    }
    println!("errors {}", errors.len());
    for e in errors.iter().take(5) {
        println!("  {e}");
    }
}
