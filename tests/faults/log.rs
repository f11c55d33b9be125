//! One learner's view of a session across connections and crashes: every sequenced frame
//! it received (each must be the one after the last: contiguous, never repeated), and the
//! checks the suite makes on the session's whole log.

use std::time::Duration;

use serde_json::{Value, json};

use crate::child::HANG_GUARD;
use crate::support::WsClient;

/// What a client saw of a session.
#[derive(Default)]
pub struct Conversation {
    pub session_id: String,
    /// Sequenced frames in seq order (index = seq - 1).
    pub frames: Vec<Value>,
    /// Client ids of the messages sent, in order.
    pub sent: Vec<String>,
}

impl Conversation {
    pub fn last_seq(&self) -> u64 {
        self.frames.len() as u64
    }

    /// Records a frame: a sequenced one must be the next seq.
    pub fn record(&mut self, v: &Value) {
        let Some(seq) = v["seq"].as_u64() else { return };
        assert_eq!(
            seq,
            self.last_seq() + 1,
            "seqs must arrive contiguous, never repeated: got {v} after {}",
            self.last_seq()
        );
        if v["type"] == "session" {
            self.session_id = v["session_id"].as_str().unwrap().to_owned();
        }
        self.frames.push(v.clone());
    }

    /// Reads frames until one of type `ty` (recording them); returns it.
    pub async fn until(&mut self, ws: &mut WsClient, ty: &str) -> Value {
        loop {
            let v = next(ws).await;
            self.record(&v);
            if v["type"] == ty {
                return v;
            }
        }
    }

    /// Reads whatever a dead server's socket still delivers.
    pub async fn drain(&mut self, ws: &mut WsClient) {
        while let Some(v) = ws.next_within(Duration::from_secs(5)).await {
            self.record(&v);
        }
    }

    /// Resumes on a fresh connection from the last seq seen; reads up to `resumed`.
    pub async fn resume(&mut self, url: &str) -> (WsClient, Value) {
        let mut ws = WsClient::connect(url).await.unwrap();
        ws.send(
            json!({"type": "resume", "session_id": self.session_id, "last_seq": self.last_seq()}),
        )
        .await;
        let resumed = self.until(&mut ws, "resumed").await;
        (ws, resumed)
    }

    /// Sends a message with a new client id.
    pub async fn say(&mut self, ws: &mut WsClient, text: &str) -> String {
        let id = format!("m-{}", self.sent.len() + 1);
        ws.send(json!({"type": "message", "client_id": id, "text": text}))
            .await;
        self.sent.push(id.clone());
        id
    }

    /// Reads until the turn of `client_id` is closed: its `tutor_done`, then its closing
    /// `progress` (or the `error` of a failed turn).
    pub async fn until_closed(&mut self, ws: &mut WsClient, client_id: &str) {
        while !turn_closed(&self.frames, client_id) {
            let v = next(ws).await;
            self.record(&v);
        }
    }
}

async fn next(ws: &mut WsClient) -> Value {
    match ws.next_within(HANG_GUARD).await {
        Some(v) => v,
        None => panic!("no frame within {HANG_GUARD:?} (or the socket closed)"),
    }
}

fn ack_index(log: &[Value], client_id: &str) -> Option<usize> {
    log.iter()
        .position(|e| e["type"] == "learner_ack" && e["client_id"] == client_id)
}

fn turn_closed(log: &[Value], client_id: &str) -> bool {
    let Some(ack) = ack_index(log, client_id) else {
        return false;
    };
    let after = &log[ack + 1..];
    let Some(done) = after.iter().position(|e| e["type"] == "tutor_done") else {
        return false;
    };
    after[done + 1..]
        .iter()
        .any(|e| e["type"] == "progress" || e["type"] == "error")
}

