//! The server's one error type. HTTP handlers turn it into a status and a safe message
//! (internal causes are logged, never shown); the websocket turns it into an `error`
//! event with a typed code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::protocol::ErrorCode;

/// Everything that can go wrong in the server, named by cause.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Settings are invalid or unsafe.
    #[error("configuration: {0}")]
    Config(String),
    /// The curriculum folder is missing or invalid.
    #[error("curriculum: {0}")]
    Curriculum(String),
    /// The database failed.
    #[error("database: {0}")]
    Store(klover_store::StoreError),
    /// The engine refused (unknown concept, nothing to teach).
    #[error("{0}")]
    Engine(#[from] klover_domain::engine::EngineError),
    /// No token, or a wrong one.
    #[error("missing or wrong token")]
    Unauthorized,
    /// The resource belongs to someone else.
    #[error("this belongs to another learner")]
    Forbidden,
    /// The token is valid but its role may not do this (a learner token on an author
    /// route): says which role is needed and how to get a token with it.
    #[error(
        "this needs a token with the {needed} role (yours has the {has} role): \
         create one with `klover token create {how}`"
    )]
    RoleNeeded {
        /// The role the route needs (`author or admin`, `admin`).
        needed: &'static str,
        /// The caller's role.
        has: klover_store::Role,
        /// The arguments of `klover token create` that make such a token.
        how: &'static str,
    },
    /// No such thing.
    #[error("not found: {0}")]
    NotFound(String),
    /// A request that cannot be done as asked.
    #[error("{0}")]
    BadRequest(String),
    /// Another instance is answering this session right now: send again after its reply.
    #[error("{0}")]
    Busy(String),
    /// Our own fault (a bug, unreadable stored data): logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
    /// Listening or serving failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl From<klover_store::StoreError> for Error {
    fn from(e: klover_store::StoreError) -> Self {
        use klover_store::StoreError as S;
        match e {
            S::NotFound(what) => Error::NotFound(what.into()),
            S::Forbidden(_) => Error::Forbidden,
            S::Invalid(why) | S::Conflict(why) => Error::BadRequest(why),
            S::OwnedElsewhere(_) => Error::Busy(
                "Klover is still answering this session on another connection: wait for \
                 the reply (or send stop), then send this again"
                    .into(),
            ),
            other => Error::Store(other),
        }
    }
}

impl Error {
    /// The HTTP status for this error.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Forbidden | Error::RoleNeeded { .. } => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::BadRequest(_) | Error::Engine(_) => StatusCode::BAD_REQUEST,
            Error::Busy(_) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The websocket error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Unauthorized => ErrorCode::Unauthorized,
            Error::Forbidden | Error::RoleNeeded { .. } => ErrorCode::Forbidden,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::BadRequest(_) | Error::Engine(_) => ErrorCode::BadRequest,
            Error::Busy(_) => ErrorCode::ReplyInProgress,
            _ => ErrorCode::Internal,
        }
    }

    /// What the client may see: internal causes stay in the log.
    pub fn public_message(&self) -> String {
        if self.code() == ErrorCode::Internal {
            let reference: String = uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .chars()
                .take(8)
                .collect();
            tracing::error!(error = %self, reference, "internal error");
            crate::telemetry::error("internal");
            format!("something went wrong on our side (reference {reference}); try again")
        } else {
            self.to_string()
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::json!({ "error": self.public_message() });
        (status, axum::Json(body)).into_response()
    }
}
