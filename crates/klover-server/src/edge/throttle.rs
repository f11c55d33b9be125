//! Per-IP throttles at the edge: websocket handshakes per minute, and failed token
//! checks per minute (a wrong-token guesser is slowed to a few tries a minute, and each
//! failure is logged with its address, never with the token).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;
use crate::telemetry;

/// The window failed token checks are counted in.
const WINDOW: Duration = Duration::from_secs(60);

/// Failed token checks by IP address, in fixed one-minute windows.
#[derive(Debug)]
pub struct FailedAuth {
    max: u32,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl FailedAuth {
    /// At most `max` failures a minute from one address (at least 1).
    pub fn new(max: u32) -> Self {
        Self {
            max: max.max(1),
            seen: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<IpAddr, (Instant, u32)>) -> T) -> T {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut seen)
    }

    /// Whether `ip` used up its failures for this minute.
    pub fn blocked(&self, ip: IpAddr) -> bool {
        self.with(|seen| {
            seen.get(&ip)
                .is_some_and(|(since, n)| since.elapsed() < WINDOW && *n >= self.max)
        })
    }

    /// Counts one failed token check from `ip`.
    pub fn record(&self, ip: IpAddr) {
        self.with(|seen| {
            let entry = seen.entry(ip).or_insert((Instant::now(), 0));
            if entry.0.elapsed() >= WINDOW {
                *entry = (Instant::now(), 0);
            }
            entry.1 = entry.1.saturating_add(1);
        });
        telemetry::error("auth_failed");
        tracing::warn!(%ip, "failed token check");
    }

    /// Forgets addresses whose window is over (housekeeping).
    pub fn forget_old(&self) {
        self.with(|seen| seen.retain(|_, (since, _)| since.elapsed() < WINDOW));
    }
}

/// The caller's address (IPv4-mapped IPv6 as IPv4), if the server recorded it.
pub fn peer_ip(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical())
}

fn carries_token(headers: &HeaderMap, query: Option<&str>) -> bool {
    crate::auth::bearer(headers).is_some()
        || query.is_some_and(|q| q.split('&').any(|p| p.starts_with("token=")))
}

fn too_many(why: &'static str) -> Response {
    telemetry::error("throttled");
    (StatusCode::TOO_MANY_REQUESTS, [(RETRY_AFTER, "60")], why).into_response()
}

/// Middleware: handshake rate per IP on `/ws`; with auth on, 429 for a blocked address's
/// token-carrying requests and handshakes, and every 401 counted as a failed token check.
pub async fn guard(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let Some(ip) = peer_ip(&req) else {
        return next.run(req).await;
    };
    let throttles = &app.edge;
    let is_ws = req.uri().path() == "/ws";
    if is_ws && throttles.handshakes.check_key(&ip).is_err() {
        return too_many("too many connections from your address: try again in a minute");
    }
    let auth = app.settings.auth;
    if auth
        && (is_ws || carries_token(req.headers(), req.uri().query()))
        && throttles.failed_auth.blocked(ip)
    {
        return too_many("too many wrong tokens from your address: try again in a minute");
    }
    let response = next.run(req).await;
    if auth && response.status() == StatusCode::UNAUTHORIZED {
        throttles.failed_auth.record(ip);
    }
    response
}

/// The caller's IP address as an extractor (`None` when served without [`super::serve`]).
#[derive(Debug, Clone, Copy)]
pub struct PeerIp(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_canonical()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_after_its_failures_and_others_are_not() {
        let failed = FailedAuth::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        failed.record(a);
        assert!(!failed.blocked(a));
        failed.record(a);
        assert!(failed.blocked(a));
        assert!(!failed.blocked(b));
    }
}
