//! A rolling restart under 20 chatting learners: instance a restarted gracefully (SIGTERM,
//! started again, back in the balancer's rotation), then b, while every learner keeps
//! chatting through the balancer. Each learner is a real websocket client that behaves as
//! the web client does: it remembers the highest seq it saw, and after a disconnect it
//! reconnects through the balancer, resumes from there and sends its unacknowledged
//! message again with the same `client_id`. Afterwards every acknowledged message has
//! exactly one answer in the log (or a visible failure), and what each learner saw is the
//! log, seq for seq: nothing lost, nothing doubled.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use klover_store::{Role, Store};
use serde_json::{Value, json};
use sqlx::AnyConnection;

use crate::balancer::SERVED_BY;
use crate::cluster::{Cluster, learner_turns};
use crate::support::WsClient;

const LEARNERS: usize = 20;

/// What one learner saw and did.
#[derive(Default)]
struct Learner {
    session: String,
    /// Every sequenced frame received, in the order received (across sockets).
    frames: Vec<Value>,
    /// The `client_id`s the server acknowledged with a seq, in order.
    acked: Vec<String>,
    /// The instance each of its sockets landed on, in order.
    sockets: Vec<String>,
    /// Messages refused with `reply_in_progress` (sent again after a moment).
    refused: usize,
    /// Messages refused with `shutting_down` (sent again after reconnecting).
    shutting_down: usize,
}

impl Learner {
    fn last_seq(&self) -> u64 {
        self.frames
            .last()
            .and_then(|f| f["seq"].as_u64())
            .unwrap_or(0)
    }
}

/// A socket through the balancer, retried while no instance accepts (both restarting
/// at once never happens here, but a connection may hit the one going down).
async fn connect(url: &str) -> (WsClient, String) {
    for _ in 0..100 {
        if let Ok((client, headers)) = WsClient::connect_with_headers(url).await {
            let served = headers.get(SERVED_BY).and_then(|v| v.to_str().ok());
            return (client, served.unwrap_or("?").to_owned());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no instance accepted a connection through the balancer for 10 s");
}

async fn send_message(ws: &mut WsClient, id: &str, n: usize) {
    let text = format!("Let me think about that once more ({id}, turn {n}).");
    ws.send(json!({"type": "message", "client_id": id, "text": text}))
        .await;
}

/// Chats as the learner of `token` until `stop` is set and its message in flight is
/// answered.
async fn chat(n: usize, url: String, token: String, stop: Arc<AtomicBool>) -> Learner {
    let mut me = Learner::default();
    // The message sent and not yet answered (kept until its closing `progress`), and
    // whether the server acknowledged it.
    let mut pending: Option<String> = None;
    let mut acked = false;
    let mut turns = 0;
    loop {
        let (mut ws, served) = connect(&url).await;
        me.sockets.push(served);
        ws.send(json!({"type": "hello", "version": 1, "token": token}))
            .await;
        if me.session.is_empty() {
            ws.send(json!({"type": "start", "curriculum": "async-python"}))
                .await;
        } else {
            let last_seq = me.last_seq();
            ws.send(json!({"type": "resume", "session_id": me.session, "last_seq": last_seq}))
                .await;
            if let Some(id) = &pending {
                send_message(&mut ws, id, turns).await;
            }
        }
        // Frames until the socket closes (1001 from an instance going down).
        while let Some(frame) = ws.next_within(Duration::from_secs(30)).await {
            let ty = frame["type"].as_str().unwrap_or_default().to_owned();
            if frame["seq"].is_null() {
                if ty == "error" && frame["code"] == "reply_in_progress" {
                    me.refused += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    if let Some(id) = &pending {
                        send_message(&mut ws, id, turns).await;
                    }
                }
                if ty == "error" && frame["code"] == "shutting_down" {
                    me.shutting_down += 1;
                }
                continue;
            }
            me.frames.push(frame.clone());
            match ty.as_str() {
                "session" => me.session = frame["session_id"].as_str().unwrap().to_owned(),
                "learner_ack" if pending.as_deref() == frame["client_id"].as_str() => {
                    me.acked.push(pending.clone().unwrap());
                    acked = true;
                }
                // What closes a reply: its `progress` (the opening's, or the pending
                // message's), or the `error` after a failed one.
                "progress" | "error" if pending.is_none() || acked => {
                    if pending.take().is_some() {
                        turns += 1;
                    }
                    acked = false;
                    if stop.load(Ordering::SeqCst) {
                        return me;
                    }
                    let id = format!("l{n}-m{turns}");
                    send_message(&mut ws, &id, turns).await;
                    pending = Some(id);
                }
                _ => {}
            }
        }
    }
}

/// The session's event log, as `(seq, payload)`.
async fn log(sql: &mut AnyConnection, session: &str) -> Vec<(i64, Value)> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT seq, payload FROM events WHERE session_id = $1 ORDER BY seq")
            .bind(session)
            .fetch_all(sql)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(seq, p)| (seq, serde_json::from_str(&p).unwrap()))
        .collect()
}

