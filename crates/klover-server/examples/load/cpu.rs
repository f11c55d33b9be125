//! CPU time during the turns: the whole process, and the server's threads alone.
//!
//! The server runs on its own runtime whose worker and blocking threads are named
//! [`SERVER_THREADS`]; its SQLite connections each have a sqlx worker thread
//! (`sqlx-sqlite-worker-N`, shown as `sqlx-sqlite-wor` in `comm`: 15 characters), and a
//! SQLite store has its writer thread (`klover-sqlite-writer`, `klover-sqlite-w`). The
//! clients and the fake model run on the main runtime (`tokio-runtime-w`). Per-thread time
//! is `/proc/self/task/<tid>/schedstat`'s first field (ns on CPU; `stat`'s utime + stime
//! in 10 ms ticks where schedstat is missing); the process's is
//! `CLOCK_PROCESS_CPUTIME_ID`, which keeps the time of threads that ended.
//!
//! A thread that exits takes its figure with it: a sampler reads every thread each
//! [`SAMPLE`] during the run and keeps the last value seen, so an exited thread loses at
//! most its last interval; the count of exited threads is reported.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The name of the server runtime's threads.
pub const SERVER_THREADS: &str = "klover-srv";
/// The prefix of sqlx's SQLite worker threads, as `comm` shows it.
const SQLX_SQLITE: &str = "sqlx-sqlite";
/// The SQLite writer thread of the store (`klover_store`'s `writer.rs`), as `comm` shows it.
const KLOVER_WRITER: &str = "klover-sqlite-w";
/// How often the sampler reads the threads.
const SAMPLE: Duration = Duration::from_millis(100);

/// Whether a thread named `comm` works for the server.
fn is_server(comm: &str) -> bool {
    comm.starts_with(SERVER_THREADS)
        || comm.starts_with(SQLX_SQLITE)
        || comm.starts_with(KLOVER_WRITER)
}

/// CPU time of the whole process so far, threads that ended included.
pub fn process_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or_default(),
        u32::try_from(t.tv_nsec).unwrap_or_default(),
    )
}

/// `(tid, comm, (CPU ns, times scheduled in))` of every thread of this process now.
fn threads() -> Vec<(u32, String, Use)> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| {
            let tid: u32 = e.file_name().to_str()?.parse().ok()?;
            let path = e.path();
            let comm = std::fs::read_to_string(path.join("comm")).ok()?;
            Some((tid, comm.trim_end().to_owned(), thread_ns(&path)?))
        })
        .collect()
}

/// A thread's CPU ns and how many times it was scheduled in (`schedstat`'s third field:
/// each is a context switch to it; 0 where schedstat is missing).
type Use = (u64, u64);

fn thread_ns(task: &std::path::Path) -> Option<Use> {
    if let Ok(s) = std::fs::read_to_string(task.join("schedstat")) {
        let mut f = s.split_whitespace().map(|x| x.parse::<u64>().ok());
        let ns = f.next()??;
        let slices = f.nth(1).flatten().unwrap_or(0);
        return Some((ns, slices));
    }
    let stat = std::fs::read_to_string(task.join("stat")).ok()?;
    let after = stat.rsplit(')').next()?;
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    Some(((f.get(11)? + f.get(12)?) * 10_000_000, 0))
}

/// What the threads used between [`CpuWatch::start`] and [`CpuWatch::stop`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuSplit {
    /// The whole process (`CLOCK_PROCESS_CPUTIME_ID`).
    pub process: Duration,
    /// Server runtime threads, sqlx SQLite workers and the SQLite writer thread.
    pub server: Duration,
    /// How many times those threads were scheduled in (context switches to them): a
    /// count, steadier from run to run than time on a shared machine.
    pub server_switches: u64,
    /// Of `server`: the store's SQLite writer thread.
    pub writer: Duration,
    /// Of `server`: sqlx's SQLite worker threads (the pooled connections).
    pub sqlx: Duration,
    /// Every other thread (clients, fake model, main, the sampler).
    pub rest: Duration,
    /// Threads that ended during the run (their last interval is not counted).
    pub exited: usize,
}

/// Per-thread CPU between a start and a stop, sampled meanwhile.
pub struct CpuWatch {
    process: Duration,
    /// CPU ns and switches of each thread alive at the start.
    start: HashMap<u32, Use>,
    /// The last `(comm, use)` seen of every thread alive during the run.
    last: Arc<Mutex<HashMap<u32, (String, Use)>>>,
    sampler: tokio::task::JoinHandle<()>,
}

fn update(last: &Mutex<HashMap<u32, (String, Use)>>) -> Vec<u32> {
    let now = threads();
    let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
    for (tid, comm, ns) in &now {
        last.insert(*tid, (comm.clone(), *ns));
    }
    now.into_iter().map(|(tid, _, _)| tid).collect()
}

impl CpuWatch {
    /// Reads every thread and starts sampling them on the current runtime.
    pub fn start() -> Self {
        let now = threads();
        let start = now.iter().map(|(tid, _, ns)| (*tid, *ns)).collect();
        let last: HashMap<u32, (String, Use)> = now
            .into_iter()
            .map(|(tid, comm, ns)| (tid, (comm, ns)))
            .collect();
        let last = Arc::new(Mutex::new(last));
        let sampler = {
            let last = last.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(SAMPLE).await;
                    update(&last);
                }
            })
        };
        Self {
            process: process_cpu(),
            start,
            last,
            sampler,
        }
    }

    /// Stops sampling; what each group of threads used since the start.
    pub fn stop(self) -> CpuSplit {
        self.sampler.abort();
        let process = process_cpu().saturating_sub(self.process);
        let alive = update(&self.last);
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let mut split = CpuSplit {
            process,
            ..CpuSplit::default()
        };
        for (tid, (comm, (ns, slices))) in last.iter() {
            // A thread born during the run started from zero.
            let (ns0, slices0) = self.start.get(tid).copied().unwrap_or_default();
            let used = Duration::from_nanos(ns.saturating_sub(ns0));
            if is_server(comm) {
                split.server += used;
                split.server_switches += slices.saturating_sub(slices0);
                if comm.starts_with(KLOVER_WRITER) {
                    split.writer += used;
                } else if comm.starts_with(SQLX_SQLITE) {
                    split.sqlx += used;
                }
            } else {
                split.rest += used;
            }
            if !alive.contains(tid) {
                split.exited += 1;
            }
        }
        split
    }
}
