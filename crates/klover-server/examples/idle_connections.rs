//! Measures the server's resident memory per idle websocket connection.
//!
//! `cargo run --release -p klover-server --example idle_connections -- 10000`
//! (add `start` as a second argument to attach a new session to every connection).
//!
//! The process re-runs itself as a child that serves klover on 127.0.0.1 (offline voice,
//! a temporary SQLite file, the reference curriculum), so the client sockets opened here
//! do not count in the server's RSS, read from `/proc/<child>/status`. Both processes
//! raise their file-descriptor soft limit to the hard limit.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt, stream};
use tokio_tungstenite::tungstenite::Message;

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

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve") {
        return serve().await;
    }
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let start = args.get(2).map(String::as_str) == Some("start");
    let fds = raise_fd_limit();
    assert!(
        fds as usize > n + 100,
        "fd soft limit {fds} is too low for {n} connections"
    );

    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--serve")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().to_owned();
    let pid = child.id();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid);

    let url = format!("ws://{addr}/ws");
    let sockets: Vec<_> = stream::iter(0..n)
        .map(|_| {
            let url = url.clone();
            async move {
                let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
                if start {
                    let msg = r#"{"type":"start","curriculum":"async-python"}"#;
                    ws.send(Message::text(msg)).await.unwrap();
                    // Read up to the opening's progress so the session is fully set up.
                    while let Some(Ok(m)) = ws.next().await {
                        if m.to_text().is_ok_and(|t| t.contains("\"progress\"")) {
                            break;
                        }
                    }
                }
                ws
            }
        })
        .buffer_unordered(if start { 16 } else { 256 })
        .collect()
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_kib(pid);
    let per = (after.saturating_sub(before)) as f64 / sockets.len() as f64;
    println!(
        "{} idle connections{}: server RSS {before} KiB before, {after} KiB after, {:.1} KiB per connection",
        sockets.len(),
        if start { " (each with a session)" } else { "" },
        per
    );
    drop(sockets);
    let _ = child.kill();
    let _ = child.wait();
}

async fn serve() {
    raise_fd_limit();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = klover_server::Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        curriculum_dir: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../curriculum"),
        database_url: format!("sqlite://{}/k.db?mode=rwc", dir.path().display()),
        ..Default::default()
    };
    settings.limits.rate_per_minute = 1_000_000;
    settings.limits.rate_burst = 1_000_000;
    // Every benchmark client comes from 127.0.0.1: lift the per-IP edge limits.
    settings.limits.max_connections = 1_000_000;
    settings.limits.max_connections_per_ip = 1_000_000;
    settings.limits.handshakes_per_minute_per_ip = 1_000_000;
    let store = klover_store::Store::connect(&settings.database_url)
        .await
        .unwrap();
    let catalog = klover_server::Catalog::load(&settings.curriculum_dir).unwrap();
    let listener = tokio::net::TcpListener::bind(settings.bind).await.unwrap();
    println!("{}", listener.local_addr().unwrap());
    let app = klover_server::AppState::new(settings, store, catalog, Default::default());
    klover_server::run(listener, app, std::future::pending())
        .await
        .unwrap();
}
