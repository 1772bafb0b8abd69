//! Replay and event ids: 32 lowercase hex digits made from 16 random bytes.
//!
//! The ids have the shape of a UUID v4 without dashes, as Sentry's event ids do, so that tools that
//! expect one accept them. The browser glue supplies the bytes from `crypto.getRandomValues`.

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Makes a 32-hex id (UUID v4 layout) from 16 random bytes.
pub fn hex_id(random: [u8; 16]) -> String {
    let mut bytes = random;
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    let mut id = String::with_capacity(32);
    for byte in bytes {
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    id
}

#[cfg(test)]
mod tests {
    use sightline_protocol::v1::is_hex_id;

    use super::*;

    #[test]
    fn ids_are_32_lowercase_hex_in_uuid4_layout() {
        let id = hex_id([0xff; 16]);
        assert!(is_hex_id(&id, 32), "{id}");
        assert_eq!(&id[12..13], "4");
        assert_eq!(&id[16..17], "b");
        let id = hex_id([0; 16]);
        assert_eq!(id, "00000000000040008000000000000000");
    }

    #[test]
    fn different_bytes_give_different_ids() {
        let mut other = [0u8; 16];
        other[15] = 1;
        assert_ne!(hex_id([0; 16]), hex_id(other));
    }
}
