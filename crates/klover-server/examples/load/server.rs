//! The server under load, on a runtime of its own, and the fake model beside it.

use std::sync::OnceLock;
use std::time::Duration;

use klover_fake_llm::{FakeLlm, Reply};
use tokio::runtime::Runtime;

use crate::cpu::SERVER_THREADS;

const LLM_REPLY: &str = "Good thinking so far. Now picture the worker waiting on a slow \
     network call: what could it usefully do during that time, and why?";
const VERDICT: &str = r#"{"checkpoints":[],"misconceptions":[],"asked_question":false,"asked_for_answer":false,"dont_know":false,"off_topic":false}"#;

/// A verdict that changes the plan of every turn: every checkpoint of the reference
/// curriculum (`ids`) credited in full, quoting the learner's line (found in the judge's
/// prompt), so the turn's concept counts as complete where the rubric credited less.
/// `None` when no learner line is in the prompt.
fn all_credited(ids: &[String], prompt: &str) -> Option<String> {
    let line = crate::learner::LINES
        .iter()
        .find(|l| prompt.contains(**l))?;
    let checkpoints: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "score": 1.0, "evidence": line}))
        .collect();
    Some(
        serde_json::json!({
            "checkpoints": checkpoints,
            "misconceptions": [],
            "asked_question": false,
            "asked_for_answer": false,
            "dont_know": false,
            "off_topic": false,
        })
        .to_string(),
    )
}

/// Words in the fake voice's reply.
pub fn reply_words() -> usize {
    LLM_REPLY.split_whitespace().count()
}

/// The runtime the server runs on: 2 workers and its blocking threads, all named
/// [`SERVER_THREADS`], kept alive an hour so none exits (and takes its CPU figure with
/// it) mid-run. Never dropped: it lives as long as the process.
fn server_runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(SERVER_THREADS)
            .thread_keep_alive(Duration::from_secs(3600))
            .enable_all()
            .build()
            .expect("the server runtime")
    })
}

/// Runs `fut` on the server's runtime.
pub async fn on_server<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    server_runtime().spawn(fut).await.expect("a server task")
}

/// What the fake judge answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judge {
    /// An unusable verdict: the rubric's assessment stands, so the speculative voice's
    /// plan is the real one (the judge "agrees").
    Agrees,
    /// A usable verdict that credits and flags nothing ([`VERDICT`]): the plan changes
    /// where the rubric credited or flagged something.
    Silent,
    /// A verdict that changes the plan (see `all_credited`): the speculative voice is
    /// cancelled and the voice starts again.
    Disagrees,
}

/// A fake model on the current (client) runtime. The voice streams a 24-word reply word
/// by word, each word tagged `#<request>.<chunk>` so a client can tell which chunk of
/// which request a `tutor_delta` carries; chunks are logged ([`FakeLlm::sent_chunks`]).
/// The judge answers as `judge` says.
pub async fn start_fake_llm(first_token: Duration, chunk: Duration, judge: Judge) -> FakeLlm {
    let fake = FakeLlm::start().await;
    fake.log_chunks();
    // Parsed once: the responder runs on the clients' runtime, where parsing the
    // curriculum per request delayed the voice's request behind the judge's (measured).
    let ids: Vec<String> = klover_server::builtin::reference_curriculum()
        .expect("the built-in curriculum")
        .concepts
        .iter()
        .flat_map(|c| &c.checkpoints)
        .map(|c| c.id.as_str().to_owned())
        .collect();
    fake.set_responder(move |req| {
        if req.is_stream() {
            let words = LLM_REPLY.split_whitespace().enumerate();
            let chunks = words.map(|(n, w)| format!("{w}#{}.{n} ", req.index));
            Reply::chunks(chunks)
                .first_token_after(first_token)
                .chunk_interval(chunk)
        } else {
            let prompt: String = req.messages().into_iter().map(|(_, text)| text).collect();
            let verdict = match judge {
                Judge::Agrees => "not a verdict".to_owned(),
                Judge::Silent => VERDICT.to_owned(),
                Judge::Disagrees => {
                    all_credited(&ids, &prompt).unwrap_or_else(|| VERDICT.to_owned())
                }
            };
            Reply::text(&verdict).first_token_after(first_token)
        }
    });
    fake
}

