//! [`AppError`]: every way a request can fail, each mapped to an explicit HTTP status and a JSON
//! body `{"error": "<message>"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sightline_protocol::DecodeError;
use thiserror::Error;

use crate::store::StoreError;

/// Why a request failed; the variant decides the status code, the message is sent to the client.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AppError {
    /// The ingest request carries no DSN key (401).
    #[error(
        "missing DSN key: send ?sentry_key=KEY, an X-Sentry-Auth header or Authorization: Sentry sentry_key=KEY"
    )]
    MissingKey,
    /// The DSN key or project is unknown, or the key belongs to another project (403).
    #[error("{0}")]
    Forbidden(String),
    /// The read API was called without a valid admin token (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The request body is larger than the named limit (413).
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The uploaded segment could not be decoded (400).
    #[error("{0}")]
    InvalidSegment(#[from] DecodeError),
    /// The request is well-formed but its content is not acceptable (400).
    #[error("{0}")]
    BadRequest(String),
    /// The upload contradicts data already stored (409).
    #[error("{0}")]
    Conflict(String),
    /// The requested resource does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The storage layer failed (500); details are logged, not sent.
    #[error("storage error: {0}")]
    Store(StoreError),
    /// Anything else that is the server's fault (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingKey | Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidSegment(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short, stable name for the failure, used when counting rejected uploads.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingKey => "missing_key",
            Self::Forbidden(_) => "forbidden",
            Self::Unauthorized(_) => "unauthorized",
            Self::PayloadTooLarge { .. } => "too_large",
            Self::InvalidSegment(_) => "invalid_segment",
            Self::BadRequest(_) => "bad_request",
            Self::Conflict(_) => "conflict",
            Self::NotFound(_) => "not_found",
            Self::Store(_) => "store_error",
            Self::Internal(_) => "internal_error",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => Self::Conflict(message),
            other => Self::Store(other),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "internal server error".to_owned()
        } else {
            self.to_string()
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_error_keeps_its_message() {
        let error = AppError::PayloadTooLarge { limit: 10 };
        assert_eq!(error.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(error.to_string().contains("10 bytes"));
        let error = AppError::from(DecodeError::BadMagic);
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert!(error.to_string().contains("magic"));
    }

    #[test]
    fn store_conflicts_become_409() {
        let error = AppError::from(StoreError::Conflict("different bytes".into()));
        assert_eq!(error.status(), StatusCode::CONFLICT);
        assert_eq!(error.reason(), "conflict");
    }
}
