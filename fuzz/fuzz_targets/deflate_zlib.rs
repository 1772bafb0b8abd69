//! The `Content-Encoding: deflate` body decoder on zlib-wrapped streams: every input is given a
//! valid zlib header so the fuzzer spends its time inside the zlib decoder; see
//! `sightline_fuzz::check` for the properties.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let mut input = vec![chunk, 0x78, 0x9c];
    input.extend_from_slice(rest);
    sightline_fuzz::check("deflate", &input);
});
