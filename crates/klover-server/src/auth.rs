//! Who is calling. Bound to loopback with auth off, every caller is the one local
//! learner; with auth on, a token (query `?token=`, `Authorization: Bearer`, or the
//! websocket's first `hello` frame) names the learner. Browsers are also held to an
//! `Origin` allowlist at the websocket handshake.

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use klover_store::{LearnerId, Role, Store};

use crate::error::Error;
use crate::settings::Settings;

/// The learner name used when auth is off (a single local learner).
pub const LOCAL_LEARNER: &str = "local";

/// The caller, once authenticated.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The learner whose sessions this caller sees.
    pub learner: LearnerId,
    /// What the caller may do.
    pub role: Role,
}

/// Finds or creates the local learner (auth off).
pub async fn local_identity(store: &Store) -> Result<Identity, Error> {
    let learner = match store.find_learner_by_name(LOCAL_LEARNER).await? {
        Some(l) => l,
        None => match store.create_learner(LOCAL_LEARNER).await {
            Ok(l) => l,
            // Another connection created it first.
            Err(_) => store
                .find_learner_by_name(LOCAL_LEARNER)
                .await?
                .ok_or(Error::Unauthorized)?,
        },
    };
    Ok(Identity {
        learner: learner.id,
        role: Role::Learner,
    })
}

/// The identity a token grants; `Unauthorized` if it is unknown, revoked or names no learner.
pub async fn token_identity(store: &Store, token: &str) -> Result<Identity, Error> {
    let grant = store
        .verify_api_token(token)
        .await?
        .ok_or(Error::Unauthorized)?;
    let learner = grant.learner.ok_or(Error::Unauthorized)?;
    Ok(Identity {
        learner,
        role: grant.role,
    })
}

/// Resolves the caller: local learner when auth is off, else the token's learner.
/// `Ok(None)` means auth is on and no token was given (a websocket may still send `hello`).
pub async fn resolve(
    settings: &Settings,
    store: &Store,
    token: Option<&str>,
) -> Result<Option<Identity>, Error> {
    match (settings.auth, token) {
        (false, _) => local_identity(store).await.map(Some),
        (true, Some(t)) => token_identity(store, t).await.map(Some),
        (true, None) => Ok(None),
    }
}

/// The token from `Authorization: Bearer …`, if any.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Whether a browser at `Origin` may open the websocket. Clients that send no `Origin`
/// (the terminal client, scripts) are not browsers and pass; a browser passes when its
/// origin is the server's own host or is in the allowlist.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|o| o.to_str().ok()) else {
        return headers.get(ORIGIN).is_none();
    };
    if allowed.iter().any(|a| a == origin || a == "*") {
        return true;
    }
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_host_and_listed_origins_pass_foreign_ones_do_not() {
        let allowed = vec!["https://klover.example".to_owned()];
        let h = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert!(origin_allowed(&h, &allowed));
        let h = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://klover.example"),
        ]);
        assert!(origin_allowed(&h, &allowed));
        let h = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://evil.example"),
        ]);
        assert!(!origin_allowed(&h, &allowed));
        let h = headers(&[("host", "127.0.0.1:3000")]);
        assert!(origin_allowed(&h, &allowed), "no Origin: not a browser");
    }

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        let h = headers(&[("authorization", "Bearer klv_abc")]);
        assert_eq!(bearer(&h).as_deref(), Some("klv_abc"));
        assert_eq!(bearer(&headers(&[("authorization", "Basic x")])), None);
    }
}
