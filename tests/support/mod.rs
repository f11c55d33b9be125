//! Shared helpers for end-to-end tests: [`spawn_app`] starts the real server on port 0
//! with a fresh SQLite file, and [`WsClient`] is a real websocket client speaking the
//! protocol. Each test binary includes this with `mod support;`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use klover_server::{AppState, Catalog, Settings, TutorVoice};
use klover_store::Store;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for any one frame before failing.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(20);

/// The reference curriculum folder.
pub fn curriculum_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("curriculum")
}

/// The learner lines of the seed conversation, in order.
pub fn seed_lines() -> Vec<String> {
    include_str!("seed_lines.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// A running server.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its database (for asserting on stored data).
    pub store: Store,
    /// Shared state (for white-box checks such as the hub).
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), klover_server::Error>>>,
    _dir: tempfile::TempDir,
}

/// Settings for tests: loopback port 0, generous rate limit, the reference curriculum.
pub fn test_settings() -> Settings {
    let mut s = Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        curriculum_dir: curriculum_dir(),
        ..Settings::default()
    };
    s.limits.rate_per_minute = 60_000;
    s.limits.rate_burst = 10_000;
    s.shutdown_grace_ms = 500;
    s
}

/// Starts the server with test settings and the offline voice.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_settings(), TutorVoice::Offline).await
}

/// Starts the server with these settings and voice (the database URL is replaced by a
/// fresh SQLite file).
pub async fn spawn_app_with(settings: Settings, voice: TutorVoice) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    start(settings, voice, dir).await
}

/// Starts the server with test settings and the offline voice over the database at
/// `database_url` (PostgreSQL or SQLite) instead of a fresh SQLite file.
pub async fn spawn_app_on(database_url: &str) -> TestApp {
    let mut settings = test_settings();
    settings.database_url = database_url.to_owned();
    start_on(
        settings,
        TutorVoice::Offline,
        tempfile::tempdir().unwrap(),
        false,
    )
    .await
}

/// Starts the server with these settings and the offline voice over their database URL
/// (PostgreSQL or SQLite).
pub async fn spawn_app_on_with(settings: Settings) -> TestApp {
    start_on(
        settings,
        TutorVoice::Offline,
        tempfile::tempdir().unwrap(),
        false,
    )
    .await
}

/// Starts a server again on `addr` over a stopped server's database.
pub async fn restart_on(addr: SocketAddr, db: KeptDb) -> TestApp {
    let mut settings = test_settings();
    settings.bind = addr;
    start(settings, TutorVoice::Offline, db._dir).await
}

async fn start(settings: Settings, voice: TutorVoice, dir: tempfile::TempDir) -> TestApp {
    start_on(settings, voice, dir, true).await
}

/// Starts the server; `in_dir`: over the SQLite file `klover.db` in `dir` (else over the
/// settings' database).
async fn start_on(
    mut settings: Settings,
    voice: TutorVoice,
    dir: tempfile::TempDir,
    in_dir: bool,
) -> TestApp {
    if in_dir {
        settings.database_url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("klover.db").display()
        );
    }
    let store = Store::connect(&settings.database_url).await.unwrap();
    // As `klover serve`: the folder is imported as a version, the store's latest taught.
    let folders = klover_server::curricula::read_folders(&settings.curriculum_dir, true).unwrap();
    let catalog: Catalog = klover_server::curricula::import_at_start(&store, folders)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind(settings.bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(settings, store.clone(), catalog, voice);
    assert!(!in_dir || state.settings.database_url.contains("klover.db"));
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(klover_server::run(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        store,
        state,
        shutdown: Some(tx),
        handle: Some(handle),
        _dir: dir,
    }
}

impl TestApp {
    /// `ws://addr/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// `http://addr` + path.
    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A connected websocket client (no token).
    pub async fn client(&self) -> WsClient {
        WsClient::connect(&self.ws_url()).await.unwrap()
    }

    /// Creates a learner and a token for it.
    pub async fn token_for(&self, name: &str) -> String {
        let learner = self.store.create_learner(name).await.unwrap();
        self.store
            .create_api_token(klover_store::Role::Learner, Some(&learner.id), "test")
            .await
            .unwrap()
    }

    /// Shuts the server down and waits for it.
    pub async fn stop(self) -> Result<(), klover_server::Error> {
        self.stop_keeping_db().await.0
    }

    /// Shuts the server down; the database file stays for inspection.
    pub async fn stop_keeping_db(mut self) -> (Result<(), klover_server::Error>, KeptDb) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let result = match self.handle.take() {
            Some(h) => h.await.unwrap(),
            None => Ok(()),
        };
        let url = self.state.settings.database_url.clone();
        (
            result,
            KeptDb {
                url,
                _dir: self._dir,
            },
        )
    }
}

/// A stopped server's database.
pub struct KeptDb {
    url: String,
    _dir: tempfile::TempDir,
}

impl KeptDb {
    /// Opens the database again.
    pub async fn reopen(&self) -> Store {
        Store::connect(&self.url).await.unwrap()
    }
}

