//! The segment codec: `MAGIC | version u8 | header length u16 LE | header | body`.
//!
//! The header is a MessagePack [`SegmentHeader`] tuple; the body is a MessagePack array of
//! [`Event`]s, compressed as the header says. The recorder builds the body with [`encode_body`],
//! compresses it with the browser's `CompressionStream`, then prepends [`encode_header_prefix`].

use crate::error::{DecodeError, EncodeError};
use crate::limits::{MAX_EVENTS, MAX_HEADER_BYTES, MAX_SEGMENT_BYTES};
use crate::msgpack::Pack as _;
use crate::scan::scan_value;
use crate::v1::{
    Compression, Event, EventData, FLAG_CONTAINS_CHECKPOINT, FLAG_CONTAINS_ERROR, SegmentHeader,
};

/// The first four bytes of every segment.
pub const MAGIC: [u8; 4] = *b"SLRS";

/// The newest format version this crate writes. Decoders accept every version ever shipped.
pub const FORMAT_VERSION: u8 = 1;

const PREFIX_LEN: usize = MAGIC.len() + 1 + 2;

/// A fully decoded segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedSegment {
    /// The header as uploaded.
    pub header: SegmentHeader,
    /// The events, in recorded order.
    pub events: Vec<Event>,
}

impl DecodedSegment {
    /// Iterates the events with their absolute times (ms since epoch), resolving the `dt` deltas.
    pub fn timed_events(&self) -> impl Iterator<Item = (u64, &Event)> {
        let mut time = self.header.start;
        self.events.iter().map(move |event| {
            time = time.saturating_add(u64::from(event.dt));
            (time, event)
        })
    }
}

/// Encodes the events of a body as one uncompressed MessagePack array.
///
/// The bytes are those of `rmp_serde::to_vec(events)`, written without serde to keep the
/// recorder's bundle small: serde's generic serializer cost it tens of kilobytes.
///
/// # Errors
/// None today: writing into memory cannot fail. The `Result` stays so that callers keep working
/// if encoding ever gains a failure mode.
pub fn encode_body(events: &[Event]) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    events.pack(&mut out);
    Ok(out)
}

/// Encodes the binary prefix and the header; the caller appends the (compressed) body.
///
/// # Errors
/// [`EncodeError::HeaderTooLarge`] if the header exceeds [`MAX_HEADER_BYTES`].
pub fn encode_header_prefix(header: &SegmentHeader) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(PREFIX_LEN + 128);
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&[0, 0]);
    header.pack(&mut out);
    let encoded_len = out.len() - PREFIX_LEN;
    let len = u16::try_from(encoded_len)
        .ok()
        .filter(|len| usize::from(*len) <= MAX_HEADER_BYTES)
        .ok_or(EncodeError::HeaderTooLarge(encoded_len))?;
    out[PREFIX_LEN - 2..PREFIX_LEN].copy_from_slice(&len.to_le_bytes());
    Ok(out)
}

