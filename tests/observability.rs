//! What an operator sees of a running `klover serve`: metrics listed (at zero) before the
//! first event, a request id on every response, and JSON logs whose lines carry their
//! spans: a `request` span with the route template and the request id, and a `turn` span
//! with the session, the learner and the turn, down to the lines logged inside the turn.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use klover_server::protocol::{ClientMessage, Envelope, ServerEvent};
use tokio_tungstenite::tungstenite::Message;

/// `klover serve` with JSON logs at debug for the server and tower-http, in a fresh folder;
/// its address and its stderr lines as they come.
fn serve(dir: &std::path::Path) -> (Child, String, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_klover"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(dir)
        .env_remove("KLOVER_CURRICULUM_DIR")
        .env_remove("DATABASE_URL")
        .env_remove("KLOVER_DATABASE_URL")
        .env("KLOVER_LOG_FORMAT", "json")
        .env("RUST_LOG", "info,klover_server=debug,tower_http=debug")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in err.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("serve starts");
        if let Some(rest) = line.split("serving on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    (child, addr, rx)
}

/// Reads frames until `until` matches one; returns the frames read.
async fn read_until<S>(ws: &mut S, until: impl Fn(&ServerEvent) -> bool) -> Vec<ServerEvent>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut seen = Vec::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .unwrap();
        if let Message::Text(t) = frame {
            let env: Envelope = serde_json::from_str(t.as_str()).unwrap();
            let done = until(&env.event);
            seen.push(env.event);
            if done {
                return seen;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_listed_before_the_first_event_and_a_turn_logs_inside_its_span() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr, logs) = serve(dir.path());

    let metrics = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    let request_id = metrics.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!request_id.is_empty());
    let metrics = metrics.text().await.unwrap();
    for series in [
        "# HELP klover_turns_total",
        "klover_turns_total{voice=\"offline\"} 0",
        "klover_ws_connections 0",
        "klover_aha_total 0",
    ] {
        assert!(
            metrics.contains(series),
            "{series} before any turn:\n{metrics}"
        );
    }

    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    let send = |m: ClientMessage| Message::text(serde_json::to_string(&m).unwrap());
    ws.send(send(ClientMessage::Start {
        curriculum: "async-python".into(),
        concept: None,
        mode: None,
        fresh: None,
    }))
    .await
    .unwrap();
    let opening = read_until(&mut ws, |e| matches!(e, ServerEvent::Progress(_))).await;
    let session = opening
        .iter()
        .find_map(|e| match e {
            ServerEvent::Session { session_id, .. } => Some(session_id.clone()),
            _ => None,
        })
        .unwrap();
    ws.send(send(ClientMessage::Message {
        client_id: "c-1".into(),
        text: "Async code lets the program do other work while it waits.".into(),
    }))
    .await
    .unwrap();
    let turn = read_until(&mut ws, |e| matches!(e, ServerEvent::Progress(_))).await;
    let learner_turn = turn
        .iter()
        .find_map(|e| match e {
            ServerEvent::LearnerAck { turn_id, .. } => Some(turn_id.clone()),
            _ => None,
        })
        .unwrap();
    let _ = ws.close(None).await;

    // Stop the server; every line it logged is in `logs` once its stderr closes.
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert!(child.wait().unwrap().success());
    let lines: Vec<serde_json::Value> = logs
        .iter()
        .map(|l| serde_json::from_str(&l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let spans = |line: &serde_json::Value, name: &str| -> Option<serde_json::Value> {
        line["spans"]
            .as_array()?
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
    };

    let answered = lines
        .iter()
        .find(|l| l["fields"]["message"] == "turn answered")
        .unwrap_or_else(|| panic!("a `turn answered` line: {lines:#?}"));
    let span = spans(answered, "turn").expect("logged inside the turn span");
    assert_eq!(span["session"], session.as_str(), "{answered}");
    assert_eq!(span["turn"], learner_turn.as_str(), "{answered}");
    assert!(
        span["learner"].as_str().is_some_and(|l| !l.is_empty()),
        "{answered}"
    );

    let metrics_request = lines
        .iter()
        .filter_map(|l| spans(l, "request"))
        .find(|s| s["route"] == "/metrics")
        .unwrap_or_else(|| panic!("a request span for /metrics: {lines:#?}"));
    assert_eq!(metrics_request["request_id"], request_id.as_str());
    assert_eq!(metrics_request["method"], "GET");
}
