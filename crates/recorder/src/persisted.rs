//! The format of a segment kept in the page's IndexedDB while it waits for the server, so that
//! it survives a page reload that continues the replay.
//!
//! One record holds one upload, little-endian throughout: the magic `SLQ1`, the time it was
//! stored (ms since epoch, u64), the upload URL, then the segment header's fields (replay id as
//! 32 bytes, index u32, project u64, start u64, end u64, event count u32, flags u8, release and
//! environment) and last the segment's uncompressed MessagePack body. Strings are a u16 length
//! and UTF-8. (The header is written field by field rather than in the wire format so that the
//! recorder needs no MessagePack decoder.) Records are keyed by [`record_key`],
//! `{replay_id}/{index:010}`, so that one replay's records sort by index. Reading is bounded: a
//! record larger than [`MAX_RECORD_BYTES`], with an unknown magic, a URL over [`MAX_URL_BYTES`]
//! or a header field out of its limits is refused with a [`RecordError`] naming what was wrong
//! (and the caller deletes it).

use sightline_protocol::limits::MAX_HEADER_STRING;
use sightline_protocol::v1::{SegmentHeader, is_hex_id};

use crate::segmenter::Segment;
use crate::transport::{Delivery, Upload};

/// The first bytes of every record.
pub const MAGIC: &[u8; 4] = b"SLQ1";

/// The largest record read back.
pub const MAX_RECORD_BYTES: usize = 4 * 1024 * 1024;

/// The longest upload URL stored.
pub const MAX_URL_BYTES: usize = 2048;

/// How long a record of another replay is kept (ms): a replay ends after an hour at most, so
/// older records belong to replays no page continues any more.
pub const MAX_RECORD_AGE_MS: u64 = 60 * 60 * 1000;

/// Most records read back at a page load.
pub const MAX_RECORDS: usize = 2_000;

/// Why a stored record could not be read back (or written).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    /// Longer than [`MAX_RECORD_BYTES`].
    #[error("stored segment record is {0} bytes, over the limit")]
    TooLarge(usize),
    /// Does not start with [`MAGIC`].
    #[error("stored segment record has an unknown format")]
    Magic,
    /// Ends before its parts do.
    #[error("stored segment record is truncated")]
    Truncated,
    /// The URL is longer than [`MAX_URL_BYTES`] or not UTF-8.
    #[error("stored segment record has an invalid upload URL")]
    Url,
    /// A header field is out of its limits.
    #[error("stored segment record has an invalid {0}")]
    Header(&'static str),
}

/// The storage key of a segment: `{replay_id}/{index:010}`.
pub fn record_key(header: &SegmentHeader) -> String {
    format!("{}/{:010}", header.replay_id, header.index)
}

/// The prefix shared by the keys of every record of `replay_id`.
pub fn replay_prefix(replay_id: &str) -> String {
    format!("{replay_id}/")
}

fn put_text(
    bytes: &mut Vec<u8>,
    text: &str,
    max: usize,
    what: &'static str,
) -> Result<(), RecordError> {
    let len = u16::try_from(text.len())
        .ok()
        .filter(|_| text.len() <= max)
        .ok_or(if what == "url" {
            RecordError::Url
        } else {
            RecordError::Header(what)
        })?;
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(text.as_bytes());
    Ok(())
}

/// Encodes `upload`, stored at `saved_at` (ms since epoch).
///
/// # Errors
/// [`RecordError::Url`] when the URL is too long, [`RecordError::Header`] when the replay id,
/// release or environment is out of its limits.
pub fn encode_record(upload: &Upload, saved_at: u64) -> Result<Vec<u8>, RecordError> {
    let header = &upload.segment.header;
    if !is_hex_id(&header.replay_id, 32) {
        return Err(RecordError::Header("replay id"));
    }
    let mut bytes = Vec::with_capacity(128 + upload.url.len() + upload.segment.body.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&saved_at.to_le_bytes());
    put_text(&mut bytes, &upload.url, MAX_URL_BYTES, "url")?;
    bytes.extend_from_slice(header.replay_id.as_bytes());
    bytes.extend_from_slice(&header.index.to_le_bytes());
    bytes.extend_from_slice(&header.project.to_le_bytes());
    bytes.extend_from_slice(&header.start.to_le_bytes());
    bytes.extend_from_slice(&header.end.to_le_bytes());
    bytes.extend_from_slice(&header.event_count.to_le_bytes());
    bytes.push(header.flags);
    put_text(&mut bytes, &header.release, MAX_HEADER_STRING, "release")?;
    put_text(
        &mut bytes,
        &header.environment,
        MAX_HEADER_STRING,
        "environment",
    )?;
    bytes.extend_from_slice(&upload.segment.body);
    Ok(bytes)
}

