//! The `Content-Encoding: deflate` body decoder on raw (unwrapped) deflate streams: inputs that
//! start like a zlib header are left to the `deflate_zlib` target; see `sightline_fuzz::check`
//! for the properties.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let [_, cmf, flg, ..] = data
        && cmf & 0x0f == 8
        && cmf >> 4 <= 7
        && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
    {
        return;
    }
    sightline_fuzz::check("deflate", data);
});
