//! Typed errors of the segment codec.

use thiserror::Error;

/// Why a segment could not be decoded. Each variant names the rule or limit that was broken, so a
/// server can answer the uploader with a precise 4xx message.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before a complete segment was read.
    #[error("truncated segment: {0}")]
    Truncated(&'static str),
    /// The input does not start with the segment magic bytes.
    #[error("not a Sightline segment (bad magic bytes)")]
    BadMagic,
    /// The format version is not one this decoder knows.
    #[error("unsupported segment format version {0}")]
    UnsupportedVersion(u8),
    /// The whole segment is larger than [`MAX_SEGMENT_BYTES`](crate::limits::MAX_SEGMENT_BYTES).
    #[error("segment is {actual} bytes, over the limit of {limit}")]
    SegmentTooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The size received.
        actual: usize,
    },
    /// The header is larger than [`MAX_HEADER_BYTES`](crate::limits::MAX_HEADER_BYTES).
    #[error("segment header is {actual} bytes, over the limit of {limit}")]
    HeaderTooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The declared size.
        actual: usize,
    },
    /// The header is not a valid v1 header; the string says which field is wrong.
    #[error("invalid segment header: {0}")]
    InvalidHeader(String),
    /// The body failed to decompress.
    #[error("segment body failed to decompress: {0}")]
    Inflate(String),
    /// The decompressed body is larger than [`MAX_BODY_BYTES`](crate::limits::MAX_BODY_BYTES).
    #[error("segment body inflates beyond the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body nests deeper than [`MAX_DEPTH`](crate::limits::MAX_DEPTH).
    #[error("segment body nests deeper than the limit of {limit}")]
    TooDeep {
        /// The limit in levels.
        limit: usize,
    },
    /// An array or map is longer than [`MAX_COLLECTION_LEN`](crate::limits::MAX_COLLECTION_LEN).
    #[error("a collection of {actual} elements exceeds the limit of {limit}")]
    CollectionTooLong {
        /// The limit in elements.
        limit: usize,
        /// The declared length.
        actual: usize,
    },
    /// A string is longer than [`MAX_STRING_BYTES`](crate::limits::MAX_STRING_BYTES).
    #[error("a string of {actual} bytes exceeds the limit of {limit}")]
    StringTooLong {
        /// The limit in bytes.
        limit: usize,
        /// The declared length.
        actual: usize,
    },
    /// The body holds more values than [`MAX_TOTAL_VALUES`](crate::limits::MAX_TOTAL_VALUES).
    #[error("segment body holds more than {limit} values")]
    TooManyValues {
        /// The limit in values.
        limit: usize,
    },
    /// The body holds more events than [`MAX_EVENTS`](crate::limits::MAX_EVENTS).
    #[error("segment holds {actual} events, over the limit of {limit}")]
    TooManyEvents {
        /// The limit in events.
        limit: usize,
        /// The number of events found.
        actual: usize,
    },
    /// The header's event count does not match the body.
    #[error("header says {header} events but the body holds {body}")]
    EventCountMismatch {
        /// The count in the header.
        header: u32,
        /// The count in the body.
        body: usize,
    },
    /// The body is well-formed MessagePack but not a valid list of v1 events.
    #[error("malformed segment body: {0}")]
    Malformed(String),
    /// Bytes follow the body's top-level array.
    #[error("{0} unexpected bytes after the segment body")]
    TrailingBytes(usize),
}

impl DecodeError {
    /// Whether the segment broke a size limit (the whole segment, or its body once inflated: a
    /// compression bomb) rather than being malformed; an HTTP server answers these 413.
    pub fn is_too_large(&self) -> bool {
        matches!(
            self,
            Self::SegmentTooLarge { .. } | Self::BodyTooLarge { .. }
        )
    }
}

/// Why a segment could not be encoded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// MessagePack serialization failed.
    #[error("failed to encode MessagePack: {0}")]
    MessagePack(#[from] rmp_serde::encode::Error),
    /// The encoded header does not fit the header limit.
    #[error("encoded header is {0} bytes, over the limit")]
    HeaderTooLarge(usize),
    /// The requested compression is not available in this build.
    #[error("compression {0:?} is not available in this build")]
    CompressionUnavailable(crate::v1::Compression),
    /// Compressing the body failed.
    #[error("failed to compress body: {0}")]
    Compress(#[from] std::io::Error),
}
