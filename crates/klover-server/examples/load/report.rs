//! What a run prints: one run's report, or issue 17's table of several runs.

use std::collections::HashMap;
use std::time::Duration;

use klover_fake_llm::FakeLlm;

use crate::learner::Outcome;
use crate::server::Judge;
use crate::{Args, Measured, probe, run_once};

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

/// Relay latencies: from the fake model handing a chunk to its connection to the client
/// receiving the `tutor_delta` that carries it, sorted.
#[derive(Default)]
pub struct Relay {
    /// Every tagged chunk a client received.
    pub all: Vec<Duration>,
    /// Chunks after their reply's first (the first may wait for the judge).
    pub after_first: Vec<Duration>,
    /// Each reply's first chunk.
    pub first: Vec<Duration>,
    /// Tagged words received that the fake's log does not hold (0 unless a tag broke).
    pub unmatched: usize,
}

impl Relay {
    /// Matches each tagged word the clients received with the chunk the fake sent.
    pub fn join(outcomes: &[Outcome], fake: Option<&FakeLlm>) -> Self {
        let Some(fake) = fake else {
            return Self::default();
        };
        let sent: HashMap<(usize, usize), std::time::Instant> = fake
            .sent_chunks()
            .into_iter()
            .map(|c| ((c.request, c.index), c.at))
            .collect();
        let mut relay = Self::default();
        for (tag, received) in outcomes.iter().flat_map(|o| &o.received) {
            let Some(at) = sent.get(tag) else {
                relay.unmatched += 1;
                continue;
            };
            let d = received.saturating_duration_since(*at);
            relay.all.push(d);
            if tag.1 > 0 {
                relay.after_first.push(d);
            } else {
                relay.first.push(d);
            }
        }
        relay.all.sort();
        relay.after_first.sort();
        relay.first.sort();
        relay
    }
}

/// A run's figures, as both outputs print them.
struct Figures {
    lat: Vec<Duration>,
    ttft: Vec<Duration>,
    errors: usize,
    turns: f64,
    rate: f64,
}

fn figures(m: &Measured) -> Figures {
    let mut lat: Vec<Duration> = m
        .outcomes
        .iter()
        .flat_map(|o| o.latencies.clone())
        .collect();
    lat.sort();
    let mut ttft: Vec<Duration> = m.outcomes.iter().flat_map(|o| o.ttfts.clone()).collect();
    ttft.sort();
    Figures {
        errors: m.outcomes.iter().map(|o| o.errors.len()).sum(),
        turns: lat.len().max(1) as f64,
        rate: lat.len() as f64 / m.wall.as_secs_f64(),
        lat,
        ttft,
    }
}

fn per_turn_us(d: Duration, turns: f64) -> f64 {
    d.as_secs_f64() * 1e6 / turns
}

fn as_ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One table row's figures from one run (LLM-only ones are `None` offline).
#[derive(Clone)]
struct Row {
    rate: f64,
    ratio: f64,
    p50: f64,
    p99: f64,
    ttft_p50: f64,
    added_ttft: Option<f64>,
    ttft_p99: f64,
    commits: f64,
    queue_us: Option<f64>,
    queue_share: Option<f64>,
    server_us: f64,
    server_switches: f64,
    process_us: f64,
    relay: Option<f64>,
    relay_later: Option<f64>,
    errors: usize,
}

impl Row {
    fn of(m: &Measured, llm: bool, first_token_ms: u64, commit_rate: f64) -> Row {
        let f = figures(m);
        let ttft_p50 = percentile(&f.ttft, 50.0);
        let first_token = Duration::from_millis(first_token_ms);
        Row {
            rate: f.rate,
            ratio: f.rate / commit_rate,
            p50: as_ms(percentile(&f.lat, 50.0)),
            p99: as_ms(percentile(&f.lat, 99.0)),
            ttft_p50: as_ms(ttft_p50),
            added_ttft: llm.then(|| as_ms(ttft_p50.saturating_sub(first_token))),
            ttft_p99: as_ms(percentile(&f.ttft, 99.0)),
            commits: m.commits.unwrap_or_default() as f64 / f.turns,
            queue_us: m
                .queue
                .and_then(|(n, t)| (n > 0).then(|| t.as_secs_f64() * 1e6 / n as f64)),
            queue_share: m
                .queue
                .map(|(_, t)| 100.0 * t.as_secs_f64() / m.wall.as_secs_f64()),
            server_us: per_turn_us(m.cpu.server, f.turns),
            server_switches: m.cpu.server_switches as f64 / f.turns,
            process_us: per_turn_us(m.cpu.process, f.turns),
            relay: llm.then(|| as_ms(percentile(&m.relay.all, 99.0))),
            relay_later: llm.then(|| as_ms(percentile(&m.relay.after_first, 99.0))),
            errors: f.errors + m.relay.unmatched,
        }
    }
}

