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
    assert_eq!(&times[..6], &[0, 3, 1_203, 1_218, 3_218, 3_250]);
    assert_eq!(times.last(), Some(&4_306));
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
fn mouse_moves_are_delta_coded_and_restored() {
    let samples = [
        (1_000, 10, 10),
        (1_050, 14, 9),
        (1_100, 14, 9),
        (1_160, -3, 400),
    ];
    let moves = sightline_protocol::v1::MouseMove::from_positions(&samples).unwrap_or_default();
    assert_eq!((moves.x, moves.y), (10, 10));
    assert_eq!(moves.deltas[0].dx, 4);
    assert_eq!(moves.deltas[2].dy, 391);
    let restored: Vec<_> = moves.positions().collect();
    assert_eq!(
        restored,
        vec![(0, 10, 10), (50, 14, 9), (100, 14, 9), (160, -3, 400)]
    );
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