/// Checks a session's whole log (from seq 1) against the messages sent: seqs contiguous;
/// each message acknowledged exactly once; each acknowledged message answered by exactly
/// one `tutor_done` before the next message, whose text is its deltas said once (after a
/// concept's closing, the next concept's opening follows with a `tutor_done` of its own).
pub fn check_log(log: &[Value], sent: &[String]) {
    for (i, e) in log.iter().enumerate() {
        assert_eq!(
            e["seq"].as_u64(),
            Some(i as u64 + 1),
            "contiguous seqs: {e}"
        );
    }
    let acks: Vec<usize> = log
        .iter()
        .enumerate()
        .filter(|(_, e)| e["type"] == "learner_ack")
        .map(|(i, _)| i)
        .collect();
    for id in sent {
        let n = log
            .iter()
            .filter(|e| e["type"] == "learner_ack" && e["client_id"] == id.as_str())
            .count();
        assert_eq!(
            n, 1,
            "message {id} acknowledged once in the log (lost or doubled?)"
        );
    }
    assert_eq!(acks.len(), sent.len(), "one learner turn per message sent");
    for (k, &start) in acks.iter().enumerate() {
        let end = acks.get(k + 1).copied().unwrap_or(log.len());
        let turn = &log[start..end];
        let (reply, opening) = split_at_advance(turn);
        assert!(
            opening.iter().filter(|e| e["type"] == "tutor_done").count() <= 1,
            "a concept's closing is followed by one opening: {turn:#?}"
        );
        let dones: Vec<&Value> = reply.iter().filter(|e| e["type"] == "tutor_done").collect();
        assert_eq!(
            dones.len(),
            1,
            "message {} answered by exactly one tutor_done: {turn:#?}",
            log[start]["client_id"]
        );
        let done = dones[0];
        let said: String = turn
            .iter()
            .filter(|e| e["type"] == "tutor_delta" && e["turn_id"] == done["turn_id"])
            .map(|e| e["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            said,
            done["text"].as_str().unwrap(),
            "tutor text said once: {turn:#?}"
        );
        let status = done["status"].as_str().unwrap();
        if status != "failed" {
            assert!(
                turn.iter().any(|e| e["type"] == "progress"),
                "a turn answered ({status}) closes with progress: {turn:#?}"
            );
        }
    }
}

/// A turn's frames before its `concept_advanced` (the reply) and from it on (the next
/// concept's opening, a tutor turn of its own with its `tutor_done`).
fn split_at_advance(turn: &[Value]) -> (&[Value], &[Value]) {
    let at = turn
        .iter()
        .position(|e| e["type"] == "concept_advanced")
        .unwrap_or(turn.len());
    turn.split_at(at)
}

/// What a fault run counts: messages acknowledged but never answered, messages sent but
/// never acknowledged (lost), and acknowledgements or replies logged more than once.
pub fn tally(log: &[Value], sent: &[String]) -> (usize, usize, usize) {
    let mut unanswered = 0;
    let mut lost = 0;
    let mut doubled = 0;
    let acks: Vec<usize> = (0..log.len())
        .filter(|&i| log[i]["type"] == "learner_ack")
        .collect();
    for id in sent {
        let n = acks
            .iter()
            .filter(|&&i| log[i]["client_id"] == id.as_str())
            .count();
        if n == 0 {
            lost += 1;
        }
        doubled += n.saturating_sub(1);
    }
    for (k, &start) in acks.iter().enumerate() {
        let end = acks.get(k + 1).copied().unwrap_or(log.len());
        let (reply, opening) = split_at_advance(&log[start..end]);
        let dones = reply.iter().filter(|e| e["type"] == "tutor_done").count();
        let openings = opening.iter().filter(|e| e["type"] == "tutor_done").count();
        doubled += openings.saturating_sub(1);
        if dones == 0 {
            unanswered += 1;
        }
        doubled += dones.saturating_sub(1);
    }
    (unanswered, lost, doubled)
}

/// The whole log of a session, replayed from seq 1 on a fresh connection.
pub async fn replay(url: &str, session_id: &str) -> Vec<Value> {
    let mut ws = WsClient::connect(url).await.unwrap();
    ws.send(json!({"type": "resume", "session_id": session_id, "last_seq": 0}))
        .await;
    let mut log = Vec::new();
    loop {
        let v = next(&mut ws).await;
        if v["type"] == "resumed" {
            return log;
        }
        if v["seq"].is_u64() {
            log.push(v);
        }
    }
}
