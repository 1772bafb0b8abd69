//! The Sentry envelope parser (`sightline_server::envelope::Envelope::parse`) on arbitrary bytes.
//!
//! Properties: never panics; a parsed envelope has at most `MAX_ENVELOPE_ITEMS` items, every
//! payload is a slice of the input and within its type's size limit, every item header has a
//! string `type`, and a `length` item header matches its payload; errors classify as 400 or 413.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sightline_server::envelope::{Envelope, ItemType};
use sightline_server::limits::{MAX_ENVELOPE_ITEMS, MAX_EVENT_BYTES, MAX_TRANSACTION_BYTES};

fuzz_target!(|data: &[u8]| {
    let envelope = match Envelope::parse(data) {
        Ok(envelope) => envelope,
        Err(error) => {
            // Both answers are typed; just make sure classifying and printing do not panic.
            let _ = error.is_too_large();
            let _ = error.to_string();
            return;
        }
    };
    assert!(envelope.items.len() <= MAX_ENVELOPE_ITEMS);
    let range = data.as_ptr_range();
    for item in &envelope.items {
        let payload = item.payload.as_ptr_range();
        assert!(payload.start >= range.start && payload.end <= range.end);
        assert_eq!(
            item.headers.get("type").and_then(|t| t.as_str()),
            Some(item.type_name.as_str())
        );
        assert_eq!(item.item_type, ItemType::from_name(&item.type_name));
        if let Some(length) = item.headers.get("length").and_then(|l| l.as_u64()) {
            assert_eq!(item.payload.len() as u64, length);
        }
        match item.item_type {
            ItemType::Event => assert!(item.payload.len() <= MAX_EVENT_BYTES),
            ItemType::Transaction => assert!(item.payload.len() <= MAX_TRANSACTION_BYTES),
            _ => {}
        }
    }
    let _ = envelope.dsn();
    let _ = envelope.trace_field("replay_id");
});
