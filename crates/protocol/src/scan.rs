//! A bounded, non-recursive walk over MessagePack bytes that runs before serde sees them.
//!
//! Serde deserializers recurse per nesting level and trust declared lengths; checking depth, lengths
//! and value counts first means the typed decode afterwards cannot blow the stack or be made to
//! allocate for elements that are not there.

use crate::error::DecodeError;
use crate::limits::{MAX_COLLECTION_LEN, MAX_DEPTH, MAX_STRING_BYTES, MAX_TOTAL_VALUES};

/// Checks that `bytes` hold exactly one MessagePack value within the limits.
pub(crate) fn scan_value(bytes: &[u8]) -> Result<(), DecodeError> {
    let mut cursor = Cursor { bytes, pos: 0 };
    // Each entry counts the values still expected at one level; the first is the top level.
    let mut pending: Vec<usize> = vec![1];
    let mut values = 0usize;
    while let Some(top) = pending.last_mut() {
        if *top == 0 {
            pending.pop();
            continue;
        }
        *top -= 1;
        values += 1;
        if values > MAX_TOTAL_VALUES {
            return Err(DecodeError::TooManyValues {
                limit: MAX_TOTAL_VALUES,
            });
        }
        let children = cursor.skip_value_head()?;
        if children > 0 {
            if pending.len() > MAX_DEPTH {
                return Err(DecodeError::TooDeep { limit: MAX_DEPTH });
            }
            pending.push(children);
        }
    }
    match bytes.len() - cursor.pos {
        0 => Ok(()),
        extra => Err(DecodeError::TrailingBytes(extra)),
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(DecodeError::Truncated("segment body"))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn uint(&mut self, width: usize) -> Result<usize, DecodeError> {
        let raw = self.take(width)?;
        Ok(raw
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)))
    }

    fn skip_string(&mut self, len: usize) -> Result<(), DecodeError> {
        if len > MAX_STRING_BYTES {
            return Err(DecodeError::StringTooLong {
                limit: MAX_STRING_BYTES,
                actual: len,
            });
        }
        self.take(len).map(drop)
    }

    fn collection(len: usize, per_entry: usize) -> Result<usize, DecodeError> {
        if len > MAX_COLLECTION_LEN {
            return Err(DecodeError::CollectionTooLong {
                limit: MAX_COLLECTION_LEN,
                actual: len,
            });
        }
        Ok(len * per_entry)
    }

    /// Skips one value's marker and payload; returns how many child values follow it.
    fn skip_value_head(&mut self) -> Result<usize, DecodeError> {
        let marker = self.take(1)?[0];
        let children = match marker {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => 0,
            0x80..=0x8f => Self::collection(usize::from(marker & 0x0f), 2)?,
            0x90..=0x9f => Self::collection(usize::from(marker & 0x0f), 1)?,
            0xa0..=0xbf => {
                self.skip_string(usize::from(marker & 0x1f))?;
                0
            }
            0xc4 | 0xd9 => {
                let len = self.uint(1)?;
                self.skip_string(len)?;
                0
            }
            0xc5 | 0xda => {
                let len = self.uint(2)?;
                self.skip_string(len)?;
                0
            }
            0xc6 | 0xdb => {
                let len = self.uint(4)?;
                self.skip_string(len)?;
                0
            }
            0xc7..=0xc9 => {
                let width = 1 << (marker - 0xc7);
                let len = self.uint(width)?;
                self.skip_string(len.saturating_add(1))?;
                0
            }
            0xcc | 0xd0 => self.take(1).map(|_| 0)?,
            0xcd | 0xd1 => self.take(2).map(|_| 0)?,
            0xca | 0xce | 0xd2 => self.take(4).map(|_| 0)?,
            0xcb | 0xcf | 0xd3 => self.take(8).map(|_| 0)?,
            0xd4..=0xd8 => self.take(1 + (1 << (marker - 0xd4))).map(|_| 0)?,
            0xdc => {
                let len = self.uint(2)?;
                Self::collection(len, 1)?
            }
            0xdd => {
                let len = self.uint(4)?;
                Self::collection(len, 1)?
            }
            0xde => {
                let len = self.uint(2)?;
                Self::collection(len, 2)?
            }
            0xdf => {
                let len = self.uint(4)?;
                Self::collection(len, 2)?
            }
            0xc1 => {
                return Err(DecodeError::Malformed(
                    "reserved MessagePack marker 0xc1".into(),
                ));
            }
        };
        Ok(children)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_nested_values() -> Result<(), rmp_serde::encode::Error> {
        let bytes = rmp_serde::to_vec(&(1u8, vec!["a", "b"], (2.5f64, -3i64, None::<u8>)))?;
        assert_eq!(scan_value(&bytes), Ok(()));
        Ok(())
    }

    #[test]
    fn rejects_depth_beyond_limit() {
        let mut bytes = vec![0x91; MAX_DEPTH + 1];
        bytes.push(0x00);
        assert_eq!(
            scan_value(&bytes),
            Err(DecodeError::TooDeep { limit: MAX_DEPTH })
        );
        let mut ok = vec![0x91; MAX_DEPTH];
        ok.push(0x00);
        assert_eq!(scan_value(&ok), Ok(()));
    }

    #[test]
    fn rejects_declared_lengths_that_are_not_there() {
        // array32 claiming 100 000 elements with none present.
        let bytes = [0xdd, 0x00, 0x01, 0x86, 0xa0];
        assert_eq!(
            scan_value(&bytes),
            Err(DecodeError::Truncated("segment body"))
        );
        let huge = [0xdd, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            scan_value(&huge),
            Err(DecodeError::CollectionTooLong { .. })
        ));
        let long_string = [0xdb, 0x7f, 0xff, 0xff, 0xff];
        assert!(matches!(
            scan_value(&long_string),
            Err(DecodeError::StringTooLong { .. })
        ));
    }

    #[test]
    fn rejects_trailing_bytes_and_reserved_markers() {
        assert_eq!(
            scan_value(&[0x90, 0x01]),
            Err(DecodeError::TrailingBytes(1))
        );
        assert!(matches!(
            scan_value(&[0xc1]),
            Err(DecodeError::Malformed(_))
        ));
    }
}
