//! The `Host` check against DNS rebinding. With auth off, anything that can reach the
//! loopback port is the local learner, and a page on another site can reach it too once
//! its own name resolves to 127.0.0.1: its requests then carry `Host: evil.example:PORT`
//! (and a matching `Origin`). So with auth off only the names of this machine with the
//! bound port, or the hosts of allowed origins, are served; anything else gets 421.
//! With auth on a token is needed anyway and the server may sit behind a proxy that
//! keeps the public name, so the check is off.

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::HOST;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::telemetry;

/// The `Host` values this server answers to (lower case).
#[derive(Debug, Clone)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    /// The loopback names and the bound address with `local`'s port, and the host of
    /// each allowed origin (`https://klover.example` allows `klover.example`).
    pub fn new(local: SocketAddr, allowed_origins: &[String]) -> Self {
        let port = local.port();
        let mut names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "[::1]".to_owned(),
        ];
        names.push(match local {
            SocketAddr::V4(a) => a.ip().to_string(),
            SocketAddr::V6(a) => format!("[{}]", a.ip()),
        });
        let mut hosts: Vec<String> = names.iter().map(|n| format!("{n}:{port}")).collect();
        if port == 80 {
            hosts.extend(names);
        }
        for origin in allowed_origins {
            let host = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .unwrap_or(origin)
                .trim_end_matches('/');
            if !host.is_empty() && host != "*" {
                hosts.push(host.to_ascii_lowercase());
            }
        }
        Self(hosts)
    }

    /// Whether a request with this `Host` header is served.
    pub fn allows(&self, host: Option<&str>) -> bool {
        host.is_some_and(|h| self.0.iter().any(|a| a.eq_ignore_ascii_case(h.trim())))
    }
}

/// Middleware: 421 for a request whose `Host` is not one of [`AllowedHosts`].
pub async fn check(State(allowed): State<AllowedHosts>, req: Request, next: Next) -> Response {
    let host = req.headers().get(HOST).and_then(|h| h.to_str().ok());
    if allowed.allows(host) {
        return next.run(req).await;
    }
    telemetry::error("host");
    tracing::warn!(
        host = host.unwrap_or(""),
        "refused a request for a foreign host"
    );
    (
        StatusCode::MISDIRECTED_REQUEST,
        "this server answers to localhost and its own address only",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_with_the_bound_port_and_allowed_origins_pass() {
        let local: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let allowed = AllowedHosts::new(local, &["https://klover.example".to_owned()]);
        for ok in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST:3000",
            "[::1]:3000",
            "klover.example",
        ] {
            assert!(allowed.allows(Some(ok)), "{ok}");
        }
        for refused in [
            "evil.example:3000",
            "localhost:3001",
            "localhost",
            "127.0.0.1",
            "localhost.evil.example:3000",
            "",
        ] {
            assert!(!allowed.allows(Some(refused)), "{refused}");
        }
        assert!(!allowed.allows(None), "no Host at all");
    }

    #[test]
    fn port_80_may_be_left_out() {
        let local: SocketAddr = "[::1]:80".parse().unwrap();
        let allowed = AllowedHosts::new(local, &[]);
        assert!(allowed.allows(Some("localhost")));
        assert!(allowed.allows(Some("[::1]")));
        assert!(allowed.allows(Some("[::1]:80")));
    }
}