/// Reads a record front to back.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], RecordError> {
        let (head, rest) = self.0.split_at_checked(len).ok_or(RecordError::Truncated)?;
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RecordError> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    fn u64(&mut self) -> Result<u64, RecordError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, RecordError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn text(&mut self, max: usize, error: RecordError) -> Result<String, RecordError> {
        let len = usize::from(u16::from_le_bytes(self.array()?));
        if len > max {
            return Err(error);
        }
        let text = self.take(len)?;
        String::from_utf8(text.to_vec()).map_err(|_| error)
    }
}

/// A record read back: when it was stored and the upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// When it was stored (ms since epoch).
    pub saved_at: u64,
    /// The upload, to be sent in the background.
    pub upload: Upload,
}

/// Decodes a record written by [`encode_record`].
///
/// # Errors
/// A [`RecordError`] naming what was wrong.
pub fn decode_record(bytes: &[u8]) -> Result<Record, RecordError> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge(bytes.len()));
    }
    let mut reader = Reader(bytes.strip_prefix(MAGIC).ok_or(RecordError::Magic)?);
    let saved_at = reader.u64()?;
    let url = reader.text(MAX_URL_BYTES, RecordError::Url)?;
    let replay_id = std::str::from_utf8(reader.take(32)?)
        .ok()
        .filter(|id| is_hex_id(id, 32))
        .ok_or(RecordError::Header("replay id"))?;
    let index = reader.u32()?;
    let project = reader.u64()?;
    let start = reader.u64()?;
    let end = reader.u64()?;
    let mut header = SegmentHeader::new(replay_id, index, project, start).with_end(end);
    header.event_count = reader.u32()?;
    header.flags = reader.array::<1>()?[0];
    header.release = reader.text(MAX_HEADER_STRING, RecordError::Header("release"))?;
    header.environment = reader.text(MAX_HEADER_STRING, RecordError::Header("environment"))?;
    if reader.0.is_empty() {
        return Err(RecordError::Truncated);
    }
    Ok(Record {
        saved_at,
        upload: Upload {
            url,
            segment: Segment {
                header,
                body: reader.0.to_vec(),
            },
            delivery: Delivery::Background,
        },
    })
}

/// What to do with the records found at a page load of replay `replay_id` at `now`.
#[derive(Debug, Default)]
pub struct Sorted {
    /// The replay's own segments, to send before anything new.
    pub restore: Vec<Upload>,
    /// Keys to delete: unreadable records, and other replays' records older than
    /// [`MAX_RECORD_AGE_MS`].
    pub delete: Vec<String>,
}

/// Sorts the `(key, bytes)` records found at a page load: the continued replay's own segments
/// are restored, broken or expired ones deleted, and recent ones of other replays (another tab
/// may be sending them) left alone. At most [`MAX_RECORDS`] are considered.
pub fn sort_records(records: Vec<(String, Vec<u8>)>, replay_id: &str, now: u64) -> Sorted {
    let prefix = replay_prefix(replay_id);
    let mut sorted = Sorted::default();
    for (key, bytes) in records.into_iter().take(MAX_RECORDS) {
        match decode_record(&bytes) {
            Ok(record) if key.starts_with(&prefix) => {
                if record_key(&record.upload.segment.header) == key {
                    sorted.restore.push(record.upload);
                } else {
                    sorted.delete.push(key);
                }
            }
            Ok(record) if now.saturating_sub(record.saved_at) <= MAX_RECORD_AGE_MS => {}
            _ => sorted.delete.push(key),
        }
    }
    sorted
}

#[cfg(test)]
mod tests {
    use sightline_protocol::v1::{EventData, FLAG_CONTAINS_ERROR};

    use super::*;
    use crate::segmenter::{ReplayInfo, Segmenter};

    const REPLAY: &str = "0123456789abcdef0123456789abcdef";

    fn upload(replay: &str, index: u32) -> Upload {
        let mut header = SegmentHeader::new(replay, index, 7, 1_000).with_end(1_200);
        header.event_count = 1;
        header.flags = FLAG_CONTAINS_ERROR;
        Upload {
            url: "http://127.0.0.1:9/api/7/replay/?sentry_key=k".into(),
            segment: Segment {
                header,
                body: vec![0x90],
            },
            delivery: Delivery::Unload,
        }
    }

