//! `GET /ws`: the handshake (Origin allowlist, token), the small tungstenite buffers that
//! keep an idle connection cheap, and the connection loop: client frames, session events,
//! pings and the idle timeout, and the goodbye (1001) at shutdown.
//!
//! What each client frame does is in `handle`.

mod handle;

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::SinkExt;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, MissedTickBehavior, interval_at};
use tokio_tungstenite::tungstenite::Error as WsError;

use std::net::IpAddr;

use tracing::Instrument;

use crate::auth::{self, Identity};
use crate::edge::throttle::PeerIp;
use crate::error::Error;
use crate::live::Frame;
use crate::protocol::{Envelope, ErrorCode};
use crate::state::AppState;
use crate::telemetry;

pub use handle::Conn;

/// Events read from the log per query when a socket catches up (resume): a long
/// session's log is paged, never loaded whole.
pub(crate) const RESUME_PAGE: i64 = 256;

/// Close codes the server uses.
pub mod close {
    /// The client said goodbye, or the server closed an idle connection.
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// A text frame was not valid UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// Authentication failed.
    pub const POLICY: u16 = 1008;
    /// A frame over the size limit.
    pub const TOO_BIG: u16 = 1009;
}

/// Query parameters of `GET /ws`.
#[derive(Debug, Deserialize)]
pub struct WsQuery {
    /// API token (alternative to the `hello` frame).
    pub token: Option<String>,
}

/// The handshake: refuses foreign origins (403) and wrong tokens (401) before upgrading.
pub async fn upgrade(
    State(app): State<AppState>,
    PeerIp(peer): PeerIp,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !auth::origin_allowed(&headers, &app.settings.allowed_origins) {
        telemetry::error("origin");
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let token = query.token.or_else(|| auth::bearer(&headers));
    let who = match auth::resolve(&app.settings, &app.store, token.as_deref()).await {
        Ok(who) => who,
        Err(e) => {
            telemetry::error("auth");
            return e.into_response();
        }
    };
    let watched = match (&who, token.as_deref()) {
        (Some(_), Some(token)) if app.settings.auth => Some(app.revocations.watch(token)),
        _ => None,
    };
    let limits = &app.settings.limits;
    let max = limits.max_message_bytes;
    let request_span = tracing::Span::current();
    ws.read_buffer_size(limits.read_buffer_bytes)
        .write_buffer_size(limits.write_buffer_bytes)
        .max_write_buffer_size(limits.write_buffer_bytes.max(max) * 64)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| {
            let tracker = app.connections.clone();
            // The connection lives on after the handshake's request: its own span, a child
            // of the request's (route, request id), holds every line the socket logs.
            let span = tracing::info_span!(parent: &request_span, "websocket");
            tracker.track_future(serve(app, who, peer, watched, socket).instrument(span))
        })
}

async fn serve(
    app: AppState,
    who: Option<Identity>,
    peer: Option<IpAddr>,
    watched: Option<crate::revoke::Watched>,
    socket: WebSocket,
) {
    metrics::gauge!(telemetry::CONNECTIONS).increment(1.0);
    let mut conn = Conn::new(app.clone(), who, peer, socket);
    conn.watched = watched;
    conn.run().await;
    conn.detach();
    metrics::gauge!(telemetry::CONNECTIONS).decrement(1.0);
}

/// Why the connection loop stopped.
pub(crate) enum Exit {
    /// The peer left or the socket failed: nothing more to send.
    Gone,
    /// Close with this code and reason.
    Close(u16, String),
}

