//! Uploads waiting for the server: retried with backoff, bounded in bytes, and honest about
//! what was dropped.
//!
//! When the server is down, slow, rate-limiting (429, honouring `Retry-After`) or failing (5xx),
//! the segment at the front is retried after 1, 2, 4 … up to 60 seconds, and later segments wait
//! behind it so that they arrive in order. Other 4xx answers are final: the segment is dropped.
//! While waiting, the queue keeps at most [`MAX_OUTBOX_BYTES`] (or the page's `offlineBufferBytes`,
//! see [`Outbox::with_limit`]); beyond that the oldest segments without an error go first, and
//! segments with an error only when nothing else is left to drop. What was dropped is reported
//! once through [`Outbox::take_dropped`] when the server answers again, so that a later segment
//! can say so.
//!
//! Segments that have to wait (a retry failed, or they queue behind another) are marked to be
//! stored in the page's IndexedDB ([`Outbox::take_to_store`], in the [`persisted`](crate::persisted)
//! format), so that they survive a reload; every segment that leaves the queue (delivered,
//! refused or dropped) hands back its storage key to delete.

use crate::persisted::record_key;
use crate::transport::{Delivery, Upload};

/// Most uncompressed body bytes waiting for the server, by default.
pub const MAX_OUTBOX_BYTES: usize = 8 * 1024 * 1024;

/// The smallest bound a page may set (`offlineBufferBytes`).
pub const MIN_OUTBOX_BYTES: usize = 4 * 1024;

/// The largest bound a page may set (`offlineBufferBytes`).
pub const MAX_OUTBOX_LIMIT: usize = 64 * 1024 * 1024;

/// The first retry's delay, in ms; each further retry doubles it.
pub const FIRST_RETRY_MS: u64 = 1_000;

/// The longest delay between retries, in ms (also the cap on `Retry-After`).
pub const MAX_RETRY_MS: u64 = 60_000;

/// How an upload attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server kept the segment.
    Delivered,
    /// Try again later: no answer, 429 or 5xx; `retry_after_ms` is the server's `Retry-After`.
    Retry {
        /// The delay the server asked for, in ms.
        retry_after_ms: Option<u64>,
    },
    /// The server refused the segment for good (400, 403, 413 …).
    Rejected,
}

impl Outcome {
    /// The outcome of an HTTP answer with `status` and the `Retry-After` header value.
    pub fn for_status(status: u16, retry_after: Option<&str>) -> Self {
        match status {
            200..=299 => Self::Delivered,
            429 | 500..=599 => Self::Retry {
                retry_after_ms: retry_after.and_then(parse_retry_after),
            },
            _ => Self::Rejected,
        }
    }
}

/// Reads `Retry-After` as delay seconds (the form servers send with 429), in ms; HTTP dates
/// and anything else are ignored.
pub fn parse_retry_after(value: &str) -> Option<u64> {
    let value = value.trim();
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u64>().ok().map(|seconds| seconds * 1_000)
}

/// The delay before retry number `attempt` (1 for the first retry), in ms.
pub fn backoff_ms(attempt: u32) -> u64 {
    let doublings = attempt.saturating_sub(1).min(16);
    (FIRST_RETRY_MS << doublings).min(MAX_RETRY_MS)
}

/// What was dropped since the last report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Segments dropped because the queue was full while the server was unreachable.
    pub overflow_segments: u32,
    /// Segments the server refused for good.
    pub rejected_segments: u32,
    /// Events in all of them.
    pub events: u32,
    /// Their uncompressed body bytes.
    pub bytes: u64,
    /// The earliest and latest event time dropped (ms since epoch).
    pub from: u64,
    /// See `from`.
    pub to: u64,
}

impl Dropped {
    /// The payload of the `sightline.dropped` custom event that reports it (JSON).
    pub fn to_json(&self) -> String {
        format!(
            "{{\"overflow_segments\":{},\"rejected_segments\":{},\"events\":{},\"bytes\":{},\"from\":{},\"to\":{}}}",
            self.overflow_segments,
            self.rejected_segments,
            self.events,
            self.bytes,
            self.from,
            self.to
        )
    }

