//! Hostile and broken segments are rejected with the typed error that names the broken rule.

mod common;

use sightline_protocol::limits::{MAX_BODY_BYTES, MAX_SEGMENT_BYTES};
use sightline_protocol::v1::Compression;
use sightline_protocol::{DecodeError, decode_segment, encode_header_prefix, encode_segment};

fn valid(compression: Compression) -> Vec<u8> {
    encode_segment(&common::header(), &common::events(), compression).unwrap_or_default()
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for compression in [Compression::None, Compression::DeflateRaw] {
        let bytes = valid(compression);
        for len in 0..bytes.len() {
            assert!(
                decode_segment(&bytes[..len]).is_err(),
                "{compression:?} truncated to {len} bytes decoded"
            );
        }
    }
}

#[test]
fn every_single_byte_corruption_is_handled() {
    // Flipping bytes may yield another valid segment; it must never panic.
    let bytes = valid(Compression::None);
    for i in 0..bytes.len() {
        let mut corrupt = bytes.clone();
        corrupt[i] ^= 0xff;
        let _ = decode_segment(&corrupt);
    }
}

#[test]
fn wrong_magic_and_version_are_named() {
    let mut bytes = valid(Compression::None);
    bytes[0] = b'X';
    assert_eq!(decode_segment(&bytes), Err(DecodeError::BadMagic));
    let mut bytes = valid(Compression::None);
    bytes[4] = 9;
    assert_eq!(
        decode_segment(&bytes),
        Err(DecodeError::UnsupportedVersion(9))
    );
    assert_eq!(
        decode_segment(b"{\"json\": true}"),
        Err(DecodeError::BadMagic)
    );
}

#[test]
fn oversized_segment_is_rejected_before_decoding() {
    let bytes = vec![0u8; MAX_SEGMENT_BYTES + 1];
    assert!(matches!(
        decode_segment(&bytes),
        Err(DecodeError::SegmentTooLarge { .. })
    ));
}

#[test]
fn invalid_header_fields_are_named() -> Result<(), Box<dyn std::error::Error>> {
    let mut header = common::header();
    header.replay_id = "not-a-replay-id".into();
    let bytes = encode_segment(&header, &common::events(), Compression::None)?;
    match decode_segment(&bytes) {
        Err(DecodeError::InvalidHeader(why)) => assert!(why.contains("replay_id"), "{why}"),
        other => panic!("expected InvalidHeader, got {other:?}"),
    }
    let mut header = common::header();
    header.end = header.start - 1;
    let bytes = encode_segment(&header, &common::events(), Compression::None)?;
    assert!(matches!(
        decode_segment(&bytes),
        Err(DecodeError::InvalidHeader(_))
    ));
    Ok(())
}

#[test]
fn event_count_must_match_the_body() -> Result<(), Box<dyn std::error::Error>> {
    let mut header = common::header();
    header.event_count = 2;
    let mut bytes = encode_header_prefix(&header)?;
    bytes.extend(sightline_protocol::encode_body(&common::events())?);
    assert_eq!(
        decode_segment(&bytes),
        Err(DecodeError::EventCountMismatch {
            header: 2,
            body: common::events().len()
        })
    );
    Ok(())
}

#[test]
fn unknown_event_kind_is_malformed() -> Result<(), Box<dyn std::error::Error>> {
    let mut header = common::header();
    header.event_count = 1;
    let mut bytes = encode_header_prefix(&header)?;
    bytes.extend(rmp_serde::to_vec(&vec![(200u8, 0u32, "x")])?);
    match decode_segment(&bytes) {
        Err(DecodeError::Malformed(why)) => {
            assert!(why.contains("unknown event kind 200"), "{why}")
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    Ok(())
}

#[test]
fn deflate_bomb_is_cut_at_the_body_limit() -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write as _;
    let mut header = common::header();
    header.compression = Compression::DeflateRaw;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..(MAX_BODY_BYTES >> 20) + 1 {
        encoder.write_all(&zeros)?;
    }
    let bomb = encoder.finish()?;
    assert!(bomb.len() < MAX_SEGMENT_BYTES);
    let mut bytes = encode_header_prefix(&header)?;
    bytes.extend(bomb);
    let error = decode_segment(&bytes).err();
    assert_eq!(
        error,
        Some(DecodeError::BodyTooLarge {
            limit: MAX_BODY_BYTES
        })
    );
    // A bomb is a size problem (413), not a malformed segment (400).
    assert!(error.is_some_and(|e| e.is_too_large()));
    assert!(!DecodeError::BadMagic.is_too_large());
    Ok(())
}

#[test]
fn deeply_nested_body_is_rejected_without_recursion() -> Result<(), Box<dyn std::error::Error>> {
    let mut header = common::header();
    header.event_count = 1;
    let mut bytes = encode_header_prefix(&header)?;
    bytes.extend(std::iter::repeat_n(0x91u8, 100_000));
    bytes.push(0xc0);
    assert!(matches!(
        decode_segment(&bytes),
        Err(DecodeError::TooDeep { .. })
    ));
    Ok(())
}
