//! One recording session: a replay id, the buffered events and where they are uploaded.
//!
//! The browser glue feeds the session with timed events and asks it to flush; everything that does
//! not need a DOM (segment numbering, size limits, error events) happens here and is tested
//! natively with a [`CapturingTransport`](crate::transport::CapturingTransport).

use sightline_protocol::EncodeError;
use sightline_protocol::v1::EventData;

use crate::dsn::Dsn;
use crate::error_report::ErrorReport;
use crate::segmenter::{ReplayInfo, Segmenter};
use crate::transport::{Delivery, Transport, Upload};

/// Largest uncompressed body of a background upload; it deflates to a small fraction.
pub const MAX_BACKGROUND_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Largest uncompressed body sent when the page goes away: `sendBeacon` and `keepalive` requests
/// share a 64 KiB budget, and the header needs a little room too.
pub const MAX_UNLOAD_BODY_BYTES: usize = 60 * 1024;

/// The environment used when the page does not name one.
pub const DEFAULT_ENVIRONMENT: &str = "production";

/// A running recording.
#[derive(Debug)]
pub struct Session<T> {
    segmenter: Segmenter,
    upload_url: String,
    transport: T,
}

impl<T: Transport> Session<T> {
    /// Starts a session for `replay_id` that uploads to `dsn` through `transport`. An empty
    /// `environment` becomes [`DEFAULT_ENVIRONMENT`]; release and environment are cut to the
    /// header's limit.
    pub fn new(
        dsn: &Dsn,
        replay_id: String,
        release: &str,
        environment: &str,
        transport: T,
    ) -> Self {
        use sightline_protocol::limits::MAX_HEADER_STRING;
        let environment = match environment.trim() {
            "" => DEFAULT_ENVIRONMENT,
            name => name,
        };
        let info = ReplayInfo {
            replay_id,
            project: dsn.project_id,
            release: crate::stack::truncate(release.trim(), MAX_HEADER_STRING).to_owned(),
            environment: crate::stack::truncate(environment, MAX_HEADER_STRING).to_owned(),
        };
        Self {
            segmenter: Segmenter::new(info),
            upload_url: dsn.upload_url(),
            transport,
        }
    }

    /// The replay id every segment carries.
    pub fn replay_id(&self) -> &str {
        &self.segmenter.info().replay_id
    }

    /// What every segment of this replay carries: replay id, project, release, environment.
    pub fn info(&self) -> &ReplayInfo {
        self.segmenter.info()
    }

    /// Whether events wait for the next flush.
    pub fn has_pending(&self) -> bool {
        self.segmenter.has_pending()
    }

    /// Records an event that happened at `time` (ms since epoch).
    pub fn record(&mut self, time: u64, data: EventData) {
        self.segmenter.push(time, data);
    }

    /// Records an error at `time` under `event_id` (32 hex), tagged with the session's release,
    /// and returns the event id.
    pub fn record_error(&mut self, time: u64, report: ErrorReport, event_id: String) -> String {
        let error = report.into_js_error(event_id, &self.segmenter.info().release);
        let event_id = error.event_id.clone();
        self.segmenter.push(time, EventData::JsError(error));
        event_id
    }