/// Per acknowledged message in `log`: the `status` of its one `tutor_done` (panics if it
/// has none or two before the next `learner_ack`), a `failed` one followed by an `error`.
/// A message that finishes a concept is answered by two tutor turns, the closing and the
/// next concept's opening, with `concept_advanced` between them: the answer is the first,
/// and the opening is one more turn at most.
fn answers(log: &[(i64, Value)]) -> Vec<String> {
    let mut out = Vec::new();
    let acks: Vec<usize> = (0..log.len())
        .filter(|&i| log[i].1["type"] == "learner_ack")
        .collect();
    for (k, &at) in acks.iter().enumerate() {
        let until = acks.get(k + 1).copied().unwrap_or(log.len());
        let turn = &log[at + 1..until];
        let advanced = turn
            .iter()
            .position(|(_, e)| e["type"] == "concept_advanced")
            .unwrap_or(turn.len());
        let dones = |part: &[(i64, Value)]| -> Vec<Value> {
            part.iter()
                .map(|(_, e)| e)
                .filter(|e| e["type"] == "tutor_done")
                .cloned()
                .collect()
        };
        let done = dones(&turn[..advanced]);
        assert_eq!(
            done.len(),
            1,
            "one answer per message, seq {}: {:#?}",
            log[at].0,
            &log[at..until]
        );
        assert!(
            dones(&turn[advanced..]).len() <= 1,
            "at most one opening after a concept is closed, seq {}: {:#?}",
            log[at].0,
            &log[at..until]
        );
        let status = done[0]["status"].as_str().unwrap().to_owned();
        if status == "failed" {
            assert!(
                turn.iter().any(|(_, e)| e["type"] == "error"),
                "a failure is visible"
            );
        }
        out.push(status);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_twenty_chatting_learners_loses_and_doubles_nothing() {
    // Short replies (12 words, 25 ms apart): each learner answers several turns per second
    // of the restart, so replies are in flight whenever an instance goes down.
    // Auth on: twenty learners, each with a token (one learner's sessions would share
    // its learner model's rows).
    // The default lease (10 s): a graceful restart hands leases back, and a loaded test
    // machine should not see the other instance take over replies still running.
    let extra = [
        ("KLOVER_AUTH", "on".to_owned()),
        ("KLOVER_REPLY_LEASE_MS", "10000".to_owned()),
    ];
    let mut cluster = Cluster::start_paced(12, Duration::from_millis(25), &extra).await;
    let store = Store::connect(&cluster.db.url).await.unwrap();
    let mut tokens = Vec::new();
    for n in 0..LEARNERS {
        let learner = store.create_learner(&format!("learner-{n}")).await.unwrap();
        let token = store
            .create_api_token(Role::Learner, Some(&learner.id), "rolling")
            .await
            .unwrap();
        tokens.push(token);
    }
    store.close().await;
    let stop = Arc::new(AtomicBool::new(false));
    let learners: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .map(|(n, token)| tokio::spawn(chat(n, cluster.balancer.ws_url(), token, stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let a_log = cluster.restart("a").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let b_log = cluster.restart("b").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    let mut seen = Vec::new();
    for learner in learners {
        let done = tokio::time::timeout(Duration::from_secs(60), learner).await;
        let Ok(Ok(learner)) = done else {
            panic!(
                "a learner never got its last answer\n--- a (stopped)\n{a_log}\n--- b (stopped)\n{b_log}\n{}",
                cluster.logs()
            );
        };
        seen.push(learner);
    }

    let mut sql = cluster.sql().await;
    let mut statuses = Vec::new();
    for (n, me) in seen.iter().enumerate() {
        // What the learner saw is the log: every seq once, in order, none missing.
        let log = log(&mut sql, &me.session).await;
        let saw: Vec<(i64, Value)> = me
            .frames
            .iter()
            .map(|f| {
                let mut payload = f.clone();
                let seq = payload.as_object_mut().unwrap().remove("seq").unwrap();
                (seq.as_i64().unwrap(), payload)
            })
            .collect();
        assert_eq!(saw, log, "learner {n} saw exactly the log");
        // Every acknowledged message is stored once and answered once.
        let stored = learner_turns(&mut sql, &me.session).await;
        let ids: Vec<&str> = stored.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(
            ids, me.acked,
            "learner {n}: the acknowledged messages, once each"
        );
        for (id, reply) in &stored {
            assert!(
                ["answered", "partial", "failed"].contains(&reply.as_str()),
                "learner {n}: {id} left {reply}"
            );
        }
        let answered = answers(&log);
        assert_eq!(answered.len(), me.acked.len(), "learner {n}");
        statuses.extend(answered);
        // It chatted through both restarts: its last socket is on the restarted a (b was
        // down last), after at least one reconnect.
        assert!(
            me.sockets.len() >= 2,
            "learner {n} sockets {:?}",
            me.sockets
        );
        assert_eq!(me.sockets.last().map(String::as_str), Some("a"));
    }
    let count = |s: &str| statuses.iter().filter(|x| x.as_str() == s).count();
    let reconnects: usize = seen.iter().map(|l| l.sockets.len() - 1).sum();
    let refused: usize = seen.iter().map(|l| l.refused).sum();
    let shutting: usize = seen.iter().map(|l| l.shutting_down).sum();
    eprintln!(
        "rolling restart: {} messages acknowledged, {} complete, {} partial, {} failed; \
         {reconnects} reconnects, {refused} reply_in_progress and {shutting} shutting_down \
         refusals (sent again)",
        statuses.len(),
        count("complete"),
        count("partial"),
        count("failed"),
    );
    assert!(
        statuses.len() >= LEARNERS,
        "the learners chatted (a message each on average at least)"
    );
    cluster.finish().await;
}