impl Conn {
    async fn run(&mut self) {
        let limits = self.app.settings.limits.clone();
        let period = limits.ping_interval();
        let mut ping = interval_at(Instant::now() + period, period);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_seen = Instant::now();
        // With auth on, a socket that has not authenticated by then is closed.
        let hello_by = Instant::now() + limits.hello_timeout();
        let close_sockets = self.app.close_sockets.clone();
        let exit = loop {
            let step = tokio::select! {
                biased;
                () = close_sockets.cancelled() => Err(Exit::Close(close::GOING_AWAY, "server shutting down".into())),
                () = revoked(self.watched.as_ref()) => {
                    // The reply this socket's learner is waiting for stops too.
                    if let Some(live) = &self.live {
                        live.stop_reply();
                    }
                    Err(Exit::Close(close::POLICY, "token revoked".into()))
                }
                msg = self.socket.recv() => {
                    last_seen = Instant::now();
                    self.on_socket(msg).await
                }
                frame = recv_frame(&mut self.rx) => self.on_frame(frame).await,
                _ = ping.tick() => self.on_tick(last_seen, limits.idle_timeout()).await,
                () = tokio::time::sleep_until(hello_by), if !self.authenticated() => {
                    Err(Exit::Close(close::POLICY, "no hello in time".into()))
                }
            };
            if let Err(exit) = step {
                break exit;
            }
        };
        if let Exit::Close(code, reason) = exit {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            // Send the close frame, then give the peer a moment to answer it (the close
            // handshake) before the TCP connection is dropped.
            let socket = &mut self.socket;
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                socket.send(Message::Close(Some(frame))).await?;
                while let Some(msg) = socket.recv().await {
                    if matches!(msg?, Message::Close(_)) {
                        break;
                    }
                }
                Ok::<(), axum::Error>(())
            })
            .await;
        }
    }

    async fn on_socket(&mut self, msg: Option<Result<Message, axum::Error>>) -> Result<(), Exit> {
        match msg {
            None | Some(Ok(Message::Close(_))) => Err(Exit::Gone),
            Some(Err(e)) => Err(classify(e, self.app.settings.limits.max_message_bytes)),
            Some(Ok(Message::Text(text))) => self.on_text(text.as_str()).await,
            Some(Ok(Message::Binary(_))) if !self.authenticated() => {
                self.refuse_unauthenticated().await
            }
            Some(Ok(Message::Binary(_))) => {
                telemetry::error("binary");
                self.send_env(&Envelope::error(
                    ErrorCode::BinaryNotSupported,
                    "binary frames are not part of the protocol: send JSON text frames",
                ))
                .await
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
        }
    }

    /// Sends a session event, and with it every one already waiting behind it, written to
    /// the socket with one flush: a whole offline reply (its deltas, `tutor_done`, the
    /// closing events) is one write, not one per frame.
    async fn on_frame(&mut self, frame: Result<Frame, RecvError>) -> Result<(), Exit> {
        let mut batch = Vec::new();
        let mut next = Some(frame);
        while let Some(frame) = next.take() {
            match frame {
                Ok((0, json)) => batch.push(Message::Text((&*json).into())),
                // A frame past a gap (one broadcast before this socket subscribed, or
                // relayed from another instance out of turn): the log has everything up
                // to it, sent after what is batched.
                Ok((seq, _)) if seq > self.last_sent + 1 => {
                    self.send_all(std::mem::take(&mut batch)).await?;
                    self.catch_up().await?;
                }
                Ok((seq, json)) if seq > self.last_sent => {
                    self.last_sent = seq;
                    batch.push(Message::Text((&*json).into()));
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    self.send_all(std::mem::take(&mut batch)).await?;
                    self.catch_up().await?;
                }
                Err(RecvError::Closed) => self.rx = None,
            }
            if batch.len() < MAX_BATCH {
                next = waiting_frame(&mut self.rx);
            }
        }
        self.send_all(batch).await
    }

    async fn on_tick(&mut self, last_seen: Instant, idle: Duration) -> Result<(), Exit> {
        if last_seen.elapsed() >= idle {
            return Err(Exit::Close(close::NORMAL, "idle timeout".into()));
        }
        self.send_bounded(Message::Ping(Default::default())).await
    }

    /// Sends every stored event after the last one this socket sent, a page at a time.
    pub(crate) async fn catch_up(&mut self) -> Result<(), Exit> {
        let Some(live) = self.live.clone() else {
            return Ok(());
        };
        let after = i64::try_from(self.last_sent).unwrap_or(i64::MAX);
        // Before the log: a delta stored meanwhile is then in one or the other.
        let unstored = live.unstored_frames();
        // Page through the log: a long session's resume never loads it whole.
        let mut after = after;
        loop {
            let page = match self
                .app
                .store
                .events_page(&live.id, after, RESUME_PAGE)
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    let e = Error::from(e);
                    return self
                        .send_env(&Envelope::error(e.code(), e.public_message()))
                        .await;
                }
            };
            let full = i64::try_from(page.len()).unwrap_or(i64::MAX) == RESUME_PAGE;
            for ev in page {
                after = ev.seq;
                let seq = u64::try_from(ev.seq).unwrap_or_default();
                if seq > self.last_sent {
                    self.last_sent = seq;
                    self.send_raw(&crate::live::with_seq(seq, &ev.payload))
                        .await?;
                }
            }
            if !full {
                break;
            }
        }
        for (seq, frame) in unstored {
            if seq > self.last_sent {
                self.last_sent = seq;
                self.send_raw(&frame).await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn send_env(&mut self, env: &Envelope) -> Result<(), Exit> {
        self.send_raw(&env.to_json()).await
    }

    pub(crate) async fn send_raw(&mut self, json: &str) -> Result<(), Exit> {
        self.send_bounded(Message::Text(json.into())).await
    }

    /// Sends a frame, giving up on a peer that does not read (see [`Conn::send_all`]).
    async fn send_bounded(&mut self, msg: Message) -> Result<(), Exit> {
        self.send_all(vec![msg]).await
    }

    /// Sends frames with one flush, giving up on a peer that does not read: once the
    /// socket buffers are full a send waits for the peer, and a peer that never reads
    /// would hold this connection's loop (its idle timeout and the shutdown's goodbye
    /// included) forever.
    async fn send_all(&mut self, batch: Vec<Message>) -> Result<(), Exit> {
        if batch.is_empty() {
            return Ok(());
        }
        let bound = self.app.settings.limits.send_timeout();
        let socket = &mut self.socket;
        let write = async {
            for msg in batch {
                socket.feed(msg).await?;
            }
            socket.flush().await
        };
        match tokio::time::timeout(bound, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Exit::Gone),
            Err(_) => {
                telemetry::error("send_timeout");
                tracing::warn!(after = ?bound, "dropping a connection that does not read");
                Err(Exit::Gone)
            }
        }
    }
}

