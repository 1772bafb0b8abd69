//! Shared driver of the decompression fuzz targets: feeds bytes, in chunks whose size the input
//! chooses, to `sightline_server::encoding::read_body` as a request body would arrive, and checks
//! the bounds it promises.
//!
//! Properties: never panics; the decoded output never exceeds the decoded cap (a bomb is
//! `LimitExceeded`, the 413 error naming the cap); any other failure is a 400 `BadRequest` that
//! names the encoding; nothing else (no 5xx) comes out.

use std::io;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::header::CONTENT_ENCODING;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use sightline_server::encoding::{BodyLimits, read_body};
use sightline_server::error::AppError;

/// The caps used while fuzzing: small, so that bombs are reached quickly.
pub const LIMITS: BodyLimits = BodyLimits {
    sent: ("FUZZ_SENT", 1 << 20),
    decoded: ("FUZZ_DECODED", 64 * 1024),
};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime starts")
    })
}

/// Decodes `data` (its first byte picks the chunk size, the rest is the body) as
/// `Content-Encoding: encoding` and checks the properties above.
pub fn check(encoding: &'static str, data: &[u8]) {
    let Some((&chunk, body)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
    let chunks: Vec<Result<Vec<u8>, io::Error>> =
        body.chunks(chunk).map(|part| Ok(part.to_vec())).collect();
    let request = Body::from_stream(futures_util::stream::iter(chunks));
    let result = runtime().block_on(read_body(&headers, request, LIMITS));
    match result {
        Ok((bytes, _)) => assert!(
            bytes.len() <= LIMITS.decoded.1,
            "{encoding}: decoded {} bytes past the cap",
            bytes.len()
        ),
        Err(error @ (AppError::LimitExceeded { .. } | AppError::DecompressionBomb { .. })) => {
            assert_eq!(
                error.into_response().status(),
                StatusCode::PAYLOAD_TOO_LARGE
            );
        }
        Err(AppError::BadRequest(message)) => {
            assert!(message.contains(encoding), "{encoding}: {message}");
        }
        Err(other) => panic!("{encoding}: unexpected error {other:?}"),
    }
}
