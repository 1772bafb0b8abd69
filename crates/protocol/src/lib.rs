//! Sightline's wire protocol: the types that cross the network and the replay segment codec.
//!
//! The recorder (compiled to WebAssembly) encodes what it observes in a page into **segments**; the
//! server and the viewer decode them. A segment is a small binary prefix, a MessagePack header
//! ([`v1::SegmentHeader`]) and a MessagePack body: an array of [`v1::Event`]s, each a positional
//! tuple `[kind, dt, …fields]` whose `dt` is the delta in milliseconds from the previous event (the
//! first event's from the header's `start`). The body is usually compressed as raw deflate by the
//! browser's native `CompressionStream('deflate-raw')`.
//!
//! Decoding is bounded: every limit lives in [`limits`] and a violation is a typed
//! [`DecodeError`], never a panic.
//!
//! ```
//! use sightline_protocol::v1::{Compression, Event, EventData, SegmentHeader};
//! use sightline_protocol::{decode_segment, encode_segment};
//!
//! let header = SegmentHeader::new("0123456789abcdef0123456789abcdef", 0, 1, 1_700_000_000_000)
//!     .with_release("shop@1.0.0");
//! let events = vec![Event::new(0, EventData::Meta {
//!     href: "https://shop.example/".into(),
//!     width: 1280,
//!     height: 720,
//!     user_agent: "Mozilla/5.0".into(),
//! })];
//! let bytes = encode_segment(&header, &events, Compression::None)?;
//! let segment = decode_segment(&bytes)?;
//! assert_eq!(segment.events, events);
//! assert_eq!(segment.header.release, "shop@1.0.0");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod error;
pub mod limits;
mod msgpack;
mod scan;
pub mod segment;
pub mod v1;

pub use error::{DecodeError, EncodeError};
pub use segment::{
    DecodedSegment, FORMAT_VERSION, MAGIC, decode_body, decode_header, decode_segment, encode_body,
    encode_header_prefix, encode_segment, flags_for,
};
