//! Uploads waiting for the server: retried with backoff, bounded in bytes, and honest about
//! what was dropped.
//!
//! When the server is down, slow, rate-limiting (429, honouring `Retry-After`) or failing (5xx),
//! the segment at the front is retried after 1, 2, 4 … up to 60 seconds, and later segments wait
//! behind it so that they arrive in order. Other 4xx answers are final: the segment is dropped.
//! While waiting, the queue keeps at most [`MAX_OUTBOX_BYTES`]; beyond that the oldest segments
//! without an error go first. What was dropped is reported once through [`Outbox::take_dropped`],
//! so that a later segment can say so.

use crate::transport::Upload;

/// Most uncompressed body bytes waiting for the server.
pub const MAX_OUTBOX_BYTES: usize = 8 * 1024 * 1024;

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
    /// The earliest and latest event time dropped (ms since epoch).
    pub from: u64,
    /// See `from`.
    pub to: u64,
}

impl Dropped {
    /// The payload of the `sightline.dropped` custom event that reports it (JSON).
    pub fn to_json(&self) -> String {
        format!(
            "{{\"overflow_segments\":{},\"rejected_segments\":{},\"events\":{},\"from\":{},\"to\":{}}}",
            self.overflow_segments, self.rejected_segments, self.events, self.from, self.to
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
}

/// The queue of uploads on their way to the server.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Oldest first. A `Vec`: it rarely holds more than a few segments, and a `VecDeque` costs
    /// bundle bytes.
    queue: Vec<Entry>,
    bytes: usize,
    next_id: u64,
    failures: u32,
    not_before: u64,
    dropped: Option<Dropped>,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `upload`; drops the oldest segments without errors (then, if need be, the oldest
    /// ones) while the queue is over [`MAX_OUTBOX_BYTES`]. The front segment, which may be in
    /// flight, stays.
    pub fn push(&mut self, upload: Upload) {
        self.bytes += upload.segment.body.len();
        self.queue.push(Entry {
            id: self.next_id,
            upload,
        });
        self.next_id += 1;
        while self.bytes > MAX_OUTBOX_BYTES && self.queue.len() > 2 {
            let victim = (1..self.queue.len() - 1)
                .find(|&i| !self.queue[i].upload.segment.header.contains_error())
                .unwrap_or(1);
            let entry = self.queue.remove(victim);
            self.forget(&entry, false);
        }
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

    /// Records how the attempt of upload `id` at `now` ended.
    pub fn settle(&mut self, id: u64, now: u64, outcome: Outcome) {
        if self.queue.first().map(|entry| entry.id) != Some(id) {
            return;
        }
        match outcome {
            Outcome::Retry { retry_after_ms } => {
                self.failures = self.failures.saturating_add(1);
                let delay = retry_after_ms
                    .unwrap_or_else(|| backoff_ms(self.failures))
                    .min(MAX_RETRY_MS);
                self.not_before = now.saturating_add(delay);
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
            }
        }
    }

    /// What was dropped since the last call, if anything.
    pub fn take_dropped(&mut self) -> Option<Dropped> {
        self.dropped.take()
    }
}

#[cfg(test)]
mod tests {
    use sightline_protocol::v1::{FLAG_CONTAINS_ERROR, SegmentHeader};

    use super::*;
    use crate::segmenter::Segment;
    use crate::transport::Delivery;

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
                from: 1_002,
                to: 1_502,
            })
        );
        assert_eq!(
            dropped.map(|d| d.to_json()).as_deref(),
            Some(
                "{\"overflow_segments\":1,\"rejected_segments\":0,\"events\":3,\"from\":1002,\"to\":1502}"
            )
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
}
