//! Round trips of every event kind through the segment codec.

mod common;

use sightline_protocol::v1::{
    Compression, EventData, FLAG_CONTAINS_CHECKPOINT, FLAG_CONTAINS_ERROR,
};
use sightline_protocol::{decode_header, decode_segment, encode_segment};

#[test]
fn every_event_kind_survives_both_compressions() -> Result<(), Box<dyn std::error::Error>> {
    let events = common::events();
    for compression in [Compression::None, Compression::DeflateRaw] {
        let bytes = encode_segment(&common::header(), &events, compression)?;
        let segment = decode_segment(&bytes)?;
        assert_eq!(segment.events, events, "{compression:?}");
        assert_eq!(segment.header.compression, compression);
        assert_eq!(segment.header.event_count as usize, events.len());
        assert_eq!(
            segment.header.flags,
            FLAG_CONTAINS_ERROR | FLAG_CONTAINS_CHECKPOINT
        );
        assert_eq!(segment.header.release, "shop@1.4.2");
    }
    Ok(())
}

#[test]
fn timed_events_accumulate_deltas_from_the_header_start() -> Result<(), Box<dyn std::error::Error>>
{
    let bytes = encode_segment(&common::header(), &common::events(), Compression::None)?;
    let segment = decode_segment(&bytes)?;
    let times: Vec<u64> = segment
        .timed_events()
        .map(|(t, _)| t - 1_764_000_000_000)
        .collect();
    assert_eq!(times, vec![0, 3, 1_203, 1_218, 3_218, 3_250]);
    Ok(())
}

#[test]
fn header_decodes_without_touching_the_body() -> Result<(), Box<dyn std::error::Error>> {
    let bytes = encode_segment(
        &common::header(),
        &common::events(),
        Compression::DeflateRaw,
    )?;
    let (header, body) = decode_header(&bytes)?;
    assert_eq!(header.replay_id, common::REPLAY_ID);
    assert!(!body.is_empty());
    Ok(())
}

#[test]
fn events_encode_as_positional_tuples_without_field_names() -> Result<(), Box<dyn std::error::Error>>
{
    let events = common::events();
    let click = rmp_serde::to_vec(&events[2])?;
    // [3, 1200, 0, 7, 640, -3]: array of six, kind 3, dt 1200 as uint16, click, id, x, y.
    assert_eq!(
        click,
        vec![
            0x96, 0x03, 0xcd, 0x04, 0xb0, 0x00, 0x07, 0xcd, 0x02, 0x80, 0xfd
        ]
    );
    assert!(matches!(events[2].data, EventData::MouseInteraction { .. }));
    Ok(())
}