    /// Cuts every buffered event into segments and hands them to the transport; returns how many
    /// segments were sent.
    ///
    /// # Errors
    /// [`EncodeError`] if the events could not be encoded (they are dropped).
    pub fn flush(&mut self, delivery: Delivery) -> Result<usize, EncodeError> {
        let max_body = match delivery {
            Delivery::Background => MAX_BACKGROUND_BODY_BYTES,
            Delivery::Unload => MAX_UNLOAD_BODY_BYTES,
        };
        let segments = self.segmenter.cut(max_body)?;
        let count = segments.len();
        for segment in segments {
            self.transport.send(Upload {
                url: self.upload_url.clone(),
                segment,
                delivery,
            });
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use sightline_protocol::decode_segment;
    use sightline_protocol::v1::{MouseInteraction, Mutation, Node, TextChange};

    use super::*;
    use crate::transport::CapturingTransport;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const REPLAY: &str = "00112233445566778899aabbccddeeff";

    fn session(
        release: &str,
        environment: &str,
    ) -> Result<(Session<CapturingTransport>, CapturingTransport), Box<dyn std::error::Error>> {
        let dsn = Dsn::parse("http://key1@127.0.0.1:9000/5")?;
        let transport = CapturingTransport::new();
        let session = Session::new(&dsn, REPLAY.into(), release, environment, transport.clone());
        Ok((session, transport))
    }

    fn meta() -> EventData {
        EventData::Meta {
            href: "http://127.0.0.1:9000/demo/".into(),
            width: 1280,
            height: 720,
            user_agent: "test".into(),
        }
    }

    #[test]
    fn a_flush_uploads_the_buffered_events_to_the_dsn_url() -> TestResult {
        let (mut session, transport) = session("shop@1.0.0", "")?;
        session.record(1_000, meta());
        session.record(
            1_000,
            EventData::FullSnapshot {
                root: Node::Document {
                    id: 1,
                    children: vec![],
                },
            },
        );
        session.record(
            1_400,
            EventData::MouseInteraction {
                interaction: MouseInteraction::Click,
                id: 1,
                x: 3,
                y: 4,
            },
        );
        assert_eq!(session.flush(Delivery::Background)?, 1);
        let uploads = transport.uploads();
        assert_eq!(uploads.len(), 1);
        assert_eq!(
            uploads[0].url,
            "http://127.0.0.1:9000/api/5/replay/?sentry_key=key1"
        );
        assert_eq!(uploads[0].delivery, Delivery::Background);
        let segment = decode_segment(&transport.segment_bytes()?[0])?;
        assert_eq!(segment.header.replay_id, REPLAY);
        assert_eq!(segment.header.project, 5);
        assert_eq!(segment.header.release, "shop@1.0.0");
        assert_eq!(segment.header.environment, DEFAULT_ENVIRONMENT);
        assert!(segment.header.contains_checkpoint());
        assert_eq!(segment.header.event_count, 3);
        assert_eq!(
            segment.timed_events().map(|(t, _)| t).collect::<Vec<_>>(),
            [1_000, 1_000, 1_400]
        );
        assert!(!session.has_pending());
        assert_eq!(session.flush(Delivery::Background)?, 0);
        assert_eq!(transport.uploads().len(), 1);
        Ok(())
    }

    #[test]
    fn errors_carry_their_event_id_and_the_release() -> TestResult {
        let (mut session, transport) = session("shop@2.0.0", "staging")?;
        let event_id = session.record_error(
            50,
            ErrorReport {
                error_type: "TypeError".into(),
                message: "boom".into(),
                stack: Some("TypeError: boom\n    at pay (http://x.example/cart.js:3:4)".into()),
                location: None,
            },
            "ab".repeat(16),
        );
        assert_eq!(event_id, "ab".repeat(16));
        session.flush(Delivery::Background)?;
        let segment = decode_segment(&transport.segment_bytes()?[0])?;
        assert!(segment.header.contains_error());
        assert_eq!(segment.header.environment, "staging");
        let EventData::JsError(error) = &segment.events[0].data else {
            return Err("expected a JS error event".into());
        };
        assert_eq!(error.event_id, event_id);
        assert_eq!(error.release, "shop@2.0.0");
        assert_eq!(error.frames[0].function, "pay");
        Ok(())
    }

    #[test]
    fn unload_flushes_split_into_beacon_sized_segments() -> TestResult {
        let (mut session, transport) = session("", "")?;
        for i in 0..400u32 {
            session.record(
                u64::from(i),
                EventData::Mutation(Mutation {
                    texts: vec![TextChange {
                        id: i,
                        text: "x".repeat(500),
                    }],
                    ..Mutation::default()
                }),
            );
        }
        let sent = session.flush(Delivery::Unload)?;
        assert!(sent >= 4, "{sent} segments");
        let bytes = transport.segment_bytes()?;
        let mut indexes = Vec::new();
        let mut events = 0;
        for segment in &bytes {
            assert!(segment.len() <= 64 * 1024, "{} bytes", segment.len());
            let decoded = decode_segment(segment)?;
            indexes.push(decoded.header.index);
            events += decoded.events.len();
        }
        assert_eq!(indexes, (0..u32::try_from(sent)?).collect::<Vec<_>>());
        assert_eq!(events, 400);
        assert!(
            transport
                .uploads()
                .iter()
                .all(|u| u.delivery == Delivery::Unload)
        );
        Ok(())
    }

    #[test]
    fn overlong_release_names_are_cut_to_the_header_limit() -> TestResult {
        let (mut session, transport) = session(&"r".repeat(500), "dev")?;
        session.record(1, meta());
        session.flush(Delivery::Background)?;
        let segment = decode_segment(&transport.segment_bytes()?[0])?;
        assert_eq!(
            segment.header.release.len(),
            sightline_protocol::limits::MAX_HEADER_STRING
        );
        Ok(())
    }
}
