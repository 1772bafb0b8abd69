//! Named limits that bound every decode. A segment that breaks one is rejected whole, with a
//! [`DecodeError`](crate::DecodeError) naming the limit.

/// Largest segment accepted as uploaded (prefix + header + possibly compressed body).
pub const MAX_SEGMENT_BYTES: usize = 8 * 1024 * 1024;

/// Largest encoded header.
pub const MAX_HEADER_BYTES: usize = 4 * 1024;

/// Largest body after decompression; also bounds the inflate ratio of a hostile body.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Deepest MessagePack nesting in a body. A DOM element costs two levels (node tuple and its
/// children array), so this allows trees about 120 elements deep; the recorder clips deeper ones.
pub const MAX_DEPTH: usize = 256;

/// Most elements in any one MessagePack array or map.
pub const MAX_COLLECTION_LEN: usize = 200_000;

/// Most MessagePack values in one body, all levels together.
pub const MAX_TOTAL_VALUES: usize = 4_000_000;

/// Longest string or binary value in bytes (large inline `<style>` text fits).
pub const MAX_STRING_BYTES: usize = 4 * 1024 * 1024;

/// Most events in one segment.
pub const MAX_EVENTS: usize = 100_000;

/// Longest release or environment name in a header.
pub const MAX_HEADER_STRING: usize = 200;
