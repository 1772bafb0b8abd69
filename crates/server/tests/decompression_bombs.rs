//! Compression bombs at the real router: a small body in each `Content-Encoding` the server
//! decodes (gzip, deflate zlib-wrapped and raw, br, zstd) that inflates past
//! `MAX_DECOMPRESSED_BODY_BYTES` is answered 413 naming that limit, or the ratio limit it hits
//! first, on the envelope and the store endpoints, without the server ever holding more than the
//! limit; a bomb that inflates thousands of times is refused by the ratio after a few MiB, while
//! a large body that inflates like real data is accepted.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;

use async_compression::Level;
use axum::http::StatusCode;
use sightline_server::limits::{
    DECOMPRESSION_RATIO_FLOOR, MAX_DECOMPRESSED_BODY_BYTES, MAX_DECOMPRESSION_RATIO,
};
use support::{TestServer, error_message};

/// An envelope whose attachment is padded with spaces past the decoded limit.
fn inflated() -> Vec<u8> {
    let mut bomb = b"{}\n{\"type\":\"attachment\"}\n".to_vec();
    bomb.resize(MAX_DECOMPRESSED_BODY_BYTES + 1024, b' ');
    bomb
}

fn flate<W: Write>(mut encoder: W, bytes: &[u8]) -> W {
    encoder.write_all(bytes).unwrap();
    encoder
}

async fn async_encode<W: tokio::io::AsyncWrite + Unpin>(mut encoder: W, bytes: &[u8]) -> W {
    use tokio::io::AsyncWriteExt;
    encoder.write_all(bytes).await.unwrap();
    encoder.shutdown().await.unwrap();
    encoder
}

/// The bomb in every encoding, as `(Content-Encoding, body)`.
async fn bombs() -> Vec<(&'static str, Vec<u8>)> {
    use flate2::Compression;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    let plain = inflated();
    let gzip = flate(GzEncoder::new(Vec::new(), Compression::fast()), &plain)
        .finish()
        .unwrap();
    let zlib = flate(ZlibEncoder::new(Vec::new(), Compression::fast()), &plain)
        .finish()
        .unwrap();
    let raw = flate(DeflateEncoder::new(Vec::new(), Compression::fast()), &plain)
        .finish()
        .unwrap();
    let br = async_encode(
        async_compression::tokio::write::BrotliEncoder::with_quality(Vec::new(), Level::Fastest),
        &plain,
    )
    .await
    .into_inner();
    let zstd = async_encode(
        async_compression::tokio::write::ZstdEncoder::with_quality(Vec::new(), Level::Fastest),
        &plain,
    )
    .await
    .into_inner();
    vec![
        ("gzip", gzip),
        ("deflate", zlib),
        ("deflate", raw),
        ("br", br),
        ("zstd", zstd),
    ]
}

#[tokio::test]
async fn every_encoding_of_a_bomb_is_413_at_the_envelope_endpoint() {
    let server = TestServer::new();
    let auth = server.sentry_auth();
    for (encoding, body) in bombs().await {
        // Small on the wire: well under the limit on sent bytes, a ratio of 50 or more.
        assert!(
            body.len() < MAX_DECOMPRESSED_BODY_BYTES / 50,
            "{encoding}: {} bytes",
            body.len()
        );
        let (status, answer, _) = server
            .post(
                "/api/1/envelope/",
                &[("x-sentry-auth", &auth), ("content-encoding", encoding)],
                body,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{encoding}: {answer}"
        );
        let message = error_message(&answer);
        assert!(
            message.contains("MAX_DECOMPRESSED_BODY_BYTES")
                || message.contains("MAX_DECOMPRESSION_RATIO"),
            "{encoding}: {answer}"
        );
    }
    assert_eq!(server.state.rejections().count("too_large"), 5);
}

#[tokio::test]
async fn a_bomb_is_413_at_the_store_endpoint_too() {
    let server = TestServer::new();
    let auth = server.sentry_auth();
    for (encoding, body) in bombs().await {
        let (status, answer, _) = server
            .post(
                "/api/1/store/",
                &[("x-sentry-auth", &auth), ("content-encoding", encoding)],
                body,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{encoding}: {answer}"
        );
    }
}

#[tokio::test]
async fn a_bomb_is_refused_by_its_ratio_and_large_real_data_is_not() {
    let server = TestServer::new();
    let auth = server.sentry_auth();
    // 40 MiB of spaces in a few KiB of zstd: thousands to one.
    let mut plain = b"{}\n{\"type\":\"attachment\"}\n".to_vec();
    plain.resize(40 * 1024 * 1024, b' ');
    let bomb = async_encode(
        async_compression::tokio::write::ZstdEncoder::with_quality(Vec::new(), Level::Default),
        &plain,
    )
    .await
    .into_inner();
    assert!(bomb.len() * MAX_DECOMPRESSION_RATIO < plain.len() / 10);
    let (status, answer, _) = server
        .post(
            "/api/1/envelope/",
            &[("x-sentry-auth", &auth), ("content-encoding", "zstd")],
            bomb,
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert!(
        error_message(&answer).contains("MAX_DECOMPRESSION_RATIO"),
        "{answer}"
    );

    // 6 MiB of hex digits from a simple generator: past the ratio's floor, but it inflates
    // about twice, as real payloads do.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let attachment: Vec<u8> = (0..6 * 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            b"0123456789abcdef"[usize::try_from(state % 16).unwrap()]
        })
        .collect();
    let mut envelope = format!(
        "{{}}\n{{\"type\":\"attachment\",\"length\":{}}}\n",
        attachment.len()
    )
    .into_bytes();
    envelope.extend(&attachment);
    envelope.push(b'\n');
    let body = flate(
        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()),
        &envelope,
    )
    .finish()
    .unwrap();
    assert!(envelope.len() > DECOMPRESSION_RATIO_FLOOR);
    let (status, answer, _) = server
        .post(
            "/api/1/envelope/",
            &[("x-sentry-auth", &auth), ("content-encoding", "gzip")],
            body,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}
