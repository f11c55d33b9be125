//! Two `klover serve` on one fresh PostgreSQL behind HAProxy, with a fake LLM that streams
//! its replies slowly (a reply lasts seconds: time to follow it, stop it, or kill its
//! instance in the middle).

use std::time::Duration;

use klover_fake_llm::{FakeLlm, Reply};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Connection};

use crate::balancer::{Balancer, SERVED_BY};
use crate::child::Server;
use crate::db::{Backend, FreshDb};
use crate::support::WsClient;

/// What the judge answers: nothing shown (the rubric decides).
const VERDICT: &str = r#"{"checkpoints":[],"misconceptions":[],"asked_question":false,"asked_for_answer":false,"dont_know":false,"off_topic":false}"#;

/// How many words a tutor reply has, and the pause between two.
const REPLY_WORDS: usize = 100;
const WORD_EVERY: Duration = Duration::from_millis(40);

/// The tutor's reply, word by word.
pub fn reply_text() -> String {
    reply_of(REPLY_WORDS)
}

fn reply_of(words: usize) -> String {
    let words: Vec<String> = (1..=words).map(|i| format!("w{i}")).collect();
    format!("{}?", words.join(" "))
}

/// The instances, the balancer, the database and the fake LLM.
pub struct Cluster {
    /// By HAProxy server name: `a` then `b`, with the address each listens on; `None`
    /// while down.
    servers: Vec<(&'static str, String, Option<Server>)>,
    /// What every instance is started with (a restart too).
    envs: Vec<(&'static str, String)>,
    pub balancer: Balancer,
    pub db: FreshDb,
    _llm: FakeLlm,
}

impl Cluster {
    /// Starts everything on a fresh database; a reply lasts seconds.
    pub async fn start() -> Cluster {
        Cluster::start_paced(REPLY_WORDS, WORD_EVERY, &[]).await
    }

    /// As [`Cluster::start`], with replies of `words` words, one every `every`, and the
    /// instances started with `extra` settings too.
    pub async fn start_paced(
        words: usize,
        every: Duration,
        extra: &[(&'static str, String)],
    ) -> Cluster {
        let llm = FakeLlm::start().await;
        let text = reply_of(words);
        llm.set_responder(move |req| {
            if req.is_stream() {
                Reply::text(&text).chunk_interval(every)
            } else {
                Reply::text(VERDICT)
            }
        });
        let db = FreshDb::new(Backend::Postgres).await;
        let port = crate::balancer::free_port();
        let mut envs = vec![
            // The public origin: the instances answer to the balancer's address.
            ("KLOVER_ALLOWED_ORIGINS", format!("http://127.0.0.1:{port}")),
            ("KLOVER_LLM_BASE_URL", llm.base_url()),
            ("KLOVER_LLM_API_KEY", "sk-fake".to_owned()),
            ("KLOVER_LLM_MODEL", "fake-model".to_owned()),
            // Renewed every second: a busy test machine never loses a live lease, and a
            // killed owner's sessions are taken over within 3 s.
            ("KLOVER_REPLY_LEASE_MS", "3000".to_owned()),
            // Every socket comes from the balancer's address.
            ("KLOVER_HANDSHAKES_PER_MINUTE_PER_IP", "100000".to_owned()),
            ("KLOVER_MAX_CONNECTIONS_PER_IP", "10000".to_owned()),
        ];
        envs.extend_from_slice(extra);
        // One after the other: the first one migrates the fresh database.
        let a = Server::start(&db.url, &envs).await;
        let b = Server::start(&db.url, &envs).await;
        let balancer = Balancer::start(port, &[("a", &a.addr), ("b", &b.addr)]).await;
        Cluster {
            servers: vec![
                ("a", a.addr.clone(), Some(a)),
                ("b", b.addr.clone(), Some(b)),
            ],
            envs,
            balancer,
            db,
            _llm: llm,
        }
    }

    /// A socket through the balancer that landed on instance `name` (round robin: a few
    /// connections at most).
    pub async fn client_on(&self, name: &str) -> WsClient {
        for _ in 0..20 {
            let (client, headers) = WsClient::connect_with_headers(&self.balancer.ws_url())
                .await
                .unwrap();
            let served = headers.get(SERVED_BY).and_then(|v| v.to_str().ok());
            if served == Some(name) {
                return client;
            }
            assert!(served.is_some(), "the balancer did not name the instance");
        }
        panic!("20 connections through the balancer never reached instance {name}");
    }

    /// A socket through the balancer, wherever it lands.
    pub async fn client(&self) -> WsClient {
        WsClient::connect(&self.balancer.ws_url()).await.unwrap()
    }

    fn slot(&mut self, name: &str) -> &mut (&'static str, String, Option<Server>) {
        self.servers.iter_mut().find(|(n, ..)| *n == name).unwrap()
    }

    /// Kills instance `name` with SIGKILL; returns what it printed.
    pub fn kill9(&mut self, name: &str) -> String {
        self.slot(name).2.take().expect("killed twice").kill9()
    }

    /// Restarts instance `name` as a rolling restart does: SIGTERM, wait for it to exit
    /// (its sockets closed with 1001, its leases handed back), start it again on its
    /// address, and wait until the balancer sends connections to it. Returns what the
    /// stopped process printed.
    pub async fn restart(&mut self, name: &str) -> String {
        let old = self.slot(name).2.take().expect("instance is down");
        let printed = old.terminate().await;
        let (db, envs) = (self.db.url.clone(), self.envs.clone());
        let addr = self.slot(name).1.clone();
        let started = Server::start_on(&db, &envs, &addr).await;
        self.slot(name).2 = Some(started);
        self.wait_in_rotation(name).await;
        printed
    }

    /// Waits until a connection through the balancer lands on `name` (its health check
    /// passed); panics after 20 s.
    pub async fn wait_in_rotation(&self, name: &str) {
        for _ in 0..200 {
            // (A refused handshake, e.g. a 503 while no instance is up, is a "not yet".)
            let connected = WsClient::connect_with_headers(&self.balancer.ws_url()).await;
            if let Ok((_, headers)) = connected
                && headers.get(SERVED_BY).and_then(|v| v.to_str().ok()) == Some(name)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the balancer sent nothing to instance {name} within 20 s");
    }

    /// Everything the instances printed, for failure messages.
    pub fn logs(&self) -> String {
        self.servers
            .iter()
            .filter_map(|(n, _, s)| s.as_ref().map(|s| format!("--- {n}\n{}", s.log())))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A direct connection to the database, to check what was stored.
    pub async fn sql(&self) -> AnyConnection {
        sqlx::any::install_default_drivers();
        AnyConnection::connect(&self.db.url).await.unwrap()
    }

    /// Stops everything and drops the database.
    pub async fn finish(self) {
        drop(self.balancer);
        drop(self.servers);
        self.db.finish().await;
    }
}

/// Starts a session on `client`; returns its id and the opening's frames.
pub async fn start(client: &mut WsClient) -> (String, Vec<Value>) {
    let events = client.start("async-python", None).await;
    (crate::support::session_id(&events), events)
}

/// Resumes `session` on `client` from `last_seq`; returns the frames up to `resumed`.
pub async fn resume(client: &mut WsClient, session: &str, last_seq: u64) -> Vec<Value> {
    client
        .send(json!({"type": "resume", "session_id": session, "last_seq": last_seq}))
        .await;
    client.until("resumed").await
}

/// Sends a message with a given client id.
pub async fn message(client: &mut WsClient, client_id: &str, text: &str) {
    client
        .send(json!({"type": "message", "client_id": client_id, "text": text}))
        .await;
}

/// The learner turns stored for `session`, as `(client id, reply state)`.
pub async fn learner_turns(conn: &mut AnyConnection, session: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT client_message_id, reply FROM turns \
         WHERE session_id = $1 AND role = 'learner' ORDER BY seq",
    )
    .bind(session)
    .fetch_all(conn)
    .await
    .unwrap()
}