async fn revoked(watched: Option<&crate::revoke::Watched>) {
    match watched {
        Some(w) => w.revoked.cancelled().await,
        None => std::future::pending().await,
    }
}

/// Frames sent with one flush at most (a bound on what a slow socket holds back).
const MAX_BATCH: usize = 64;

/// A session event already waiting for this socket, if any (without waiting).
fn waiting_frame(
    rx: &mut Option<tokio::sync::broadcast::Receiver<Frame>>,
) -> Option<Result<Frame, RecvError>> {
    use tokio::sync::broadcast::error::TryRecvError;
    match rx.as_mut()?.try_recv() {
        Ok(frame) => Some(Ok(frame)),
        Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
        Err(TryRecvError::Closed) => Some(Err(RecvError::Closed)),
        Err(TryRecvError::Empty) => None,
    }
}

async fn recv_frame(
    rx: &mut Option<tokio::sync::broadcast::Receiver<Frame>>,
) -> Result<Frame, RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Maps a read error to the close the protocol promises: 1009 for an oversize frame,
/// 1007 for invalid UTF-8; anything else means the peer is gone.
fn classify(e: axum::Error, limit: usize) -> Exit {
    let inner = e.into_inner();
    match inner.downcast_ref::<WsError>() {
        Some(WsError::Capacity(_)) => {
            telemetry::error("too_large");
            Exit::Close(
                close::TOO_BIG,
                format!("message too large: the limit is {limit} bytes"),
            )
        }
        Some(WsError::Utf8(_)) => {
            telemetry::error("bad_utf8");
            Exit::Close(close::INVALID_DATA, "text frame is not valid UTF-8".into())
        }
        _ => Exit::Gone,
    }
}
