//! Reading request bodies the way Sentry SDKs send them: any `Content-Encoding` of identity,
//! gzip, deflate (zlib-wrapped or raw), br or zstd, chunked or not, decoded while streaming.
//!
//! Both sides are bounded as the bytes arrive: the body as sent may not exceed one limit and the
//! decoded bytes another, so neither a large upload nor a small compression bomb is ever held
//! in memory beyond its limit. Breaking either answers 413 naming the limit.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_compression::tokio::bufread::{
    BrotliDecoder, DeflateDecoder, GzipDecoder, ZlibDecoder, ZstdDecoder,
};
use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncReadExt, BufReader};
use tokio_util::io::StreamReader;

use crate::error::AppError;
use crate::limits::{DECOMPRESSION_RATIO_FLOOR, MAX_DECOMPRESSION_RATIO};

/// A `Content-Encoding` the server decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentEncoding {
    /// No encoding (also an absent header).
    Identity,
    /// gzip (RFC 1952), possibly several members.
    Gzip,
    /// `deflate`: zlib-wrapped (RFC 1950) as the standard says, or raw (RFC 1951) as some
    /// clients send it; told apart by the zlib header.
    Deflate,
    /// Brotli.
    Brotli,
    /// Zstandard.
    Zstd,
}

impl ContentEncoding {
    /// The encoding named by the request's `Content-Encoding` header.
    ///
    /// # Errors
    /// [`AppError::UnsupportedEncoding`] for any other encoding or a chain of several.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, AppError> {
        let Some(value) = headers.get(CONTENT_ENCODING) else {
            return Ok(Self::Identity);
        };
        let text = value
            .to_str()
            .map_err(|_| AppError::UnsupportedEncoding(format!("{value:?}")))?;
        let mut named = text
            .split(',')
            .map(|name| name.trim().to_ascii_lowercase())
            .filter(|name| !name.is_empty() && name != "identity");
        let encoding = match named.next().as_deref() {
            None => Self::Identity,
            Some("gzip" | "x-gzip") => Self::Gzip,
            Some("deflate") => Self::Deflate,
            Some("br") => Self::Brotli,
            Some("zstd") => Self::Zstd,
            Some(_) => return Err(AppError::UnsupportedEncoding(text.to_owned())),
        };
        if named.next().is_some() {
            return Err(AppError::UnsupportedEncoding(text.to_owned()));
        }
        Ok(encoding)
    }

    /// The header value's name, for logs and messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Gzip => "gzip",
            Self::Deflate => "deflate",
            Self::Brotli => "br",
            Self::Zstd => "zstd",
        }
    }
}

/// The two caps on a body, each with the name of its constant in [`crate::limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Cap on the bytes as sent.
    pub sent: (&'static str, usize),
    /// Cap on the bytes after decoding.
    pub decoded: (&'static str, usize),
}

/// The error that stops the body stream when it grows past the cap on the bytes as sent.
#[derive(Debug)]
struct SentLimitExceeded;

impl std::fmt::Display for SentLimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body exceeds its limit")
    }
}

impl std::error::Error for SentLimitExceeded {}