    fn add(&mut self, upload: &Upload, rejected: bool) {
        let header = &upload.segment.header;
        if rejected {
            self.rejected_segments += 1;
        } else {
            self.overflow_segments += 1;
        }
        self.events = self.events.saturating_add(header.event_count);
        self.bytes = self
            .bytes
            .saturating_add(u64::try_from(upload.segment.body.len()).unwrap_or(u64::MAX));
        self.from = if self.from == 0 {
            header.start
        } else {
            self.from.min(header.start)
        };
        self.to = self.to.max(header.end);
    }
}

/// The tag of the custom event that reports dropped segments.
pub const DROPPED_TAG: &str = "sightline.dropped";

#[derive(Debug)]
struct Entry {
    id: u64,
    upload: Upload,
    /// Whether the segment was handed out to be stored (IndexedDB).
    stored: bool,
}

impl Entry {
    /// The storage key to delete once the entry leaves the queue, if it was stored.
    fn stored_key(&self) -> Option<String> {
        self.stored.then(|| record_key(&self.upload.segment.header))
    }
}

/// The queue of uploads on their way to the server.
#[derive(Debug)]
pub struct Outbox {
    /// Oldest first. A `Vec`: it rarely holds more than a few segments, and a `VecDeque` costs
    /// bundle bytes.
    queue: Vec<Entry>,
    bytes: usize,
    next_id: u64,
    failures: u32,
    not_before: u64,
    dropped: Option<Dropped>,
    limit: usize,
}

impl Default for Outbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Outbox {
    /// An empty outbox bounded by [`MAX_OUTBOX_BYTES`].
    pub fn new() -> Self {
        Self::with_limit(MAX_OUTBOX_BYTES)
    }

    /// An empty outbox that keeps at most `limit` body bytes, clamped to
    /// [`MIN_OUTBOX_BYTES`]..=[`MAX_OUTBOX_LIMIT`].
    pub fn with_limit(limit: usize) -> Self {
        Self {
            queue: Vec::new(),
            bytes: 0,
            next_id: 0,
            failures: 0,
            not_before: 0,
            dropped: None,
            limit: limit.clamp(MIN_OUTBOX_BYTES, MAX_OUTBOX_LIMIT),
        }
    }

    /// The bound in body bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Changes the bound (clamped like [`Outbox::with_limit`]); returns the storage keys of
    /// what had to be dropped to fit it.
    pub fn set_limit(&mut self, limit: usize) -> Vec<String> {
        self.limit = limit.clamp(MIN_OUTBOX_BYTES, MAX_OUTBOX_LIMIT);
        self.shrink()
    }

    /// Queues `upload`; drops the oldest segments without errors (then, if need be, the oldest
    /// ones) while the queue is over its bound. The front segment, which may be in flight, and
    /// the newest stay. Returns the storage keys of the dropped segments that had been stored.
    pub fn push(&mut self, upload: Upload) -> Vec<String> {
        self.bytes += upload.segment.body.len();
        self.queue.push(Entry {
            id: self.next_id,
            upload,
            stored: false,
        });
        self.next_id += 1;
        self.shrink()
    }

    /// Puts segments read back from storage (after a reload) before everything queued, in index
    /// order, leaving out any already queued; then applies the bound. Returns the storage keys
    /// of what was dropped.
    pub fn restore(&mut self, mut uploads: Vec<Upload>) -> Vec<String> {
        // Insertion sort: records come back from storage in key order, so this is one pass,
        // and the library's sort would add kilobytes to the bundle.
        for i in 1..uploads.len() {
            let mut j = i;
            while j > 0 && uploads[j - 1].segment.header.index > uploads[j].segment.header.index {
                uploads.swap(j - 1, j);
                j -= 1;
            }
        }
        uploads.dedup_by_key(|upload| upload.segment.header.index);
        let mut restored: Vec<Entry> = Vec::with_capacity(uploads.len());
        for upload in uploads {
            let header = &upload.segment.header;
            let queued = self.queue.iter().any(|entry| {
                let other = &entry.upload.segment.header;
                other.replay_id == header.replay_id && other.index == header.index
            });
            if queued {
                continue;
            }
            self.bytes += upload.segment.body.len();
            restored.push(Entry {
                id: self.next_id,
                upload,
                stored: true,
            });
            self.next_id += 1;
        }
        restored.append(&mut self.queue);
        self.queue = restored;
        self.shrink()
    }

