//! The replay segment decoder (`sightline_protocol::decode_segment`) on arbitrary bytes.
//!
//! Properties: never panics; a decoded segment keeps every limit (events, header strings, tree
//! depth); and it survives a re-encode: encoding the decoded events uncompressed decodes again to
//! the very same header fields and events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sightline_protocol::limits::{MAX_DEPTH, MAX_EVENTS, MAX_HEADER_STRING};
use sightline_protocol::v1::{Compression, EventData, Node};
use sightline_protocol::{decode_segment, encode_segment};

fn depth(node: &Node) -> usize {
    // Iterative, so a hostile tree cannot overflow the checker's own stack.
    let mut deepest = 0;
    let mut stack = vec![(node, 1_usize)];
    while let Some((node, level)) = stack.pop() {
        deepest = deepest.max(level);
        stack.extend(node.children().iter().map(|child| (child, level + 1)));
    }
    deepest
}

fuzz_target!(|data: &[u8]| {
    let Ok(segment) = decode_segment(data) else {
        return;
    };
    assert!(segment.events.len() <= MAX_EVENTS);
    assert_eq!(segment.events.len(), segment.header.event_count as usize);
    assert!(segment.header.release.len() <= MAX_HEADER_STRING);
    assert!(segment.header.environment.len() <= MAX_HEADER_STRING);
    assert!(segment.header.start <= segment.header.end);
    for event in &segment.events {
        if let EventData::FullSnapshot { root } = &event.data {
            // Each element costs at least one MessagePack level.
            assert!(
                depth(root) <= MAX_DEPTH,
                "decoded tree deeper than MAX_DEPTH"
            );
        }
    }
    let mut header = segment.header.clone();
    header.compression = Compression::None;
    let bytes = encode_segment(&header, &segment.events, Compression::None)
        .expect("a decoded segment re-encodes");
    let again = decode_segment(&bytes).expect("a re-encoded segment decodes");
    assert_eq!(again.events, segment.events);
    assert_eq!(again.header.replay_id, segment.header.replay_id);
    assert_eq!(again.header.release, segment.header.release);
    assert_eq!(again.header.environment, segment.header.environment);
});