/// The issue-17 table: the disk's commit rate, then one row per run (by default offline
/// durable turns at 1, 50 and 200 learners, LLM turns against the in-process fake at 1
/// and 10 learners).
pub async fn table(base: &Args) {
    let commit_rate = probe::sqlite_single_row_commits(3).await;
    let store_rate = probe::store_append_rate(3).await;
    println!(
        "SQLite single-row commits/s, one connection, WAL, synchronous=FULL: {commit_rate:.0}"
    );
    println!(
        "Single-row commits/s through Store::append_event (group commit path): {store_rate:.0}"
    );
    println!();
    println!(
        "| run | turns/s | ratio to commit rate | turn p50 | turn p99 | TTFT p50 | added TTFT p50 | TTFT p99 | commits/turn | writer queue µs/write | queue held % of run | server CPU µs/turn | server switches/turn | process CPU µs/turn | relay p99 | relay p99 after 1st chunk | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut rows: Vec<Vec<Row>> = vec![Vec::new(); base.runs.len()];
    let mut timeouts = vec![0usize; base.runs.len()];
    for _ in 0..base.repeat.max(1) {
        for (i, run) in base.runs.iter().enumerate() {
            let args = Args {
                learners: run.learners,
                messages: run.messages,
                llm: run.llm,
                judge: run.judge,
                table: false,
                database_url: base.database_url.clone(),
                url: None,
                tokens: Vec::new(),
                runs: Vec::new(),
                ..*base
            };
            match run_once(&args).await {
                Some(m) => rows[i].push(Row::of(&m, run.llm, args.first_token_ms, commit_rate)),
                None => timeouts[i] += 1,
            }
        }
    }
    for (i, run) in base.runs.iter().enumerate() {
        let name = format!(
            "{} × {} {}",
            run.learners,
            run.messages,
            match (run.llm, run.judge) {
                (false, _) => "offline",
                (true, Judge::Disagrees) => "LLM, judge disagrees",
                (true, _) => "LLM",
            }
        );
        let r = &rows[i];
        if r.is_empty() {
            println!("| {name} | TIMEOUT |");
            continue;
        }
        let cell = |f: fn(&Row) -> Option<f64>, digits: usize, unit: &str| -> String {
            let mut v: Vec<f64> = r.iter().filter_map(f).collect();
            if v.is_empty() {
                return "–".into();
            }
            v.sort_by(f64::total_cmp);
            let show = |x: f64| format!("{x:.digits$}{unit}");
            if v.len() == 1 {
                show(v[0])
            } else {
                let (lo, hi) = (v[0], v[v.len() - 1]);
                format!(
                    "{} ({}–{})",
                    show(v[v.len() / 2]),
                    format_args!("{lo:.digits$}"),
                    format_args!("{hi:.digits$}")
                )
            }
        };
        let errors: usize = r.iter().map(|x| x.errors).sum::<usize>() + timeouts[i];
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {errors} |",
            cell(|x| Some(x.rate), 1, ""),
            cell(|x| Some(x.ratio), 3, ""),
            cell(|x| Some(x.p50), 1, " ms"),
            cell(|x| Some(x.p99), 1, " ms"),
            cell(|x| Some(x.ttft_p50), 1, " ms"),
            cell(|x| x.added_ttft, 1, " ms"),
            cell(|x| Some(x.ttft_p99), 1, " ms"),
            cell(|x| Some(x.commits), 1, ""),
            cell(|x| x.queue_us, 0, ""),
            cell(|x| x.queue_share, 0, " %"),
            cell(|x| Some(x.server_us), 0, ""),
            cell(|x| Some(x.server_switches), 0, ""),
            cell(|x| Some(x.process_us), 0, ""),
            cell(|x| x.relay, 1, " ms"),
            cell(|x| x.relay_later, 1, " ms"),
        );
    }
    println!();
    if base.own_learners {
        println!("Learners: each a learner of their own (auth on, one API token each).");
    } else {
        println!("Learners: all the one local learner (auth off; their sessions share its rows).");
    }
    if base.repeat > 1 {
        println!();
        println!(
            "Each cell: the median of {} runs (interleaved with the other rows), then the lowest and highest. Errors: the sum over the runs.",
            base.repeat
        );
    }
    println!();
    println!(
        "LLM runs: fake model in process, first token {} ms (judge and voice), {} ms per chunk, a {}-word reply; the judge's verdict is unusable, so the rubric's plan stands (the judge agrees), except in the \"judge disagrees\" rows, where it changes every plan (the speculative voice is cancelled and the voice starts again: the goal there is one upstream TTFT + 15 ms). Added TTFT = TTFT - {} ms. Server CPU: the server runtime's threads, sqlx's SQLite worker threads and the store's SQLite writer thread; process CPU adds the clients and the fake model. Relay: fake model's chunk handed to its connection -> client's tutor_delta.",
        base.first_token_ms,
        base.chunk_ms,
        crate::server::reply_words(),
        base.first_token_ms
    );
}