    fn shrink(&mut self) -> Vec<String> {
        let mut keys = Vec::new();
        while self.bytes > self.limit && self.queue.len() > 2 {
            let victim = (1..self.queue.len() - 1)
                .find(|&i| !self.queue[i].upload.segment.header.contains_error())
                .unwrap_or(1);
            let entry = self.queue.remove(victim);
            self.forget(&entry, false);
            keys.extend(entry.stored_key());
        }
        keys
    }

    /// The segments that now have to be stored, with their storage keys: every one waiting
    /// behind another, one cut as the page goes away, and the front one once an attempt at it
    /// failed. Each is handed out once.
    pub fn take_to_store(&mut self) -> Vec<(String, &Upload)> {
        let failing = self.failures > 0;
        self.queue
            .iter_mut()
            .enumerate()
            .filter(|(position, entry)| {
                !entry.stored
                    && (*position > 0 || failing || entry.upload.delivery == Delivery::Unload)
            })
            .map(|(_, entry)| {
                entry.stored = true;
                (record_key(&entry.upload.segment.header), &entry.upload)
            })
            .collect()
    }

    /// Empties the queue (recording was turned off); returns the storage keys to delete.
    pub fn clear(&mut self) -> Vec<String> {
        let keys = self.queue.iter().filter_map(Entry::stored_key).collect();
        self.queue.clear();
        self.bytes = 0;
        self.failures = 0;
        self.not_before = 0;
        keys
    }

    fn forget(&mut self, entry: &Entry, rejected: bool) {
        self.bytes -= entry.upload.segment.body.len();
        self.dropped
            .get_or_insert_with(Dropped::default)
            .add(&entry.upload, rejected);
    }

    /// The upload to attempt at `now` and its id: the front one, unless a retry is not due yet.
    pub fn next(&self, now: u64) -> Option<(u64, &Upload)> {
        if now < self.not_before {
            return None;
        }
        self.queue.first().map(|entry| (entry.id, &entry.upload))
    }

    /// When the front upload may be retried (ms since epoch); `None` when nothing waits.
    pub fn retry_at(&self) -> Option<u64> {
        self.queue.first().map(|_| self.not_before)
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many uploads wait.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Records how the attempt of upload `id` at `now` ended; returns the storage key to delete
    /// when the segment left the queue and had been stored.
    pub fn settle(&mut self, id: u64, now: u64, outcome: Outcome) -> Option<String> {
        if self.queue.first().map(|entry| entry.id) != Some(id) {
            return None;
        }
        match outcome {
            Outcome::Retry { retry_after_ms } => {
                self.failures = self.failures.saturating_add(1);
                let delay = retry_after_ms
                    .unwrap_or_else(|| backoff_ms(self.failures))
                    .min(MAX_RETRY_MS);
                self.not_before = now.saturating_add(delay);
                None
            }
            Outcome::Delivered | Outcome::Rejected => {
                self.failures = 0;
                self.not_before = 0;
                let entry = self.queue.remove(0);
                if outcome == Outcome::Rejected {
                    self.forget(&entry, true);
                } else {
                    self.bytes -= entry.upload.segment.body.len();
                }
                entry.stored_key()
            }
        }
    }

    /// How many attempts at the front segment failed in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// What was dropped since the last call, if anything; nothing while the server is failing,
    /// so that the report goes into a segment cut once the server answers again (a report cut
    /// during the outage could itself be dropped for the bound).
    pub fn take_dropped(&mut self) -> Option<Dropped> {
        if self.failures > 0 {
            return None;
        }
        self.dropped.take()
    }
}

#[cfg(test)]
mod tests {
    use sightline_protocol::v1::{FLAG_CONTAINS_ERROR, SegmentHeader};

    use super::*;
    use crate::segmenter::Segment;

    fn upload(index: u32, bytes: usize, error: bool) -> Upload {
        let mut header = SegmentHeader::new("a".repeat(32), index, 1, 1_000 + u64::from(index))
            .with_end(1_500 + u64::from(index));
        header.event_count = 3;
        if error {
            header.flags = FLAG_CONTAINS_ERROR;
        }
        Upload {
            url: "http://127.0.0.1/api/1/replay/".into(),
            segment: Segment {
                header,
                body: vec![0; bytes],
            },
            delivery: Delivery::Background,
        }
    }

    fn indexes(outbox: &Outbox) -> Vec<u32> {
        outbox
            .queue
            .iter()
            .map(|e| e.upload.segment.header.index)
            .collect()
    }

