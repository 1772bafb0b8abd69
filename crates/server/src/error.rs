//! [`AppError`]: every way a request can fail, each mapped to an explicit HTTP status and a JSON
//! body `{"error": "<message>"}`.

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sightline_protocol::DecodeError;
use thiserror::Error;

use crate::envelope::EnvelopeError;
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
    /// A compressed body inflated more than [`MAX_DECOMPRESSION_RATIO`](crate::limits::MAX_DECOMPRESSION_RATIO)
    /// times its size: a decompression bomb (413).
    #[error(
        "decompressed body inflates more than {ratio}:1 (MAX_DECOMPRESSION_RATIO): refused as a \
         decompression bomb"
    )]
    DecompressionBomb {
        /// The ratio limit.
        ratio: usize,
    },
    /// A named size limit was exceeded (413); the message names the limit.
    #[error("{what} is larger than {limit_name} ({limit} bytes)")]
    LimitExceeded {
        /// What was too large, such as "decompressed body".
        what: &'static str,
        /// The limit's name in [`crate::limits`].
        limit_name: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// The body's `Content-Encoding` is not one the server decodes (415).
    #[error("unsupported Content-Encoding {0:?}: send identity, gzip, deflate, br or zstd")]
    UnsupportedEncoding(String),
    /// The envelope is malformed (400) or breaks a size limit (413).
    #[error("invalid envelope: {0}")]
    InvalidEnvelope(#[from] EnvelopeError),
    /// The project sent more than its rate limit allows (429).
    #[error("rate limit of project {project_id} exceeded; retry after {retry_after_secs} s")]
    RateLimited {
        /// The project.
        project_id: u64,
        /// Seconds until the next request may succeed.
        retry_after_secs: u64,
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
    /// The server cannot take the request now — every ingest slot busy, the inbox backlog
    /// full, the disk full (503 with `Retry-After`); the message says which.
    #[error("{reason}; retry after {retry_after_secs} s")]
    Unavailable {
        /// What is saturated, for the client and the log.
        reason: String,
        /// Seconds to wait before retrying.
        retry_after_secs: u64,
    },
}

impl AppError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingKey | Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::PayloadTooLarge { .. }
            | Self::LimitExceeded { .. }
            | Self::DecompressionBomb { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidEnvelope(error) if error.is_too_large() => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidSegment(error) if error.is_too_large() => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::InvalidSegment(_) | Self::InvalidEnvelope(_) | Self::BadRequest(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// A short, stable name for the failure, used when counting rejected uploads.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingKey => "missing_key",
            Self::Forbidden(_) => "forbidden",
            Self::Unauthorized(_) => "unauthorized",
            Self::PayloadTooLarge { .. }
            | Self::LimitExceeded { .. }
            | Self::DecompressionBomb { .. } => "too_large",
            Self::InvalidEnvelope(error) if error.is_too_large() => "too_large",
            Self::InvalidSegment(error) if error.is_too_large() => "too_large",
            Self::UnsupportedEncoding(_) => "unsupported_encoding",
            Self::InvalidEnvelope(_) => "invalid_envelope",
            Self::RateLimited { .. } => "rate_limited",
            Self::InvalidSegment(_) => "invalid_segment",
            Self::BadRequest(_) => "bad_request",
            Self::Conflict(_) => "conflict",
            Self::NotFound(_) => "not_found",
            Self::Store(_) => "store_error",
            Self::Internal(_) => "internal_error",
            Self::Unavailable { .. } => "unavailable",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => Self::Conflict(message),
            other if crate::store::quarantine::is_disk_full(&other) => {
                crate::store::quarantine::log_disk_full(&other);
                Self::Unavailable {
                    reason: "the server's disk is full".into(),
                    retry_after_secs: crate::limits::DISK_FULL_RETRY_AFTER_SECS,
                }
            }
            other if other.is_damaged_database() => {
                tracing::error!(
                    error = %other,
                    "the database file is damaged: reads of the data on the damaged pages fail, \
                     everything else is still served; check it with `sqlite3 DATA/sightline.db \
                     'PRAGMA integrity_check'` and restore the damaged data from a backup"
                );
                Self::Store(other)
            }
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
        let message = if let Self::Unavailable { .. } = &self {
            // Logged where the saturation was detected, once per episode, not per request.
            self.to_string()
        } else if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "internal server error".to_owned()
        } else {
            self.to_string()
        };
        let mut response = (status, Json(json!({ "error": message }))).into_response();
        if let Self::Unavailable {
            retry_after_secs, ..
        } = self
        {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
        } else if let Self::RateLimited {
            retry_after_secs, ..
        } = self
        {
            let headers = response.headers_mut();
            headers.insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            // `retry_after:categories:scope:reason`; no categories means every category.
            if let Ok(value) =
                HeaderValue::from_str(&format!("{retry_after_secs}::project:project_quota"))
            {
                headers.insert("x-sentry-rate-limits", value);
            }
        }
        response
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
    fn rate_limits_tell_sdks_when_to_retry() {
        let response = AppError::RateLimited {
            project_id: 1,
            retry_after_secs: 7,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "7");
        assert_eq!(
            response.headers()["x-sentry-rate-limits"],
            "7::project:project_quota"
        );
    }

    #[test]
    fn envelope_errors_are_400_or_413() {
        let error = AppError::from(EnvelopeError::Empty);
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        let error = AppError::from(EnvelopeError::TooManyItems);
        assert_eq!(error.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(error.to_string().contains("MAX_ENVELOPE_ITEMS"));
    }

    #[test]
    fn saturation_is_503_with_retry_after() {
        let response = AppError::Unavailable {
            reason: "every ingest slot is busy".into(),
            retry_after_secs: 3,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "3");
    }

    #[test]
    fn a_full_disk_is_503_not_500() {
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            Some("database or disk is full".into()),
        );
        let error = AppError::from(StoreError::Sqlite(full));
        assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(error.to_string().contains("disk is full"), "{error}");
    }

    #[test]
    fn store_conflicts_become_409() {
        let error = AppError::from(StoreError::Conflict("different bytes".into()));
        assert_eq!(error.status(), StatusCode::CONFLICT);
        assert_eq!(error.reason(), "conflict");
    }
}
