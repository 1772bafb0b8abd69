//! The `Content-Encoding: zstd` body decoder (`sightline_server::encoding::read_body`); see
//! `sightline_fuzz::check` for the properties.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sightline_fuzz::check("zstd", data));