    #[test]
    fn statuses_map_to_retry_drop_or_done() {
        assert_eq!(Outcome::for_status(200, None), Outcome::Delivered);
        assert_eq!(
            Outcome::for_status(429, Some("7")),
            Outcome::Retry {
                retry_after_ms: Some(7_000)
            }
        );
        assert_eq!(
            Outcome::for_status(503, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            Outcome::Retry {
                retry_after_ms: None
            }
        );
        assert_eq!(Outcome::for_status(413, None), Outcome::Rejected);
        assert_eq!(Outcome::for_status(403, None), Outcome::Rejected);
        assert_eq!(parse_retry_after("99999999999"), None);
    }

    #[test]
    fn a_down_server_is_retried_with_growing_delays_and_segments_keep_their_order()
    -> Result<(), &'static str> {
        let mut outbox = Outbox::new();
        outbox.push(upload(0, 10, false));
        outbox.push(upload(1, 10, false));
        let mut now = 0;
        let mut delays = Vec::new();
        for _ in 0..8 {
            let (id, front) = outbox.next(now).ok_or("the front segment is due")?;
            assert_eq!(front.segment.header.index, 0);
            outbox.settle(
                id,
                now,
                Outcome::Retry {
                    retry_after_ms: None,
                },
            );
            let at = outbox.retry_at().ok_or("a retry is planned")?;
            assert!(outbox.next(at - 1).is_none());
            delays.push(at - now);
            now = at;
        }
        assert_eq!(
            delays,
            [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]
        );
        let (id, _) = outbox.next(now).ok_or("the front segment is due")?;
        outbox.settle(id, now, Outcome::Delivered);
        // The server is back: the next one goes at once.
        assert_eq!(
            outbox.next(now).map(|(_, u)| u.segment.header.index),
            Some(1)
        );
        assert_eq!(outbox.take_dropped(), None);
        Ok(())
    }

    #[test]
    fn retry_after_is_honoured_up_to_a_minute() {
        let mut outbox = Outbox::new();
        outbox.push(upload(0, 10, false));
        outbox.settle(
            0,
            5_000,
            Outcome::Retry {
                retry_after_ms: Some(20_000),
            },
        );
        assert_eq!(outbox.retry_at(), Some(25_000));
        outbox.settle(
            0,
            25_000,
            Outcome::Retry {
                retry_after_ms: Some(3_600_000),
            },
        );
        assert_eq!(outbox.retry_at(), Some(85_000));
    }

    #[test]
    fn a_full_queue_drops_the_oldest_segments_without_errors_and_reports_them() {
        let mut outbox = Outbox::new();
        let quarter = MAX_OUTBOX_BYTES / 4;
        outbox.push(upload(0, quarter, false)); // in flight
        outbox.push(upload(1, quarter, true));
        outbox.push(upload(2, quarter, false));
        outbox.push(upload(3, quarter, false));
        assert_eq!(outbox.len(), 4);
        outbox.push(upload(4, quarter, false));
        assert_eq!(indexes(&outbox), [0, 1, 3, 4]);
        let dropped = outbox.take_dropped();
        assert_eq!(
            dropped,
            Some(Dropped {
                overflow_segments: 1,
                rejected_segments: 0,
                events: 3,
                bytes: quarter as u64,
                from: 1_002,
                to: 1_502,
            })
        );
        assert_eq!(
            dropped.map(|d| d.to_json()),
            Some(format!(
                "{{\"overflow_segments\":1,\"rejected_segments\":0,\"events\":3,\"bytes\":{quarter},\"from\":1002,\"to\":1502}}"
            ))
        );
        assert_eq!(outbox.take_dropped(), None);
    }

    #[test]
    fn rejected_segments_are_dropped_and_reported() {
        let mut outbox = Outbox::new();
        outbox.push(upload(0, 10, false));
        outbox.push(upload(1, 10, false));
        outbox.settle(0, 0, Outcome::Rejected);
        assert_eq!(indexes(&outbox), [1]);
        assert_eq!(outbox.take_dropped().map(|d| d.rejected_segments), Some(1));
        // A stale settle for an upload no longer at the front changes nothing.
        outbox.settle(0, 0, Outcome::Delivered);
        assert_eq!(outbox.len(), 1);
    }