/// Reads and decodes the whole body within `limits`.
///
/// # Errors
/// [`AppError::UnsupportedEncoding`] (415), [`AppError::LimitExceeded`] (413) as soon as either
/// cap is passed (before reading when `Content-Length` already says so), or
/// [`AppError::BadRequest`] when the bytes do not decode or the connection fails.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limits: BodyLimits,
) -> Result<(Vec<u8>, ContentEncoding), AppError> {
    let encoding = ContentEncoding::from_headers(headers)?;
    let (sent_name, sent_limit) = limits.sent;
    let sent_too_large = AppError::LimitExceeded {
        what: "request body",
        limit_name: sent_name,
        limit: sent_limit,
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > sent_limit as u64) {
        return Err(sent_too_large);
    }
    let received = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&received);
    let stream = body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(io::Error::other)?;
        let total = counted.fetch_add(chunk.len(), Ordering::Relaxed) + chunk.len();
        if total > sent_limit {
            return Err(io::Error::other(SentLimitExceeded));
        }
        Ok::<_, io::Error>(chunk)
    });
    let inflating = Inflating {
        cap: limits.decoded.1,
        received: &received,
    };

    let mut reader = StreamReader::new(stream);
    let decoded = match encoding {
        ContentEncoding::Identity => read_capped(reader, inflating, false).await,
        ContentEncoding::Gzip => {
            let mut decoder = GzipDecoder::new(reader);
            decoder.multiple_members(true);
            read_capped(decoder, inflating, true).await
        }
        ContentEncoding::Deflate => {
            // Two bytes tell a zlib header from raw deflate; read them, then put them back.
            let mut prefix = Vec::with_capacity(2);
            while prefix.len() < 2 {
                let mut byte = [0_u8; 1];
                match reader.read(&mut byte).await {
                    Ok(0) => break,
                    Ok(_) => prefix.push(byte[0]),
                    Err(error) => return Err(read_error(error, encoding, limits)),
                }
            }
            let zlib = is_zlib_header(&prefix);
            let chained = BufReader::new(std::io::Cursor::new(prefix).chain(reader));
            if zlib {
                read_capped(ZlibDecoder::new(chained), inflating, true).await
            } else {
                read_capped(DeflateDecoder::new(chained), inflating, true).await
            }
        }
        ContentEncoding::Brotli => read_capped(BrotliDecoder::new(reader), inflating, true).await,
        ContentEncoding::Zstd => read_capped(ZstdDecoder::new(reader), inflating, true).await,
    };
    match decoded {
        Ok(Some(bytes)) => Ok((bytes, encoding)),
        Ok(None) => Err(AppError::LimitExceeded {
            what: if encoding == ContentEncoding::Identity {
                "request body"
            } else {
                "decompressed body"
            },
            limit_name: limits.decoded.0,
            limit: limits.decoded.1,
        }),
        Err(error) => Err(read_error(error, encoding, limits)),
    }
}

/// What a body may decode to: at most `cap` bytes and, for a compressed body, at most
/// [`MAX_DECOMPRESSION_RATIO`] times the bytes `received` so far once past
/// [`DECOMPRESSION_RATIO_FLOOR`].
#[derive(Clone, Copy)]
struct Inflating<'a> {
    cap: usize,
    received: &'a AtomicUsize,
}

/// Bytes decoded per read while checking the caps.
const READ_CHUNK: usize = 64 * 1024;

/// Reads everything, or `None` as soon as more than the cap came out; a compressed body
/// (`compressed`) that inflates past the ratio is a [`RatioExceeded`] error.
async fn read_capped(
    mut reader: impl AsyncRead + Unpin,
    caps: Inflating<'_>,
    compressed: bool,
) -> io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    let mut chunk = vec![0_u8; READ_CHUNK];
    loop {
        let read = reader.read(&mut chunk).await?;
        if read == 0 {
            return Ok(Some(out));
        }
        out.extend_from_slice(&chunk[..read]);
        if out.len() > caps.cap {
            return Ok(None);
        }
        if compressed
            && out.len() > DECOMPRESSION_RATIO_FLOOR
            && out.len() / MAX_DECOMPRESSION_RATIO > caps.received.load(Ordering::Relaxed)
        {
            return Err(io::Error::other(RatioExceeded));
        }
    }
}

/// A compressed body inflated past [`MAX_DECOMPRESSION_RATIO`].
#[derive(Debug)]
struct RatioExceeded;

impl std::fmt::Display for RatioExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompressed body inflates past MAX_DECOMPRESSION_RATIO")
    }
}

impl std::error::Error for RatioExceeded {}