/// Encodes a whole segment natively; the header's `event_count`, `flags` and `compression` are
/// derived from `events` and `compression`.
///
/// # Errors
/// Any [`EncodeError`]; [`EncodeError::CompressionUnavailable`] for deflate without the `flate`
/// feature.
pub fn encode_segment(
    header: &SegmentHeader,
    events: &[Event],
    compression: Compression,
) -> Result<Vec<u8>, EncodeError> {
    let mut header = header.clone();
    header.event_count = u32::try_from(events.len()).unwrap_or(u32::MAX);
    header.flags = flags_for(events);
    header.compression = compression;
    let body = encode_body(events)?;
    let body = match compression {
        Compression::None => body,
        Compression::DeflateRaw => deflate_raw(&body)?,
    };
    let mut out = encode_header_prefix(&header)?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// The header flags that describe `events`.
pub fn flags_for(events: &[Event]) -> u8 {
    events.iter().fold(0, |flags, event| {
        flags
            | match event.data {
                EventData::JsError(_) => FLAG_CONTAINS_ERROR,
                EventData::FullSnapshot { .. } => FLAG_CONTAINS_CHECKPOINT,
                _ => 0,
            }
    })
}

/// Decodes and validates the prefix and header; returns the header and the raw body bytes.
///
/// # Errors
/// Any [`DecodeError`] about the prefix or header.
pub fn decode_header(bytes: &[u8]) -> Result<(SegmentHeader, &[u8]), DecodeError> {
    if bytes.len() > MAX_SEGMENT_BYTES {
        return Err(DecodeError::SegmentTooLarge {
            limit: MAX_SEGMENT_BYTES,
            actual: bytes.len(),
        });
    }
    if bytes.len() < MAGIC.len() {
        return Err(if MAGIC.starts_with(bytes) && !bytes.is_empty() {
            DecodeError::Truncated("segment prefix")
        } else {
            DecodeError::BadMagic
        });
    }
    if bytes[..MAGIC.len()] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    if bytes.len() < PREFIX_LEN {
        return Err(DecodeError::Truncated("segment prefix"));
    }
    let version = bytes[MAGIC.len()];
    if version != 1 {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    let header_len = usize::from(u16::from_le_bytes([bytes[5], bytes[6]]));
    if header_len > MAX_HEADER_BYTES {
        return Err(DecodeError::HeaderTooLarge {
            limit: MAX_HEADER_BYTES,
            actual: header_len,
        });
    }
    let header_end = PREFIX_LEN + header_len;
    let header_bytes = bytes
        .get(PREFIX_LEN..header_end)
        .ok_or(DecodeError::Truncated("segment header"))?;
    scan_value(header_bytes).map_err(|e| DecodeError::InvalidHeader(e.to_string()))?;
    let header: SegmentHeader = rmp_serde::from_slice(header_bytes)
        .map_err(|e| DecodeError::InvalidHeader(e.to_string()))?;
    header.validate()?;
    Ok((header, &bytes[header_end..]))
}

/// Decodes a whole segment: prefix, header and body, within every limit of [`crate::limits`].
///
/// # Errors
/// Any [`DecodeError`]; nothing is returned unless the whole segment is valid.
pub fn decode_segment(bytes: &[u8]) -> Result<DecodedSegment, DecodeError> {
    let (header, body) = decode_header(bytes)?;
    let events = decode_body(&header, body)?;
    Ok(DecodedSegment { header, events })
}

/// Decompresses and decodes a body as described by `header`.
///
/// # Errors
/// Any [`DecodeError`] about the body.
pub fn decode_body(header: &SegmentHeader, body: &[u8]) -> Result<Vec<Event>, DecodeError> {
    if body.is_empty() {
        return Err(DecodeError::Truncated("segment body"));
    }
    let inflated;
    let plain = match header.compression {
        Compression::None => body,
        Compression::DeflateRaw => {
            inflated = inflate_raw(body)?;
            &inflated
        }
    };
    scan_value(plain)?;
    if !matches!(plain[0], 0x90..=0x9f | 0xdc | 0xdd) {
        return Err(DecodeError::Malformed(
            "body is not an array of events".into(),
        ));
    }
    let events: Vec<Event> =
        rmp_serde::from_slice(plain).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if events.len() > MAX_EVENTS {
        return Err(DecodeError::TooManyEvents {
            limit: MAX_EVENTS,
            actual: events.len(),
        });
    }
    if events.len() != header.event_count as usize {
        return Err(DecodeError::EventCountMismatch {
            header: header.event_count,
            body: events.len(),
        });
    }
    Ok(events)
}

#[cfg(feature = "flate")]
fn deflate_raw(body: &[u8]) -> Result<Vec<u8>, EncodeError> {
    use std::io::Write as _;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(body)?;
    Ok(encoder.finish()?)
}

#[cfg(not(feature = "flate"))]
fn deflate_raw(_body: &[u8]) -> Result<Vec<u8>, EncodeError> {
    Err(EncodeError::CompressionUnavailable(Compression::DeflateRaw))
}

#[cfg(feature = "flate")]
fn inflate_raw(body: &[u8]) -> Result<Vec<u8>, DecodeError> {
    use std::io::Read as _;
    let mut out = Vec::new();
    use crate::limits::MAX_BODY_BYTES;
    let limit = u64::try_from(MAX_BODY_BYTES).unwrap_or(u64::MAX) + 1;
    flate2::read::DeflateDecoder::new(body)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Inflate(e.to_string()))?;
    if out.len() > MAX_BODY_BYTES {
        return Err(DecodeError::BodyTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    Ok(out)
}

#[cfg(not(feature = "flate"))]
fn inflate_raw(_body: &[u8]) -> Result<Vec<u8>, DecodeError> {
    Err(DecodeError::Inflate(
        "deflate-raw is not available in this build".into(),
    ))
}