/// The tag of a word the fake voice sent: `(request, chunk)`.
pub fn chunk_tag(word: &str) -> Option<(usize, usize)> {
    let (_, tag) = word.rsplit_once('#')?;
    let (request, chunk) = tag.split_once('.')?;
    Some((request.parse().ok()?, chunk.parse().ok()?))
}

/// How to start the server.
pub struct ServerConfig {
    pub database_url: String,
    pub nodelay: bool,
    /// The fake model's base URL, for the LLM voice.
    pub llm: Option<String>,
    /// With auth on, this many learners of their own, each with an API token (0: auth
    /// off, every connection is the one local learner).
    pub own_learners: usize,
}

/// Starts the server on its runtime (store, state and sockets are all created there, so
/// every task they spawn runs on its threads); returns its address, its stop switch, its
/// store and the tokens of its own learners (see [`ServerConfig::own_learners`]).
pub async fn start_server(
    config: ServerConfig,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    klover_store::Store,
    Vec<String>,
) {
    // `block_on` on a thread of its own: `Store::connect`'s future is not provably `Send`
    // for every lifetime (sqlx's migrations), which `spawn` would require.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(server_runtime().block_on(serve(config)));
    });
    rx.await.expect("the server started")
}

async fn serve(
    config: ServerConfig,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    klover_store::Store,
    Vec<String>,
) {
    let mut settings = klover_server::Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        curriculum_dir: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../curriculum"),
        database_url: config.database_url,
        ..Default::default()
    };
    settings.limits.rate_per_minute = 1_000_000;
    settings.limits.rate_burst = 1_000_000;
    // Every benchmark client comes from 127.0.0.1: lift the per-IP edge limits.
    settings.limits.max_connections = 1_000_000;
    settings.limits.max_connections_per_ip = 1_000_000;
    settings.limits.handshakes_per_minute_per_ip = 1_000_000;
    if let Some(base_url) = config.llm {
        settings.llm.base_url = Some(base_url);
        settings.llm.api_key = Some(klover_llm::ApiKey::from("sk-load"));
        settings.llm.model = "fake-model".into();
    }
    let voice = klover_server::TutorVoice::from_settings(&settings.llm).unwrap();
    let store = klover_store::Store::connect(&settings.store_url())
        .await
        .unwrap();
    settings.auth = config.own_learners > 0;
    let mut tokens = Vec::with_capacity(config.own_learners);
    // Names unique per run: a repeated table on one PostgreSQL database keeps the
    // learners of the runs before.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for i in 0..config.own_learners {
        let learner = store
            .create_learner(&format!("load-{run}-{i}"))
            .await
            .unwrap();
        let role = klover_store::Role::Learner;
        let token = store
            .create_api_token(role, Some(&learner.id), "load")
            .await;
        tokens.push(token.unwrap());
    }
    let catalog = klover_server::Catalog::load(&settings.curriculum_dir).unwrap();
    let listener = tokio::net::TcpListener::bind(settings.bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = klover_server::AppState::new(settings, store.clone(), catalog, voice);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    if config.nodelay {
        // The server's router on sockets with TCP_NODELAY (`run` leaves Nagle on).
        use axum::serve::ListenerExt;
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let app = klover_server::router(app);
        let serve = axum::serve(listener, app).with_graceful_shutdown(shutdown);
        tokio::spawn(async move { serve.await });
    } else {
        tokio::spawn(async move {
            if let Err(e) = klover_server::run(listener, app, shutdown).await {
                eprintln!("server stopped: {e}");
            }
        });
    }
    (addr, stop, store, tokens)
}
