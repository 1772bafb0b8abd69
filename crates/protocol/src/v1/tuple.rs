//! Helpers for the hand-written positional tuple encodings.

use serde::de::{self, Deserialize, IgnoredAny, SeqAccess};

/// Writes the given values as one MessagePack array.
macro_rules! write_tuple {
    ($serializer:expr; $($field:expr),+ $(,)?) => {{
        use serde::ser::SerializeSeq as _;
        let len = [$(stringify!($field)),+].len();
        let mut seq = $serializer.serialize_seq(Some(len))?;
        $(seq.serialize_element($field)?;)+
        seq.end()
    }};
}
pub(crate) use write_tuple;

/// Reads the next required field of a tuple.
pub(crate) fn field<'de, A, T>(seq: &mut A, name: &'static str) -> Result<T, A::Error>
where
    A: SeqAccess<'de>,
    T: Deserialize<'de>,
{
    seq.next_element()?
        .ok_or_else(|| de::Error::custom(format_args!("missing field `{name}`")))
}

/// Skips fields appended by a newer minor encoder so that old readers keep working.
pub(crate) fn skip_rest<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}