/// One run's report.
pub fn report(args: &Args, m: &Measured) {
    let f = figures(m);
    let mut starts: Vec<Duration> = m.outcomes.iter().filter_map(|o| o.start_latency).collect();
    starts.sort();
    let errors: Vec<&String> = m.outcomes.iter().flat_map(|o| &o.errors).collect();
    let started = m.outcomes.iter().filter(|o| o.started).count();
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
    let who = if args.own_learners {
        "own learners (auth on)"
    } else {
        "the local learner"
    };
    println!(
        "learners {} × messages {} | voice {voice} | db {db} | {who}",
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
        f.lat.len(),
        m.wall.as_secs_f64(),
        f.rate
    );
    println!(
        "turn latency p50 {} p95 {} p99 {} max {}",
        ms(percentile(&f.lat, 50.0)),
        ms(percentile(&f.lat, 95.0)),
        ms(percentile(&f.lat, 99.0)),
        ms(f.lat.last().copied().unwrap_or_default())
    );
    println!(
        "first tutor_delta p50 {} p99 {}",
        ms(percentile(&f.ttft, 50.0)),
        ms(percentile(&f.ttft, 99.0))
    );
    if args.llm {
        let r = &m.relay;
        println!(
            "relay (fake chunk -> client tutor_delta) p50 {} p99 {} over {} chunks; after each reply's first: p50 {} p99 {}; each reply's first: p50 {} p75 {} p99 {}; unmatched {}",
            ms(percentile(&r.all, 50.0)),
            ms(percentile(&r.all, 99.0)),
            r.all.len(),
            ms(percentile(&r.after_first, 50.0)),
            ms(percentile(&r.after_first, 99.0)),
            ms(percentile(&r.first, 50.0)),
            ms(percentile(&r.first, 75.0)),
            ms(percentile(&r.first, 99.0)),
            r.unmatched
        );
    }
    let cpu = &m.cpu;
    let us = |d: Duration| per_turn_us(d, f.turns);
    match m.commits {
        Some(commits) => {
            println!("commits/turn {:.1}", commits as f64 / f.turns);
            if let Some((n, held)) = m.queue.filter(|(n, _)| *n > 0) {
                println!(
                    "writer queue: {n} writes, held {:.0} µs each, {:.0} % of the run",
                    held.as_secs_f64() * 1e6 / n as f64,
                    100.0 * held.as_secs_f64() / m.wall.as_secs_f64()
                );
            }
            println!(
                "CPU µs/turn: server {:.0} ({:.0} context switches to its threads a turn) + other threads {:.0} = {:.0}; process {:.0} (threads exited mid-run: {})",
                us(cpu.server),
                cpu.server_switches as f64 / f.turns,
                us(cpu.rest),
                us(cpu.server + cpu.rest),
                us(cpu.process),
                cpu.exited
            );
            println!(
                "  of the server's: runtime threads {:.0}, SQLite writer thread {:.0}, sqlx SQLite workers {:.0}",
                us(cpu.server.saturating_sub(cpu.writer + cpu.sqlx)),
                us(cpu.writer),
                us(cpu.sqlx)
            );
        }
        None => println!(
            "CPU µs/turn {:.0} (this process: the clients only)",
            us(cpu.process)
        ),
    }
    println!("errors {}", errors.len());
    for e in errors.iter().take(5) {
        println!("  {e}");
    }
}
