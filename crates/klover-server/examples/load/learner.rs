//! One simulated learner on a real websocket: starts a session, then sends its lines one
//! turn at a time, timing each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::Barrier;
use tokio_tungstenite::tungstenite::Message;

use crate::server::chunk_tag;

/// Learner lines ("Me:") from the reference conversation, `shared/seed/000_d81f72e6670a64cc.txt`.
pub const LINES: &[&str] = &[
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

/// What one learner saw.
#[derive(Default)]
pub struct Outcome {
    pub started: bool,
    pub start_latency: Option<Duration>,
    pub latencies: Vec<Duration>,
    /// From sending a message to its first `tutor_delta`.
    pub ttfts: Vec<Duration>,
    /// Each tagged word of the fake voice received in a `tutor_delta`: `(request, chunk)`
    /// and when its frame arrived.
    pub received: Vec<((usize, usize), Instant)>,
    pub errors: Vec<String>,
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Reads frames until a `progress`; returns when `tutor_done` arrived (if it did), and
/// records when the first `tutor_delta` arrived and the tagged words each one carries.
async fn read_turn(ws: &mut Ws, out: &mut Outcome, sent: Instant) -> Option<Instant> {
    let mut done_at = None;
    let mut first = true;
    loop {
        let next = ws.next().await;
        let at = Instant::now();
        let frame = match next {
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
            "tutor_delta" => {
                if std::mem::take(&mut first) {
                    out.ttfts.push(at - sent);
                }
                // Several chunks may arrive in one delta (the server sends what waited).
                let text = v["text"].as_str().unwrap_or_default();
                let tags = text.split_whitespace().filter_map(chunk_tag);
                out.received.extend(tags.map(|tag| (tag, at)));
            }
            "tutor_done" => {
                done_at = Some(at);
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

/// Connects, starts a session, waits at `go` with the others, then sends `messages`
/// lines one turn at a time.
pub async fn learner(
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
            // Only the turns are measured, not the opening.
            out.ttfts.clear();
            out.received.clear();
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