/// A real websocket client.
pub struct WsClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every sequenced frame received, in order (for loss and duplicate checks).
    pub seqs: Vec<u64>,
    counter: u64,
}

/// How a client's socket ended.
#[derive(Debug, PartialEq)]
pub enum Closed {
    /// A close frame with this code and reason.
    Code(u16, String),
    /// The stream ended without a close frame.
    Eof,
}

impl WsClient {
    /// Connects to `url`.
    pub async fn connect(url: &str) -> Result<Self, tungstenite::Error> {
        let (ws, _) = tokio_tungstenite::connect_async(url).await?;
        Ok(Self::wrap(ws))
    }

    /// Connects to `url`; returns the handshake response's headers too (a load balancer
    /// may say there which instance answered).
    pub async fn connect_with_headers(
        url: &str,
    ) -> Result<(Self, tungstenite::http::HeaderMap), tungstenite::Error> {
        let (ws, response) = tokio_tungstenite::connect_async(url).await?;
        Ok((Self::wrap(ws), response.headers().clone()))
    }

    /// Connects with an `Origin` header.
    pub async fn connect_with_origin(url: &str, origin: &str) -> Result<Self, tungstenite::Error> {
        let mut req = url.into_client_request()?;
        req.headers_mut().insert("origin", origin.parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Self::wrap(ws))
    }

    fn wrap(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        Self {
            ws,
            seqs: Vec::new(),
            counter: 0,
        }
    }

    /// Sends a JSON frame.
    pub async fn send(&mut self, v: Value) {
        self.ws.send(Message::text(v.to_string())).await.unwrap();
    }

    /// Sends any websocket message.
    pub async fn send_raw(&mut self, m: Message) {
        self.ws.send(m).await.unwrap();
    }

    /// Starts a session; returns the events up to the opening's `progress`.
    pub async fn start(&mut self, curriculum: &str, concept: Option<&str>) -> Vec<Value> {
        let mut v = json!({"type": "start", "curriculum": curriculum});
        if let Some(c) = concept {
            v["concept"] = json!(c);
        }
        self.send(v).await;
        self.until("progress").await
    }

    /// Sends a learner message with a fresh client id; returns the client id.
    pub async fn say(&mut self, text: &str) -> String {
        // Unique across clients: a second client reusing an id would be a retry.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        self.counter = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("c-{}", self.counter);
        self.send(json!({"type": "message", "client_id": id, "text": text}))
            .await;
        id
    }

    /// Says `text` and returns every event until the turn's closing `progress`.
    pub async fn turn(&mut self, text: &str) -> Vec<Value> {
        self.say(text).await;
        self.until("progress").await
    }

    /// The next JSON frame (pings skipped); panics after [`FRAME_TIMEOUT`].
    pub async fn next(&mut self) -> Value {
        match tokio::time::timeout(FRAME_TIMEOUT, self.next_frame()).await {
            Ok(Some(v)) => v,
            Ok(None) => panic!("socket closed while waiting for a frame"),
            Err(_) => panic!("no frame within {FRAME_TIMEOUT:?}"),
        }
    }

    /// The next JSON frame if one comes within `d`.
    pub async fn next_within(&mut self, d: Duration) -> Option<Value> {
        tokio::time::timeout(d, self.next_frame())
            .await
            .ok()
            .flatten()
    }

    async fn next_frame(&mut self) -> Option<Value> {
        loop {
            match self.ws.next().await? {
                Ok(Message::Text(t)) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap();
                    if let Some(seq) = v["seq"].as_u64() {
                        self.seqs.push(seq);
                    }
                    return Some(v);
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Frames up to and including the first of type `ty`.
    pub async fn until(&mut self, ty: &str) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let v = self.next().await;
            let hit = v["type"] == ty;
            out.push(v);
            if hit {
                return out;
            }
        }
    }

    /// Reads until the server closes; returns how.
    pub async fn closed(&mut self) -> Closed {
        let wait = async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Close(Some(CloseFrame { code, reason })))) => {
                        return Closed::Code(code.into(), reason.to_string());
                    }
                    Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return Closed::Eof,
                    Some(Ok(_)) => {}
                }
            }
        };
        tokio::time::timeout(FRAME_TIMEOUT, wait)
            .await
            .expect("the server did not close the socket")
    }

    /// Drops the connection without a close handshake.
    pub fn drop_connection(self) {
        drop(self);
    }
}

/// Asserts the sequenced frames a client saw are 1..=n without gaps or repeats.
pub fn assert_contiguous(seqs: &[u64]) {
    let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
    assert_eq!(
        seqs,
        expected.as_slice(),
        "seqs must be 1, 2, 3 … without gaps or repeats"
    );
}

/// The session id from a `session` event among `events`.
pub fn session_id(events: &[Value]) -> String {
    events
        .iter()
        .find(|e| e["type"] == "session")
        .and_then(|e| e["session_id"].as_str())
        .expect("a session event")
        .to_owned()
}

/// The first event of type `ty`.
pub fn find<'a>(events: &'a [Value], ty: &str) -> Option<&'a Value> {
    events.iter().find(|e| e["type"] == ty)
}
