//! The edge: what every connection meets before a handler. Configured in one place,
//! [`Limits`] (documented with their defaults in `docs/operations.md`, "Security"):
//! - the accept loop ([`serve`]) admits a connection only under the total and per-IP
//!   caps ([`conns`]; the permit lives as long as the socket, upgraded websockets too),
//!   and hyper closes a connection that does not finish its request headers within the
//!   header-read timeout (idle sockets and slowloris);
//! - [`layers`]: the `Host` check against DNS rebinding ([`host`], auth off), per-IP
//!   handshake and failed-token throttles ([`throttle`]), a body size limit and a
//!   request timeout (tower-http).

pub mod conns;
pub mod host;
pub mod throttle;

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::settings::{Limits, Settings};
use crate::state::AppState;
use crate::telemetry;
use conns::{ConnCaps, ConnPermit};
use throttle::FailedAuth;

/// Edge state shared by every connection (part of [`AppState`]).
#[derive(Debug)]
pub struct Edge {
    /// Open connections, in total and per IP.
    pub conns: Arc<ConnCaps>,
    /// Websocket handshakes by IP.
    pub handshakes: DefaultKeyedRateLimiter<IpAddr>,
    /// Failed token checks by IP.
    pub failed_auth: FailedAuth,
}

impl Edge {
    /// The edge as `limits` set it.
    pub fn new(limits: &Limits) -> Self {
        let per_minute =
            NonZeroU32::new(limits.handshakes_per_minute_per_ip).unwrap_or(NonZeroU32::MIN);
        Self {
            conns: ConnCaps::new(
                conns::effective_total(limits.max_connections),
                limits.max_connections_per_ip,
            ),
            handshakes: RateLimiter::keyed(Quota::per_minute(per_minute)),
            failed_auth: FailedAuth::new(limits.failed_auth_per_minute_per_ip),
        }
    }

    /// Forgets per-IP state of addresses gone quiet (housekeeping).
    pub fn forget_old(&self) {
        self.handshakes.retain_recent();
        self.handshakes.shrink_to_fit();
        self.failed_auth.forget_old();
    }
}

/// The edge layers around `router`, for a server listening on `local`.
pub fn layers(router: Router, app: &AppState, local: SocketAddr) -> Router {
    let settings: &Settings = &app.settings;
    let limits = &settings.limits;
    let mut router = router
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            throttle::guard,
        ))
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(limits.request_timeout_secs.max(1)),
        ));
    if !settings.auth {
        let allowed = host::AllowedHosts::new(local, &settings.allowed_origins);
        router = router.layer(axum::middleware::from_fn_with_state(allowed, host::check));
    }
    router
}

/// Accepts connections on `listener` and serves `router` on each until `stop` fires;
/// returns once every connection is closed (websockets included: their owner closes them).
pub async fn serve(listener: TcpListener, router: Router, app: AppState, stop: CancellationToken) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(app.settings.limits.header_read_timeout());
    let tracker = TaskTracker::new();
    tracing::info!(
        max_connections = app.edge.conns.total_max(),
        "accepting connections"
    );
    loop {
        let (tcp, peer) = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: wait a
                    // moment rather than spin.
                    tracing::warn!(error = %e, "accept error");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(permit) = app.edge.conns.admit(peer.ip().to_canonical()) else {
            telemetry::error("connection_cap");
            tracing::debug!(%peer, "connection refused: cap reached");
            continue;
        };
        // A turn goes out as several small frames: without TCP_NODELAY each waits for the
        // client's delayed ACK (a lone offline turn took 44 ms instead of 10 ms).
        let _ = tcp.set_nodelay(true);
        let io = TokioIo::new(Guarded {
            tcp,
            _permit: permit,
        });
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(req)
        });
        let conn = http.serve_connection(io, service).with_upgrades();
        let stop = stop.clone();
        tracker.spawn(async move {
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => log_conn_end(result),
                () = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    log_conn_end(conn.await);
                }
            }
        });
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
}

fn log_conn_end(result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        if e.is_timeout() {
            telemetry::error("header_timeout");
        }
        tracing::debug!(error = %e, "connection ended");
    }
}

/// A TCP stream that holds its connection's [`ConnPermit`]: the slot is given back when
/// the stream is dropped, after an HTTP exchange or at the end of an upgraded websocket.
struct Guarded {
    tcp: TcpStream,
    _permit: ConnPermit,
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}
