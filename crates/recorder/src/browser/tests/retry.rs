//! The browser transport when the server is down: the segment is kept and retried later with
//! backoff, and nothing reaches the page. (How each HTTP status is treated is tested natively in
//! `outbox`: the test runner's server answers every upload with a success.)

use sightline_protocol::v1::SegmentHeader;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

use super::TestResult;
use crate::browser::recorder::now;
use crate::browser::upload::{BrowserTransport, idle, outbox_state};
use crate::outbox::FIRST_RETRY_MS;
use crate::segmenter::Segment;
use crate::transport::{Delivery, Transport, Upload};

fn upload(url: &str) -> Upload {
    let mut header = SegmentHeader::new("c".repeat(32), 0, 1, now()).with_end(now());
    header.event_count = 1;
    Upload {
        url: url.to_owned(),
        segment: Segment {
            header,
            // An empty MessagePack array.
            body: vec![0x90],
        },
        delivery: Delivery::Background,
    }
}

#[wasm_bindgen_test]
async fn an_unreachable_server_is_retried_later_and_the_segment_kept() -> TestResult {
    outbox_state(true);
    let before = now();
    let mut transport = BrowserTransport;
    // Nothing listens on the discard port: the fetch fails without an answer.
    transport.send(upload("http://127.0.0.1:9/api/1/replay/?sentry_key=k"));
    JsFuture::from(idle()).await?;
    let (waiting, retry_at) = outbox_state(true);
    assert_eq!(waiting, 1, "the segment waits for the server");
    let retry_at = retry_at.ok_or("a retry is planned")?;
    assert!(
        retry_at >= before + FIRST_RETRY_MS,
        "{retry_at} vs {before}"
    );
    assert_eq!(transport.take_dropped(), None);
    Ok(())
}