    #[test]
    fn a_record_round_trips_the_segment_and_its_url() -> Result<(), Box<dyn std::error::Error>> {
        let mut segmenter = Segmenter::new(ReplayInfo {
            replay_id: REPLAY.into(),
            project: 7,
            release: "shop@1".into(),
            environment: "production".into(),
        });
        segmenter.push(
            5_000,
            EventData::Custom {
                tag: "t".into(),
                payload: "{}".into(),
            },
        );
        let segment = segmenter.cut(64 * 1024)?.pop().ok_or("one segment")?;
        let original = Upload {
            url: "https://ingest.example/api/7/replay/?sentry_key=abc".into(),
            segment,
            delivery: Delivery::Background,
        };
        let bytes = encode_record(&original, 42)?;
        assert_eq!(&bytes[..4], MAGIC);
        let record = decode_record(&bytes)?;
        assert_eq!(record.saved_at, 42);
        assert_eq!(record.upload, original);
        assert_eq!(
            record_key(&record.upload.segment.header),
            format!("{REPLAY}/0000000000")
        );
        Ok(())
    }

    #[test]
    fn broken_records_are_refused_with_what_was_wrong() -> Result<(), RecordError> {
        let bytes = encode_record(&upload(REPLAY, 3), 1)?;
        assert_eq!(decode_record(b"XXXX"), Err(RecordError::Magic));
        assert_eq!(decode_record(&bytes[..10]), Err(RecordError::Truncated));
        assert_eq!(decode_record(&bytes[..20]), Err(RecordError::Truncated));
        let mut long_url = bytes.clone();
        long_url[12..14].copy_from_slice(&u16::MAX.to_le_bytes());
        assert_eq!(decode_record(&long_url), Err(RecordError::Url));
        let mut bad_id = bytes.clone();
        bad_id[60] = b'Z';
        assert_eq!(
            decode_record(&bad_id),
            Err(RecordError::Header("replay id"))
        );
        // Without a body.
        assert_eq!(
            decode_record(&bytes[..bytes.len() - 1]),
            Err(RecordError::Truncated)
        );
        let mut long_release = upload(REPLAY, 0);
        long_release.segment.header.release = "r".repeat(MAX_HEADER_STRING + 1);
        assert_eq!(
            encode_record(&long_release, 0),
            Err(RecordError::Header("release"))
        );
        assert_eq!(
            decode_record(&vec![0; MAX_RECORD_BYTES + 1]),
            Err(RecordError::TooLarge(MAX_RECORD_BYTES + 1))
        );
        let mut too_long = upload(REPLAY, 0);
        too_long.url = "x".repeat(MAX_URL_BYTES + 1);
        assert_eq!(encode_record(&too_long, 0), Err(RecordError::Url));
        Ok(())
    }

    #[test]
    fn a_reload_restores_its_replay_and_deletes_broken_or_expired_records()
    -> Result<(), RecordError> {
        let other = "f".repeat(32);
        let old = "e".repeat(32);
        let now = 10 * MAX_RECORD_AGE_MS;
        let record = |replay: &str, index: u32, saved_at: u64| -> Result<_, RecordError> {
            let upload = upload(replay, index);
            Ok((
                record_key(&upload.segment.header),
                encode_record(&upload, saved_at)?,
            ))
        };
        let sorted = sort_records(
            vec![
                record(REPLAY, 2, now)?,
                record(REPLAY, 1, 0)?,
                record(&other, 0, now - 1_000)?,
                record(&old, 0, now - MAX_RECORD_AGE_MS - 1)?,
                (format!("{REPLAY}/0000000009"), b"garbage".to_vec()),
                // A record under another key than its segment's.
                (format!("{REPLAY}/0000000005"), record(REPLAY, 6, now)?.1),
            ],
            REPLAY,
            now,
        );
        let restored: Vec<u32> = sorted
            .restore
            .iter()
            .map(|u| u.segment.header.index)
            .collect();
        assert_eq!(restored, [2, 1]);
        assert!(
            sorted
                .restore
                .iter()
                .all(|u| u.delivery == Delivery::Background)
        );
        assert_eq!(
            sorted.delete,
            [
                format!("{old}/0000000000"),
                format!("{REPLAY}/0000000009"),
                format!("{REPLAY}/0000000005"),
            ]
        );
        Ok(())
    }
}
