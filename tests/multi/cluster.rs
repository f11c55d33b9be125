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
    let words: Vec<String> = (1..=REPLY_WORDS).map(|i| format!("w{i}")).collect();
    format!("{}?", words.join(" "))
}

/// The instances, the balancer, the database and the fake LLM.
pub struct Cluster {
    /// By HAProxy server name: `a` then `b`; `None` once killed.
    servers: Vec<(&'static str, Option<Server>)>,
    pub balancer: Balancer,
    pub db: FreshDb,
    _llm: FakeLlm,
}

impl Cluster {
    /// Starts everything on a fresh database.
    pub async fn start() -> Cluster {
        let llm = FakeLlm::start().await;
        llm.set_responder(|req| {
            if req.is_stream() {
                Reply::text(&reply_text()).chunk_interval(WORD_EVERY)
            } else {
                Reply::text(VERDICT)
            }
        });
        let db = FreshDb::new(Backend::Postgres).await;
        let port = crate::balancer::free_port();
        let envs = vec![
            // The public origin: the instances answer to the balancer's address.
            ("KLOVER_ALLOWED_ORIGINS", format!("http://127.0.0.1:{port}")),
            ("KLOVER_LLM_BASE_URL", llm.base_url()),
            ("KLOVER_LLM_API_KEY", "sk-fake".to_owned()),
            ("KLOVER_LLM_MODEL", "fake-model".to_owned()),
            // Renewed every second: a busy test machine never loses a live lease, and a
            // killed owner's sessions are taken over within 3 s.
            ("KLOVER_REPLY_LEASE_MS", "3000".to_owned()),
        ];
        // One after the other: the first one migrates the fresh database.
        let a = Server::start(&db.url, &envs).await;
        let b = Server::start(&db.url, &envs).await;
        let balancer = Balancer::start(port, &[("a", &a.addr), ("b", &b.addr)]).await;
        Cluster {
            servers: vec![("a", Some(a)), ("b", Some(b))],
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

    /// Kills instance `name` with SIGKILL; returns what it printed.
    pub fn kill9(&mut self, name: &str) -> String {
        let slot = self.servers.iter_mut().find(|(n, _)| *n == name).unwrap();
        slot.1.take().expect("killed twice").kill9()
    }

    /// Everything the instances printed, for failure messages.
    pub fn logs(&self) -> String {
        self.servers
            .iter()
            .filter_map(|(n, s)| s.as_ref().map(|s| format!("--- {n}\n{}", s.log())))
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
