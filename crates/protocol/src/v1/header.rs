//! The segment header: who, when and how the body is encoded.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::DecodeError;
use crate::limits::{MAX_EVENTS, MAX_HEADER_STRING};

/// Header flag: the segment holds at least one JS error event.
pub const FLAG_CONTAINS_ERROR: u8 = 1;
/// Header flag: the segment holds a full snapshot (a checkpoint the viewer can seek to).
pub const FLAG_CONTAINS_CHECKPOINT: u8 = 2;

/// How a segment's body is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// The body is plain MessagePack.
    #[default]
    None,
    /// The body is raw deflate (RFC 1951, no zlib or gzip wrapper), as produced by the browser's
    /// `CompressionStream('deflate-raw')`.
    DeflateRaw,
}

impl Compression {
    pub(super) fn code(self) -> u8 {
        match self {
            Self::None => 0,
            Self::DeflateRaw => 1,
        }
    }
}

impl Serialize for Compression {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for Compression {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u8::deserialize(deserializer)? {
            0 => Ok(Self::None),
            1 => Ok(Self::DeflateRaw),
            other => Err(serde::de::Error::custom(format_args!(
                "unknown compression {other}"
            ))),
        }
    }
}

/// The header of one segment, encoded before its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentHeader {
    /// The replay this segment belongs to: 32 lowercase hex digits.
    pub replay_id: String,
    /// Position of the segment in its replay: 0, 1, 2 … without gaps unless a segment was lost.
    pub index: u32,
    /// The project the replay belongs to (the DSN's project id).
    pub project: u64,
    /// The release of the recorded page, such as `shop@1.4.2` (empty when unknown).
    pub release: String,
    /// The deployment environment, such as `production`.
    pub environment: String,
    /// Time of the segment's start in ms since the Unix epoch; the first event's `dt` counts from it.
    pub start: u64,
    /// Time of the segment's last event in ms since the Unix epoch.
    pub end: u64,
    /// Number of events in the body.
    pub event_count: u32,
    /// Bit set of `FLAG_*` constants.
    pub flags: u8,
    /// Compression of the body.
    pub compression: Compression,
}

impl SegmentHeader {
    /// Starts a header for segment `index` of `replay_id` beginning at `start` (ms since epoch).
    #[must_use]
    pub fn new(replay_id: impl Into<String>, index: u32, project: u64, start: u64) -> Self {
        Self {
            replay_id: replay_id.into(),
            index,
            project,
            release: String::new(),
            environment: "production".to_owned(),
            start,
            end: start,
            event_count: 0,
            flags: 0,
            compression: Compression::None,
        }
    }

    /// Sets the release.
    #[must_use]
    pub fn with_release(mut self, release: impl Into<String>) -> Self {
        self.release = release.into();
        self
    }

    /// Sets the environment.
    #[must_use]
    pub fn with_environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = environment.into();
        self
    }

    /// Sets the end time.
    #[must_use]
    pub fn with_end(mut self, end: u64) -> Self {
        self.end = end;
        self
    }

    /// Whether the segment holds a JS error.
    pub fn contains_error(&self) -> bool {
        self.flags & FLAG_CONTAINS_ERROR != 0
    }

    /// Whether the segment holds a full snapshot.
    pub fn contains_checkpoint(&self) -> bool {
        self.flags & FLAG_CONTAINS_CHECKPOINT != 0
    }

    /// Checks the fields that serde cannot: id shape, string lengths and time order.
    ///
    /// # Errors
    /// [`DecodeError::InvalidHeader`] naming the first field that is wrong.
    pub fn validate(&self) -> Result<(), DecodeError> {
        let invalid = |why: String| Err(DecodeError::InvalidHeader(why));
        if !is_hex_id(&self.replay_id, 32) {
            return invalid(format!(
                "replay_id must be 32 lowercase hex digits, got {:?}",
                truncate(&self.replay_id)
            ));
        }
        if self.release.len() > MAX_HEADER_STRING {
            return invalid(format!("release is longer than {MAX_HEADER_STRING} bytes"));
        }
        if self.environment.len() > MAX_HEADER_STRING {
            return invalid(format!(
                "environment is longer than {MAX_HEADER_STRING} bytes"
            ));
        }
        if self.end < self.start {
            return invalid(format!("end {} is before start {}", self.end, self.start));
        }
        if self.event_count as usize > MAX_EVENTS {
            return invalid(format!(
                "event_count {} is over the limit of {MAX_EVENTS}",
                self.event_count
            ));
        }
        Ok(())
    }
}

/// Whether `value` is exactly `len` lowercase hex digits (the shape of replay, trace and span ids).
pub fn is_hex_id(value: &str, len: usize) -> bool {
    value.len() == len
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn truncate(value: &str) -> &str {
    let mut end = value.len().min(40);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}
