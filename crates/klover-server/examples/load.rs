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
//! `--nodelay` serves `klover_server::router` directly on sockets with `TCP_NODELAY`
//! (what `klover_server::run` does not set), to measure what Nagle's algorithm costs.

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
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--learners" => a.learners = value().parse().expect("--learners N"),
            "--messages" => a.messages = value().parse().expect("--messages M"),
            "--llm" => a.llm = true,
            "--nodelay" => a.nodelay = true,
            "--first-token-ms" => a.first_token_ms = value().parse().expect("--first-token-ms"),
            "--chunk-ms" => a.chunk_ms = value().parse().expect("--chunk-ms"),
            "--database-url" => a.database_url = Some(value()),
            "--timeout-secs" => a.timeout_secs = value().parse().expect("--timeout-secs"),
            _ => panic!(
                "unknown flag {flag}; flags: --learners N --messages M --llm \
                 --first-token-ms MS --chunk-ms MS --database-url URL --timeout-secs S --nodelay"
            ),
        }
    }
    assert!(
        (1..=5_000).contains(&a.learners),
        "--learners must be 1..=5000"
    );
    assert!((1..=50).contains(&a.messages), "--messages must be 1..=50");
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
    errors: Vec<String>,
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Reads frames until a `progress`; returns when `tutor_done` arrived (if it did).
async fn read_turn(ws: &mut Ws, out: &mut Outcome) -> Option<Instant> {
    let mut done_at = None;
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

async fn learner(url: String, id: usize, messages: usize, go: Arc<Barrier>) -> Outcome {
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
            let t0 = Instant::now();
            let start = r#"{"type":"start","curriculum":"async-python"}"#;
            ws.send(Message::text(start)).await.unwrap();
            if let Some(done) = read_turn(&mut ws, &mut out).await {
                out.started = true;
                out.start_latency = Some(done - t0);
            }
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
        match read_turn(ws, &mut out).await {
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

async fn start_fake_llm(first_token: Duration, chunk: Duration) -> FakeLlm {
    let fake = FakeLlm::start().await;
    fake.set_responder(move |req| {
        if req.is_stream() {
            Reply::text(LLM_REPLY)
                .first_token_after(first_token)
                .chunk_interval(chunk)
        } else {
            Reply::text(VERDICT).first_token_after(first_token)
        }
    });
    fake
}

async fn start_server(
    args: &Args,
    fake: Option<&FakeLlm>,
    db_dir: &std::path::Path,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
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
    let app = klover_server::AppState::new(settings, store, catalog, voice);
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
    (addr, stop)
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let fds = raise_fd_limit();
    assert!(
        fds as usize > 2 * args.learners + 100,
        "fd soft limit {fds} is too low for {} learners",
        args.learners
    );
    let db_dir = tempfile::tempdir().unwrap();
    let fake = if args.llm {
        let first = Duration::from_millis(args.first_token_ms);
        Some(start_fake_llm(first, Duration::from_millis(args.chunk_ms)).await)
    } else {
        None
    };
    let (addr, stop) = start_server(&args, fake.as_ref(), db_dir.path()).await;
    let url = format!("ws://{addr}/ws");
    let go = Arc::new(Barrier::new(args.learners + 1));
    let tasks: Vec<_> = (0..args.learners)
        .map(|id| tokio::spawn(learner(url.clone(), id, args.messages, go.clone())))
        .collect();
    let deadline = Duration::from_secs(args.timeout_secs);
    let run = async {
        go.wait().await;
        let t0 = Instant::now();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap());
        }
        (t0.elapsed(), outcomes)
    };
    let Ok((wall, outcomes)) = tokio::time::timeout(deadline, run).await else {
        println!("TIMEOUT: the run did not finish in {deadline:?}; nothing measured");
        let _ = stop.send(());
        std::process::exit(2);
    };
    report(&args, wall, &outcomes);
    let _ = stop.send(());
    tokio::time::sleep(Duration::from_millis(200)).await;
}

fn report(args: &Args, wall: Duration, outcomes: &[Outcome]) {
    let mut lat: Vec<Duration> = outcomes.iter().flat_map(|o| o.latencies.clone()).collect();
    lat.sort();
    let mut starts: Vec<Duration> = outcomes.iter().filter_map(|o| o.start_latency).collect();
    starts.sort();
    let errors: Vec<&String> = outcomes.iter().flat_map(|o| &o.errors).collect();
    let started = outcomes.iter().filter(|o| o.started).count();
    let db = match &args.database_url {
        Some(u) if u.starts_with("postgres") => "postgres",
        Some(_) => "given url",
        None => "sqlite (temp file)",
    };
    let voice = if args.llm {
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
    println!("errors {}", errors.len());
    for e in errors.iter().take(5) {
        println!("  {e}");
    }
}
