//! The axum routes: `POST /v1/chat/completions` (streaming and not) and `GET /v1/models`,
//! with the shared state that records requests and how each one ended.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use crate::reply::{Failure, Reply};
use crate::wire;

/// A function of the request that picks the reply (used when the queue is empty).
pub type Responder = Arc<dyn Fn(&RecordedRequest) -> Reply + Send + Sync>;

/// How a recorded request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The response is still being produced.
    Open,
    /// The server sent everything the reply scripted (including scripted failures).
    Finished,
    /// The client went away before the server finished (dropped connection or request).
    ClientClosed,
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// 0-based arrival order.
    pub index: usize,
    /// The JSON body exactly as received.
    pub body: Value,
    /// The `Authorization` header, if any (tests assert the key is sent, or not).
    pub authorization: Option<String>,
    /// When it arrived (tokio's clock, so paused-time tests can measure waits).
    pub received_at: tokio::time::Instant,
    /// How the response ended so far.
    pub outcome: Outcome,
    /// The requests whose responses were still open when this one arrived (tests of
    /// requests made in parallel, without timing).
    pub open_at_arrival: Vec<usize>,
}

impl RecordedRequest {
    /// Whether the client asked for a stream.
    pub fn is_stream(&self) -> bool {
        self.body["stream"].as_bool().unwrap_or(false)
    }

    /// `(role, content)` of every message, content flattened to text.
    pub fn messages(&self) -> Vec<(String, String)> {
        let empty = Vec::new();
        let msgs = self.body["messages"].as_array().unwrap_or(&empty);
        msgs.iter()
            .map(|m| {
                let role = m["role"].as_str().unwrap_or_default().to_string();
                let content = match &m["content"] {
                    Value::String(s) => s.clone(),
                    Value::Array(parts) => parts
                        .iter()
                        .filter_map(|p| p["text"].as_str())
                        .collect::<Vec<_>>()
                        .join(""),
                    _ => String::new(),
                };
                (role, content)
            })
            .collect()
    }
}

/// One content chunk of a streamed reply, as handed to the HTTP connection for writing
/// (recorded only after [`crate::FakeLlm::log_chunks`]).
#[derive(Debug, Clone)]
pub struct SentChunk {
    /// The request it answers ([`RecordedRequest::index`]).
    pub request: usize,
    /// 0-based position among the reply's content chunks.
    pub index: usize,
    /// The chunk's `delta.content`.
    pub text: String,
    /// When hyper took the chunk to write it to the socket: the real clock (not tokio's),
    /// to compare with instants taken on other threads.
    pub at: std::time::Instant,
}

/// State shared by the handlers and the [`crate::FakeLlm`] handle.
#[derive(Default)]
pub(crate) struct Shared {
    /// Script and records, behind one std mutex: never held across an await.
    inner: Mutex<Inner>,
    /// Bumped on every change, so waiters re-check without polling.
    changed: watch::Sender<u64>,
    /// Whether streamed content chunks are recorded in `Inner::sent` (opt-in: a long
    /// benchmark would otherwise grow the log without bound).
    log_chunks: AtomicBool,
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<Reply>,
    responder: Option<Responder>,
    requests: Vec<RecordedRequest>,
    sent: Vec<SentChunk>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a test panicked while holding it; the data is fine.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn push(&self, reply: Reply) {
        self.lock().queue.push_back(reply);
    }

    pub(crate) fn set_responder(&self, responder: Responder) {
        self.lock().responder = Some(responder);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    pub(crate) fn set_log_chunks(&self, on: bool) {
        self.log_chunks.store(on, Ordering::Relaxed);
    }

    pub(crate) fn sent_chunks(&self) -> Vec<SentChunk> {
        self.lock().sent.clone()
    }

    fn record_chunk(&self, request: usize, index: usize, text: &str) {
        let at = std::time::Instant::now();
        self.lock().sent.push(SentChunk {
            request,
            index,
            text: text.to_owned(),
            at,
        });
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v += 1);
    }