    #[test]
    fn a_long_outage_keeps_the_errors_and_the_newest_data_within_the_bound() {
        let mut outbox = Outbox::with_limit(10 * 1024);
        assert_eq!(outbox.limit(), 10 * 1024);
        outbox.push(upload(0, 1024, false));
        outbox.settle(
            0,
            0,
            Outcome::Retry {
                retry_after_ms: None,
            },
        );
        // A minute of activity while the server is down: one segment with an error.
        for index in 1..=60 {
            outbox.push(upload(index, 1024, index == 5));
            assert!(outbox.bytes <= outbox.limit());
        }
        let kept = indexes(&outbox);
        assert_eq!(kept, [0, 5, 53, 54, 55, 56, 57, 58, 59, 60]);
        // Reported once the server answers again, not during the outage.
        assert_eq!(outbox.take_dropped(), None);
        outbox.settle(0, 60_000, Outcome::Delivered);
        let dropped = outbox.take_dropped();
        assert_eq!(dropped.as_ref().map(|d| d.overflow_segments), Some(51));
        assert_eq!(dropped.as_ref().map(|d| d.bytes), Some(51 * 1024));
        assert_eq!(dropped.map(|d| (d.from, d.to)), Some((1_001, 1_552)));
        // Only errors left behind the front: the oldest error goes.
        let mut errors = Outbox::with_limit(MIN_OUTBOX_BYTES);
        for index in 0..6 {
            errors.push(upload(index, 1024, true));
        }
        assert_eq!(indexes(&errors), [0, 3, 4, 5]);
    }

    #[test]
    fn bounds_a_page_sets_are_clamped() {
        assert_eq!(Outbox::with_limit(0).limit(), MIN_OUTBOX_BYTES);
        assert_eq!(Outbox::with_limit(usize::MAX).limit(), MAX_OUTBOX_LIMIT);
        assert_eq!(Outbox::new().limit(), MAX_OUTBOX_BYTES);
    }

    #[test]
    fn waiting_segments_are_stored_once_and_their_keys_deleted_when_they_leave() {
        let mut outbox = Outbox::with_limit(4 * 1024);
        outbox.push(upload(0, 10, false));
        // Alone and not failed yet: nothing to store (the normal case costs no storage).
        assert!(outbox.take_to_store().is_empty());
        outbox.push(upload(1, 10, false));
        let stored: Vec<String> = outbox.take_to_store().into_iter().map(|(k, _)| k).collect();
        assert_eq!(stored, [format!("{}/0000000001", "a".repeat(32))]);
        outbox.settle(
            0,
            0,
            Outcome::Retry {
                retry_after_ms: None,
            },
        );
        let stored: Vec<u32> = outbox
            .take_to_store()
            .into_iter()
            .map(|(_, u)| u.segment.header.index)
            .collect();
        assert_eq!(stored, [0]);
        assert!(outbox.take_to_store().is_empty());
        // Delivered: its key is handed back for deletion.
        assert_eq!(
            outbox.settle(0, 1_000, Outcome::Delivered),
            Some(format!("{}/0000000000", "a".repeat(32)))
        );
        // Dropped for the bound: the stored victim's key too.
        let keys = outbox.push(upload(2, 4 * 1024, false));
        assert!(keys.is_empty(), "only two queued: none dropped");
        assert_eq!(outbox.take_to_store().len(), 1);
        let keys = outbox.push(upload(3, 10, false));
        assert_eq!(keys, [format!("{}/0000000002", "a".repeat(32))]);
        assert_eq!(indexes(&outbox), [1, 3]);
        assert_eq!(outbox.clear(), [format!("{}/0000000001", "a".repeat(32))]);
        assert!(outbox.is_empty());
    }

    #[test]
    fn restored_segments_go_first_in_index_order_without_duplicates() -> Result<(), &'static str> {
        let mut outbox = Outbox::new();
        // The new page already queued its first segment, and one of the old ones.
        outbox.push(upload(7, 10, false));
        outbox.push(upload(5, 10, false));
        let keys = outbox.restore(vec![
            upload(6, 10, false),
            upload(4, 10, false),
            upload(5, 10, false),
            upload(4, 10, false),
        ]);
        assert!(keys.is_empty());
        assert_eq!(indexes(&outbox), [4, 6, 7, 5]);
        // Restored ones count as stored: they are deleted once delivered.
        let (id, _) = outbox.next(0).ok_or("the restored front is due")?;
        assert_eq!(
            outbox.settle(id, 0, Outcome::Delivered),
            Some(format!("{}/0000000004", "a".repeat(32)))
        );
        Ok(())
    }
}
