//! A small MessagePack writer for the encode path, used instead of serde in the recorder's bundle.
//!
//! Serializing through serde and rmp-serde instantiates a generic serializer for every type that
//! reaches the wire, which cost the recorder's WebAssembly tens of kilobytes. [`Pack`] writes the
//! same bytes directly: every value in the smallest MessagePack form, exactly as rmp-serde writes
//! it (integers through `rmp::encode::write_uint`/`write_sint`'s rules, `Option` as nil or the
//! value, sequences and tuples as arrays). Writing into a `Vec` cannot fail, so nothing here
//! returns an error. The serde impls stay for decoding and for the native callers that use them;
//! tests check that both paths produce identical bytes.

/// A value that writes itself as MessagePack, byte for byte as its `Serialize` impl would through
/// `rmp_serde::to_vec`.
pub(crate) trait Pack {
    /// Appends the value's MessagePack encoding to `out`.
    fn pack(&self, out: &mut Vec<u8>);
}

/// Writes the given fields (each anything that dereferences to a [`Pack`] type) as one
/// MessagePack array: the positional tuple of a struct or an event. [`Pack`] must be in scope.
macro_rules! pack_tuple {
    ($out:expr; $($field:expr),+ $(,)?) => {{
        let out: &mut Vec<u8> = $out;
        $crate::msgpack::write_array_len(out, [$(stringify!($field)),+].len());
        $(($field).pack(out);)+
    }};
}
pub(crate) use pack_tuple;

/// Converts a length to the 32 bits MessagePack can express. Only a native caller could hold more
/// than `u32::MAX` elements (wasm32's `usize` is 32 bits); such a segment is far over every decode
/// limit and would be rejected whatever its length prefix says.
fn wire_len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Writes an array header for `len` elements.
pub(crate) fn write_array_len(out: &mut Vec<u8>, len: usize) {
    let len = wire_len(len);
    match len {
        // fixarray
        0..=15 => out.push(0x90 | len as u8),
        16..=0xffff => {
            out.push(0xdc);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0xdd);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
}

/// Writes an unsigned integer in its smallest form.
pub(crate) fn write_uint(out: &mut Vec<u8>, value: u64) {
    match value {
        // positive fixint
        0..=0x7f => out.push(value as u8),
        0x80..=0xff => out.extend_from_slice(&[0xcc, value as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(value as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(value as u32).to_be_bytes());
        }
        _ => {
            out.push(0xcf);
            out.extend_from_slice(&value.to_be_bytes());
        }
    }
}

/// Writes a signed integer in its smallest form; non-negative values as unsigned ones.
pub(crate) fn write_sint(out: &mut Vec<u8>, value: i64) {
    match value {
        0.. => write_uint(out, value.unsigned_abs()),
        // negative fixint: the byte is the two's complement value itself
        -32..=-1 => out.push(value as u8),
        -128..=-33 => out.extend_from_slice(&[0xd0, value as u8]),
        -32_768..=-129 => {
            out.push(0xd1);
            out.extend_from_slice(&(value as i16).to_be_bytes());
        }
        -2_147_483_648..=-32_769 => {
            out.push(0xd2);
            out.extend_from_slice(&(value as i32).to_be_bytes());
        }
        _ => {
            out.push(0xd3);
            out.extend_from_slice(&value.to_be_bytes());
        }
    }
}

impl Pack for str {
    fn pack(&self, out: &mut Vec<u8>) {
        let len = wire_len(self.len());
        match len {
            // fixstr
            0..=31 => out.push(0xa0 | len as u8),
            32..=0xff => out.extend_from_slice(&[0xd9, len as u8]),
            0x100..=0xffff => {
                out.push(0xda);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                out.push(0xdb);
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
        out.extend_from_slice(self.as_bytes());
    }
}

impl Pack for String {
    fn pack(&self, out: &mut Vec<u8>) {
        self.as_str().pack(out);
    }
}

impl Pack for bool {
    fn pack(&self, out: &mut Vec<u8>) {
        out.push(if *self { 0xc3 } else { 0xc2 });
    }
}

/// Implements [`Pack`] for integer types through the widest writer of their signedness.
macro_rules! pack_integers {
    ($writer:ident as $wide:ty: $($int:ty),+) => {$(
        impl Pack for $int {
            fn pack(&self, out: &mut Vec<u8>) {
                $writer(out, <$wide>::from(*self));
            }
        }
    )+};
}

pack_integers!(write_uint as u64: u8, u16, u32, u64);
pack_integers!(write_sint as i64: i32);

impl<T: Pack> Pack for Option<T> {
    fn pack(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.pack(out),
            None => out.push(0xc0),
        }
    }
}

impl<T: Pack> Pack for [T] {
    fn pack(&self, out: &mut Vec<u8>) {
        write_array_len(out, self.len());
        for item in self {
            item.pack(out);
        }
    }
}

impl<T: Pack> Pack for Vec<T> {
    fn pack(&self, out: &mut Vec<u8>) {
        self.as_slice().pack(out);
    }
}

impl<A: Pack, B: Pack> Pack for (A, B) {
    fn pack(&self, out: &mut Vec<u8>) {
        pack_tuple!(out; &self.0, &self.1);
    }
}

#[cfg(test)]
mod tests {
    use super::Pack;

    fn packed<T: Pack + ?Sized>(value: &T) -> Vec<u8> {
        let mut out = Vec::new();
        value.pack(&mut out);
        out
    }

    /// Each boundary of each form, against the bytes rmp-serde writes for the same value.
    #[test]
    #[allow(clippy::unwrap_used)]
    fn integers_take_the_same_form_as_rmp_serde() {
        for value in [
            0u64,
            1,
            127,
            128,
            255,
            256,
            65_535,
            65_536,
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 1,
            u64::MAX,
        ] {
            assert_eq!(
                packed(&value),
                rmp_serde::to_vec(&value).unwrap(),
                "{value}"
            );
        }
        for value in [
            0i32,
            127,
            128,
            255,
            256,
            65_535,
            65_536,
            i32::MAX,
            -1,
            -32,
            -33,
            -128,
            -129,
            -32_768,
            -32_769,
            i32::MIN,
        ] {
            assert_eq!(
                packed(&value),
                rmp_serde::to_vec(&value).unwrap(),
                "{value}"
            );
        }
        assert_eq!(packed(&i32::MIN), [0xd2, 0x80, 0, 0, 0]);
        assert_eq!(packed(&-33i32), [0xd0, 0xdf]);
    }

    #[test]
    fn i64_extremes_use_the_eight_byte_forms() {
        let mut out = Vec::new();
        super::write_sint(&mut out, i64::MIN);
        assert_eq!(out, [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        out.clear();
        super::write_sint(&mut out, i64::MAX);
        assert_eq!(out, [0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn strings_and_arrays_switch_forms_at_the_same_lengths_as_rmp_serde() {
        for len in [0, 1, 15, 16, 31, 32, 255, 256, 65_535, 65_536] {
            let text = "x".repeat(len);
            assert_eq!(packed(&text), rmp_serde::to_vec(&text).unwrap(), "{len}");
            let items = vec![1u8; len];
            assert_eq!(packed(&items), rmp_serde::to_vec(&items).unwrap(), "{len}");
        }
    }
}