    /// Records the request and picks its reply: the queue first, then the responder.
    fn record(&self, body: Value, authorization: Option<String>) -> (usize, Reply) {
        let mut inner = self.lock();
        let index = inner.requests.len();
        let open_at_arrival = inner
            .requests
            .iter()
            .filter(|r| r.outcome == Outcome::Open)
            .map(|r| r.index)
            .collect();
        let req = RecordedRequest {
            index,
            body,
            authorization,
            received_at: tokio::time::Instant::now(),
            outcome: Outcome::Open,
            open_at_arrival,
        };
        let reply = match (inner.queue.pop_front(), &inner.responder) {
            (Some(r), _) => r,
            (None, Some(f)) => f(&req),
            (None, None) => Reply::status(500),
        };
        inner.requests.push(req);
        drop(inner);
        self.bump();
        (index, reply)
    }

    fn set_outcome(&self, index: usize, outcome: Outcome) {
        if let Some(r) = self.lock().requests.get_mut(index) {
            r.outcome = outcome;
        }
        self.bump();
    }
}

/// Marks a request `ClientClosed` if dropped before [`Guard::finish`].
struct Guard {
    shared: Arc<Shared>,
    index: usize,
    done: bool,
}

impl Guard {
    fn finish(&mut self) {
        if !self.done {
            self.done = true;
            self.shared.set_outcome(self.index, Outcome::Finished);
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.done {
            self.shared.set_outcome(self.index, Outcome::ClientClosed);
        }
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/models", get(models))
        .with_state(shared)
}

async fn models() -> Json<Value> {
    Json(json!({
        "object": "list",
        "data": [{"id": "fake-model", "object": "model", "created": 0, "owned_by": "klover-fake-llm"}]
    }))
}

async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let stream = body["stream"].as_bool().unwrap_or(false);
    let model = body["model"].as_str().unwrap_or("fake-model").to_string();
    let (index, reply) = shared.record(body, auth);
    let mut guard = Guard {
        shared,
        index,
        done: false,
    };
    match &reply.failure {
        Some(Failure::Status { code, retry_after }) => {
            guard.finish();
            return status_response(*code, retry_after.map(|s| s.to_string()));
        }
        Some(Failure::StatusRawRetryAfter { code, retry_after }) => {
            guard.finish();
            return status_response(*code, Some(retry_after.clone()));
        }
        Some(Failure::HangBeforeHeaders) => {
            std::future::pending::<()>().await;
        }
        _ => {}
    }
    let id = format!("chatcmpl-fake-{index}");
    if stream {
        stream_response(guard, reply, id, model)
    } else {
        tokio::time::sleep(reply.first_token_after).await;
        if let Some(Failure::HangAfter(_)) = reply.failure {
            std::future::pending::<()>().await;
        }
        guard.finish();
        whole_response(&reply, &id, &model)
    }
}

fn status_response(code: u16, retry_after: Option<String>) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let kind = if code == 429 {
        "rate_limit_error"
    } else {
        "server_error"
    };
    let body = wire::error_object(&format!("fake-llm scripted status {code}"), kind);
    let mut resp = (status, Json(body)).into_response();
    if let Some(value) = retry_after
        && let Ok(v) = value.parse()
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn whole_response(reply: &Reply, id: &str, model: &str) -> Response {
    match &reply.failure {
        Some(Failure::MalformedAfter(_)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{not json",
        )
            .into_response(),
        Some(Failure::ErrorAfter(_, msg)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(wire::error_object(msg, "server_error")),
        )
            .into_response(),
        Some(Failure::CloseAfter(_)) => {
            let s = futures_util::stream::iter([Err::<Bytes, _>(std::io::Error::other("closed"))]);
            (StatusCode::OK, Body::from_stream(s)).into_response()
        }
        Some(Failure::EndAfter(_)) => {
            let mut v = wire::completion(reply, id, model);
            v["choices"][0]["finish_reason"] = Value::Null;
            Json(v).into_response()
        }
        _ => Json(wire::completion(reply, id, model)).into_response(),
    }
}

/// What the producer hands the response body: SSE bytes (or the error that breaks the
/// connection), and for a content chunk its position and text, for the chunk log.
struct Item {
    data: Result<Bytes, std::io::Error>,
    content: Option<(usize, String)>,
}

impl Item {
    fn line(data: String) -> Self {
        Self {
            data: Ok(Bytes::from(format!("data: {data}\n\n"))),
            content: None,
        }
    }

    fn broken(e: std::io::Error) -> Self {
        Self {
            data: Err(e),
            content: None,
        }
    }
}

type Tx = mpsc::Sender<Item>;

fn stream_response(guard: Guard, reply: Reply, id: String, model: String) -> Response {
    let (tx, mut rx) = mpsc::channel::<Item>(4);
    tokio::spawn(produce(tx, reply, id, model));
    let mut guard = guard;
    let log = guard.shared.log_chunks.load(Ordering::Relaxed);
    let body = futures_util::stream::poll_fn(move |cx| {
        let item = rx.poll_recv(cx);
        match item {
            std::task::Poll::Ready(None) => {
                guard.finish();
                std::task::Poll::Ready(None)
            }
            std::task::Poll::Ready(Some(item)) => {
                if log && let Some((n, text)) = &item.content {
                    // Hyper writes what the body yields before polling it again.
                    guard.shared.record_chunk(guard.index, *n, text);
                }
                std::task::Poll::Ready(Some(item.data))
            }
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Writes the SSE events of `reply` into `tx`, with its delays and failure.
async fn produce(tx: Tx, reply: Reply, id: String, model: String) {
    let send = |item: Item| {
        let tx = tx.clone();
        async move { tx.send(item).await.is_ok() }
    };
    if !send(Item::line(wire::role_chunk(&id, &model))).await {
        return;
    }
    tokio::time::sleep(reply.first_token_after).await;
    for (n, chunk) in reply.chunks.iter().enumerate() {
        if failure_now(&tx, &reply, n).await {
            return;
        }
        if n > 0 {
            tokio::time::sleep(reply.chunk_interval).await;
        }
        let item = Item {
            content: Some((n, chunk.clone())),
            ..Item::line(wire::content_chunk(&id, &model, chunk))
        };
        if !send(item).await {
            return;
        }
    }
    if failure_now(&tx, &reply, reply.chunks.len()).await {
        return;
    }
    if send(Item::line(wire::final_chunk(&reply, &id, &model))).await {
        let _ = send(Item::line("[DONE]".into())).await;
    }
}

/// Plays the failure if it is due after `sent` chunks; true when the stream must stop.
async fn failure_now(tx: &Tx, reply: &Reply, sent: usize) -> bool {
    let line = Item::line;
    match &reply.failure {
        Some(Failure::HangAfter(n)) if *n == sent => {
            tx.closed().await;
            true
        }
        Some(Failure::MalformedAfter(n)) if *n == sent => {
            let _ = tx.send(line("{\"choices\": [{\"delta\": ".into())).await;
            true
        }
        Some(Failure::CloseAfter(n)) if *n == sent => {
            // Let hyper write out what was sent, so the client sees the chunks, then the break.
            while tx.capacity() < tx.max_capacity() && !tx.is_closed() {
                tokio::task::yield_now().await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let _ = tx
                .send(Item::broken(std::io::Error::other(
                    "fake-llm: connection closed",
                )))
                .await;
            true
        }
        Some(Failure::EndAfter(n)) if *n == sent => true,
        Some(Failure::ErrorAfter(n, msg)) if *n == sent => {
            let _ = tx
                .send(line(wire::error_object(msg, "server_error").to_string()))
                .await;
            true
        }
        _ => false,
    }
}
