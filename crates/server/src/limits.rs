//! Named limits of the Sentry-compatible ingest. A rejected payload names the limit it broke, so
//! an SDK author (or an operator reading the log) knows which one to look up here.

/// Largest request body as sent on the wire, before any decompression (bytes).
pub const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// Largest envelope after decompression (bytes). A small compressed body can inflate a thousand
/// times; decoding stops as soon as this many bytes came out.
pub const MAX_DECOMPRESSED_BODY_BYTES: usize = 50 * 1024 * 1024;

/// Most a compressed body may inflate (decompressed bytes per byte received) once it is past
/// [`DECOMPRESSION_RATIO_FLOOR`]: SDK payloads inflate 5–20 times, a bomb thousands of times,
/// so a bomb is refused after a few MiB instead of at [`MAX_DECOMPRESSED_BODY_BYTES`].
pub const MAX_DECOMPRESSION_RATIO: usize = 100;

/// Decompressed size below which [`MAX_DECOMPRESSION_RATIO`] is not applied (bytes): small,
/// very repetitive payloads are fine.
pub const DECOMPRESSION_RATIO_FLOOR: usize = 4 * 1024 * 1024;

/// Largest `event` item, and largest body of the `/store/` endpoint (bytes).
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// Largest `transaction` item (bytes).
pub const MAX_TRANSACTION_BYTES: usize = 1024 * 1024;

/// Largest envelope header or item header line (bytes).
pub const MAX_HEADER_LINE_BYTES: usize = 64 * 1024;

/// Most items in one envelope.
pub const MAX_ENVELOPE_ITEMS: usize = 1000;

/// Most frames kept per stack trace; the middle of longer traces is dropped, keeping the
/// outermost and the innermost frames, as a reader of a stack overflow wants.
pub const MAX_FRAMES_PER_STACKTRACE: usize = 250;

/// Most exceptions kept in one chain.
pub const MAX_EXCEPTIONS: usize = 25;

/// Longest tag key (characters); longer tags are dropped and noted in the event's `errors`.
pub const MAX_TAG_KEY_CHARS: usize = 200;

/// Longest tag value (characters); longer tags are dropped and noted in the event's `errors`.
pub const MAX_TAG_VALUE_CHARS: usize = 200;

/// Most tags kept per event.
pub const MAX_TAGS: usize = 200;

/// Longest derived title (characters).
pub const MAX_TITLE_CHARS: usize = 1024;

/// Longest string kept inside local variables and other free-form values (characters).
pub const MAX_VALUE_STRING_CHARS: usize = 4096;

/// Deepest nesting kept inside local variables and other free-form values.
pub const MAX_VALUE_DEPTH: usize = 8;

/// Most inbox entries the processor takes in one batch.
pub const PROCESSOR_BATCH: usize = 100;

/// Largest sum of the payload bytes of one processor batch: a batch stops growing once it holds
/// this many bytes (it always takes at least one entry), so the processor's memory stays bounded
/// whatever the entries' sizes.
pub const PROCESSOR_BATCH_BYTES: u64 = 4 * 1024 * 1024;

/// Most ingest requests (replay segments, envelopes, store events) handled at once; one more is
/// answered 503 with `Retry-After` before its body is read. With the body limits above this
/// bounds the memory ingest can hold. Override with `sightline serve --max-in-flight`.
pub const MAX_INGEST_IN_FLIGHT: usize = 64;

/// Most inbox entries waiting for the processor; beyond it event ingest answers 503 with
/// `Retry-After` until the processor catches up. Override with `--max-inbox-entries`.
pub const MAX_INBOX_ENTRIES: u64 = 100_000;

/// Most payload bytes waiting in the inbox; beyond it event ingest answers 503 with
/// `Retry-After`. Override with `--max-inbox-bytes`.
pub const MAX_INBOX_BYTES: u64 = 1024 * 1024 * 1024;

/// Resident memory (bytes) at which ingest stops admitting requests (503 with `Retry-After`)
/// until memory falls again: the burst's requests already in flight finish, new ones wait.
/// Read from `/proc/self/status` on Linux; elsewhere this bound is not applied. Override with
/// `sightline serve --max-memory-mb`.
pub const MAX_MEMORY_BYTES: u64 = 512 * 1024 * 1024;

/// How often admission reads the process's resident memory (ms).
pub const MEMORY_CHECK_INTERVAL_MS: u64 = 50;

/// `Retry-After` (seconds) when every ingest slot is busy.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// `Retry-After` (seconds) when the inbox backlog is full.
pub const BACKLOG_RETRY_AFTER_SECS: u64 = 5;

/// `Retry-After` (seconds) when the disk is full.
pub const DISK_FULL_RETRY_AFTER_SECS: u64 = 60;

/// Most quarantined items kept; the oldest are dropped (and counted) to make room.
pub const MAX_QUARANTINE_ENTRIES: u64 = 10_000;

/// Most quarantined payload bytes kept; the oldest items are dropped (and counted) to make room.
pub const MAX_QUARANTINE_BYTES: u64 = 256 * 1024 * 1024;

/// Longest quarantine reason kept (bytes, cut at a character boundary).
pub const MAX_QUARANTINE_REASON_BYTES: usize = 2048;
