//! Golden bytes of format v1. The decoder must read these forever; the encoder must keep producing
//! the uncompressed one byte for byte. Regenerate only for a new version, with
//! `SIGHTLINE_BLESS=1 cargo test -p sightline-protocol --test golden_v1`.

mod common;

use std::path::PathBuf;

use sightline_protocol::v1::Compression;
use sightline_protocol::{decode_segment, encode_segment};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/v1")
        .join(name)
}

fn check(name: &str, compression: Compression) -> Result<(), Box<dyn std::error::Error>> {
    let encoded = encode_segment(&common::header(), &common::events(), compression)?;
    let path = fixture(name);
    if std::env::var_os("SIGHTLINE_BLESS").is_some() {
        std::fs::write(&path, &encoded)?;
    }
    let golden = std::fs::read(&path)?;
    let decoded = decode_segment(&golden)?;
    assert_eq!(decoded.events, common::events());
    assert_eq!(decoded.header.replay_id, common::REPLAY_ID);
    assert_eq!(decoded.header.compression, compression);
    if compression == Compression::None {
        assert_eq!(encoded, golden, "the v1 encoding of {name} changed");
    }
    Ok(())
}

#[test]
fn golden_uncompressed_segment_is_stable() -> Result<(), Box<dyn std::error::Error>> {
    check("sample.none.bin", Compression::None)
}

#[test]
fn golden_deflate_raw_segment_decodes() -> Result<(), Box<dyn std::error::Error>> {
    check("sample.deflate-raw.bin", Compression::DeflateRaw)
}