fn read_error(error: io::Error, encoding: ContentEncoding, limits: BodyLimits) -> AppError {
    let source_is = |check: &dyn Fn(&(dyn std::error::Error + 'static)) -> bool| {
        error.get_ref().is_some_and(|inner| check(inner))
    };
    if source_is(&|inner| inner.is::<RatioExceeded>()) {
        return AppError::DecompressionBomb {
            ratio: MAX_DECOMPRESSION_RATIO,
        };
    }
    if source_is(&|inner| inner.is::<SentLimitExceeded>()) {
        AppError::LimitExceeded {
            what: "request body",
            limit_name: limits.sent.0,
            limit: limits.sent.1,
        }
    } else if source_is(&|inner| inner.is::<axum::Error>()) {
        AppError::BadRequest(format!("failed to read request body: {error}"))
    } else {
        AppError::BadRequest(format!("invalid {} body: {error}", encoding.name()))
    }
}

/// Whether two bytes are a zlib header: compression method 8 (deflate), a window of at most
/// 32 KiB, and the check bits that make the pair a multiple of 31.
fn is_zlib_header(prefix: &[u8]) -> bool {
    match prefix {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use axum::http::HeaderValue;
    use flate2::Compression;

    use super::*;

    const LIMITS: BodyLimits = BodyLimits {
        sent: ("MAX_SENT", 20_000),
        decoded: ("MAX_DECODED", 5000),
    };

    fn headers(encoding: Option<&'static str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(encoding) = encoding {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        headers
    }

    /// A body delivered in small chunks, as a chunked upload arrives.
    fn chunked(bytes: Vec<u8>) -> Body {
        let chunks: Vec<Result<Vec<u8>, io::Error>> =
            bytes.chunks(7).map(|chunk| Ok(chunk.to_vec())).collect();
        Body::from_stream(futures_util::stream::iter(chunks))
    }

    async fn read(encoding: Option<&'static str>, bytes: Vec<u8>) -> Result<Vec<u8>, AppError> {
        read_body(&headers(encoding), chunked(bytes), LIMITS)
            .await
            .map(|(bytes, _)| bytes)
    }

    fn text() -> Vec<u8> {
        b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n".repeat(20)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn raw_deflate(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    async fn encode_with<W: tokio::io::AsyncWrite + Unpin>(mut encoder: W, bytes: &[u8]) -> W {
        use tokio::io::AsyncWriteExt;
        encoder.write_all(bytes).await.unwrap();
        encoder.shutdown().await.unwrap();
        encoder
    }

    async fn brotli(bytes: &[u8]) -> Vec<u8> {
        use async_compression::tokio::write::BrotliEncoder;
        encode_with(BrotliEncoder::new(Vec::new()), bytes)
            .await
            .into_inner()
    }

    async fn zstd(bytes: &[u8]) -> Vec<u8> {
        use async_compression::tokio::write::ZstdEncoder;
        encode_with(ZstdEncoder::new(Vec::new()), bytes)
            .await
            .into_inner()
    }

    #[tokio::test]
    async fn every_encoding_decodes_to_the_same_bytes() {
        let text = text();
        assert_eq!(read(None, text.clone()).await.unwrap(), text);
        assert_eq!(read(Some("identity"), text.clone()).await.unwrap(), text);
        assert_eq!(read(Some("gzip"), gzip(&text)).await.unwrap(), text);
        assert_eq!(read(Some("x-gzip"), gzip(&text)).await.unwrap(), text);
        assert_eq!(read(Some("deflate"), zlib(&text)).await.unwrap(), text);
        assert_eq!(
            read(Some("deflate"), raw_deflate(&text)).await.unwrap(),
            text
        );
        assert_eq!(read(Some("br"), brotli(&text).await).await.unwrap(), text);
        assert_eq!(read(Some("zstd"), zstd(&text).await).await.unwrap(), text);
        assert_eq!(read(Some("GZIP"), gzip(&text)).await.unwrap(), text);
    }

    #[tokio::test]
    async fn concatenated_gzip_members_are_all_read() {
        let mut bytes = gzip(b"first ");
        bytes.extend(gzip(b"second"));
        assert_eq!(read(Some("gzip"), bytes).await.unwrap(), b"first second");
    }

    #[tokio::test]
    async fn compression_bombs_stop_at_the_decoded_cap() {
        let bomb = vec![b'a'; 1_000_000];
        for (encoding, bytes) in [
            ("gzip", gzip(&bomb)),
            ("deflate", zlib(&bomb)),
            ("deflate", raw_deflate(&bomb)),
            ("br", brotli(&bomb).await),
            ("zstd", zstd(&bomb).await),
        ] {
            assert!(bytes.len() < LIMITS.sent.1, "{encoding}: {}", bytes.len());
            let Err(error) = read(Some(encoding), bytes).await else {
                panic!("{encoding}: a bomb was inflated");
            };
            assert!(
                matches!(
                    error,
                    AppError::LimitExceeded {
                        what: "decompressed body",
                        limit_name: "MAX_DECODED",
                        ..
                    }
                ),
                "{encoding}: {error}"
            );
        }
    }

    #[tokio::test]
    async fn large_bodies_stop_at_the_sent_cap_while_streaming() {
        let Err(error) = read(None, vec![b'x'; 20_001]).await else {
            panic!("a body over the cap was accepted");
        };
        // Unencoded, the smaller of the two caps applies.
        assert!(error.to_string().contains("MAX_DECODED"), "{error}");
        let mut incompressible = vec![0_u8; 30_000];
        rand::Rng::fill(&mut rand::rng(), &mut incompressible[..]);
        let generous = BodyLimits {
            decoded: ("MAX_DECODED", 1_000_000),
            ..LIMITS
        };
        let body = chunked(gzip(&incompressible));
        let Err(error) = read_body(&headers(Some("gzip")), body, generous).await else {
            panic!("a body over the cap was accepted");
        };
        assert!(
            matches!(
                error,
                AppError::LimitExceeded {
                    what: "request body",
                    limit_name: "MAX_SENT",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[tokio::test]
    async fn declared_length_over_the_cap_is_refused_before_reading() {
        let mut headers = headers(None);
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("50000"));
        let body = Body::from_stream(futures_util::stream::pending::<Result<Vec<u8>, io::Error>>());
        let error = read_body(&headers, body, LIMITS).await.unwrap_err();
        assert!(matches!(error, AppError::LimitExceeded { .. }));
    }

    #[tokio::test]
    async fn corrupt_and_truncated_streams_are_400() {
        let text = text();
        let mut truncated = gzip(&text);
        truncated.truncate(truncated.len() / 2);
        for (encoding, bytes) in [
            ("gzip", b"not gzip at all".to_vec()),
            ("gzip", truncated),
            ("br", b"\xff\xff\xff\xff".to_vec()),
            ("zstd", b"nope".to_vec()),
            ("deflate", b"\xff\xff\xff".to_vec()),
        ] {
            let error = read(Some(encoding), bytes).await.unwrap_err();
            assert!(
                matches!(&error, AppError::BadRequest(message) if message.contains(encoding)),
                "{encoding}: {error}"
            );
        }
    }

    #[tokio::test]
    async fn unknown_or_stacked_encodings_are_415() {
        for encoding in ["compress", "gzip, br", "snappy"] {
            let error = read(Some(encoding), text()).await.unwrap_err();
            assert!(
                matches!(error, AppError::UnsupportedEncoding(_)),
                "{encoding}"
            );
        }
        assert_eq!(
            ContentEncoding::from_headers(&headers(Some("gzip, identity"))).unwrap(),
            ContentEncoding::Gzip
        );
    }

    #[test]
    fn zlib_headers_are_told_from_raw_deflate() {
        assert!(is_zlib_header(&[0x78, 0x9c]));
        assert!(is_zlib_header(&[0x78, 0x01]));
        assert!(is_zlib_header(&[0x78, 0xda]));
        assert!(!is_zlib_header(&raw_deflate(b"hello")));
        assert!(!is_zlib_header(&[0x78]));
    }
}
