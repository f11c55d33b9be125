//! A fake OpenAI-compatible server for tests and benchmarks: the only stand-in in Klover's
//! test suite. It speaks the chat-completions wire format exactly (SSE streaming included),
//! answers what each test scripts, fails on demand, and records what it received.
//!
//! - `POST /v1/chat/completions`, streaming (`data: {chunk}\n\n` with
//!   `choices[0].delta.content`, a final chunk with `finish_reason` and `usage`, then
//!   `data: [DONE]`) and non-streaming (one `chat.completion` object);
//! - `GET /v1/models`.
//!
//! Each request takes the next [`Reply`] pushed with [`FakeLlm::push`]; when the queue is
//! empty, the [`FakeLlm::set_responder`] function is called with the request; with neither,
//! the answer is a 500. A [`Reply`] sets the text (as chunks), the time to the first token,
//! the interval between chunks, and a [`Failure`]: an error status (429 with
//! `Retry-After`, 500), a hang before the headers or after `n` chunks, a malformed chunk, a
//! connection closed without `[DONE]` (abruptly, or a clean end with no `finish_reason`),
//! or a mid-stream `data: {"error": ...}`. [`Reply::echo_system`] is the echoing model:
//! it repeats the request's system message.
//!
//! Every request is recorded ([`FakeLlm::requests`]) with its body and how it ended
//! ([`Outcome`]); [`FakeLlm::wait_disconnect`] resolves when the client dropped a request
//! before the server finished it. Opt-in ([`FakeLlm::log_chunks`]), each streamed content
//! chunk is recorded with the instant it was handed to the connection
//! ([`FakeLlm::sent_chunks`]): benchmarks measure the relay from there to their client.
//!
//! ```
//! use klover_fake_llm::{FakeLlm, Reply};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let fake = FakeLlm::start().await;
//! fake.push(Reply::text("What is the worker, in practice?"));
//! fake.set_responder(|req| Reply::text(&format!("you sent {} messages", req.messages().len())));
//! let url = fake.base_url(); // "http://127.0.0.1:PORT/v1": give it to the client
//! assert!(url.ends_with("/v1"));
//! assert!(fake.requests().is_empty());
//! # }
//! ```
//!
//! The server runs on the caller's tokio runtime, so `tokio::time::pause()` also drives its
//! delays. It stops when the [`FakeLlm`] is dropped.

mod reply;
mod server;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

pub use reply::{Failure, Reply};
pub use server::{Outcome, RecordedRequest, Responder, SentChunk};

use server::Shared;

/// A running fake server; dropping it stops the server.
pub struct FakeLlm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeLlm {
    /// Starts a server on `127.0.0.1:0` on the current tokio runtime.
    ///
    /// # Panics
    /// If the loopback interface cannot be bound (a broken test machine).
    #[allow(clippy::expect_used)]
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake-llm: bind 127.0.0.1:0");
        Self::serve(listener)
    }

    /// Serves on an already-bound listener (for benchmarks that pick the address).
    pub fn serve(listener: tokio::net::TcpListener) -> Self {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let shared = Arc::new(Shared::default());
        let app = server::router(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "fake-llm server stopped");
            }
        });
        Self { addr, shared, task }
    }

    /// The base URL to configure a client with, ending in `/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply for the next request.
    pub fn push(&self, reply: Reply) {
        self.shared.push(reply);
    }

    /// Sets the function that answers requests when the queue is empty.
    pub fn set_responder<F>(&self, f: F)
    where
        F: Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    {
        self.shared.set_responder(Arc::new(f));
    }

    /// From now on, records when each streamed content chunk is handed to the connection
    /// for writing ([`FakeLlm::sent_chunks`]); off by default.
    pub fn log_chunks(&self) {
        self.shared.set_log_chunks(true);
    }

    /// The content chunks streamed since [`FakeLlm::log_chunks`], in the order they were
    /// handed to their connections.
    pub fn sent_chunks(&self) -> Vec<SentChunk> {
        self.shared.sent_chunks()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Waits until at least `n` requests have arrived; returns them all.
    pub async fn wait_requests(&self, n: usize) -> Vec<RecordedRequest> {
        self.wait_until(|reqs| reqs.len() >= n).await
    }

    /// Waits until the client has dropped request `index` before the server finished it
    /// (a closed connection or an abandoned request).
    pub async fn wait_disconnect(&self, index: usize) {
        self.wait_until(|reqs| {
            reqs.get(index)
                .is_some_and(|r| r.outcome == Outcome::ClientClosed)
        })
        .await;
    }

    /// Waits until `pred` holds for the recorded requests; returns them.
    pub async fn wait_until<P>(&self, pred: P) -> Vec<RecordedRequest>
    where
        P: Fn(&[RecordedRequest]) -> bool,
    {
        let mut changed = self.shared.subscribe();
        loop {
            let reqs = self.shared.requests();
            if pred(&reqs) {
                return reqs;
            }
            if changed.changed().await.is_err() {
                return reqs;
            }
        }
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.task.abort();
    }
}
