//! One recording session: a replay id, the buffered events and where they are uploaded.
//!
//! The browser glue feeds the session with timed events and asks it to flush; everything that does
//! not need a DOM happens here and is tested natively with a
//! [`CapturingTransport`](crate::transport::CapturingTransport): segment numbering (continued
//! across page loads through the [`TabSession`]), size limits, early uploads of large segments,
//! [buffer mode](crate::buffer) and its release on the first error or failed request, and
//! reporting what the transport dropped.

use sightline_protocol::EncodeError;
use sightline_protocol::v1::EventData;

use crate::buffer::{BUFFER_WINDOW_MS, Buffer};
use crate::dsn::Dsn;
use crate::error_report::ErrorReport;
use crate::event_size::estimated_size;
use crate::network::is_failure;
use crate::outbox::DROPPED_TAG;
use crate::sampling::Sampling;
use crate::segmenter::{ReplayInfo, Segmenter};
use crate::tab_session::TabSession;
use crate::transport::{Delivery, Transport, Upload};

/// Largest uncompressed body of a background upload; it deflates to a small fraction.
pub const MAX_BACKGROUND_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Largest uncompressed body sent when the page goes away: `sendBeacon` and `keepalive` requests
/// share a 64 KiB budget, and the header needs a little room too.
pub const MAX_UNLOAD_BODY_BYTES: usize = 60 * 1024;

/// Estimated uncompressed bytes ([`estimated_size`]) after which buffered events are uploaded at
/// once rather than at the next 5-second tick. Masked DOM deflates at least 4:1, so the compressed
/// segment stays within the 60 KiB that `keepalive` allows; estimating costs a walk over the
/// event's strings, where compressing to measure would cost a compression.
pub const EARLY_UPLOAD_BYTES: usize = 240 * 1024;

/// The environment used when the page does not name one.
pub const DEFAULT_ENVIRONMENT: &str = "production";

/// Whether `data` is the user doing something: it keeps a replay from going idle, and starts a
/// new replay after one expired.
pub fn is_activity(data: &EventData) -> bool {
    matches!(
        data,
        EventData::MouseInteraction { .. }
            | EventData::Input(_)
            | EventData::Scroll { .. }
            | EventData::MouseMove(_)
            | EventData::Navigation { .. }
    )
}

/// Whether `data` makes buffer mode upload what it kept: a JS error or a failed request.
pub fn is_error_trigger(data: &EventData) -> bool {
    match data {
        EventData::JsError(_) => true,
        EventData::NetworkRequest(request) => is_failure(request.status),
        _ => false,
    }
}

/// A running recording.
#[derive(Debug)]
pub struct Session<T> {
    segmenter: Segmenter,
    upload_url: String,
    transport: T,
    tab: TabSession,
    /// The kept segments in buffer mode; `None` when recording in full (or not at all).
    buffer: Option<Buffer>,
    /// [`estimated_size`] of the events buffered in the segmenter.
    pending_bytes: usize,
    /// When the latest full snapshot was recorded.
    last_checkpoint: Option<u64>,
}

impl<T: Transport> Session<T> {
    /// Starts (or, after a page load, continues) the replay of `tab` that uploads to `dsn`
    /// through `transport`. An empty `environment` becomes [`DEFAULT_ENVIRONMENT`]; release and
    /// environment are cut to the header's limit.
    pub fn new(dsn: &Dsn, tab: TabSession, release: &str, environment: &str, transport: T) -> Self {
        use sightline_protocol::limits::MAX_HEADER_STRING;
        let environment = match environment.trim() {
            "" => DEFAULT_ENVIRONMENT,
            name => name,
        };
        let info = ReplayInfo {
            replay_id: tab.replay_id.clone(),
            project: dsn.project_id,
            release: crate::stack::truncate(release.trim(), MAX_HEADER_STRING).to_owned(),
            environment: crate::stack::truncate(environment, MAX_HEADER_STRING).to_owned(),
        };
        let mut segmenter = Segmenter::new(info);
        segmenter.set_next_index(tab.next_index);
        Self {
            segmenter,
            upload_url: dsn.upload_url(),
            transport,
            buffer: (tab.sampling == Sampling::Buffer).then(Buffer::new),
            tab,
            pending_bytes: 0,
            last_checkpoint: None,
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

    /// The tab's replay as it should be stored for the next page load.
    pub fn tab(&self) -> &TabSession {
        &self.tab
    }

    /// How this replay is recorded.
    pub fn sampling(&self) -> Sampling {
        self.tab.sampling
    }

    /// Whether the replay is over at `now` (idle or too old): events are dropped until
    /// [`Session::renew`] starts the next one.
    pub fn is_expired(&self, now: u64) -> bool {
        self.tab.is_expired(now)
    }

    /// Whether buffer mode wants a checkpoint at `now`, so that its windows stay
    /// [`BUFFER_WINDOW_MS`] long and its bytes bounded.
    pub fn checkpoint_due(&self, now: u64) -> bool {
        let Some(buffer) = &self.buffer else {
            return false;
        };
        buffer.over_budget()
            || self
                .last_checkpoint
                .is_none_or(|at| now.saturating_sub(at) >= BUFFER_WINDOW_MS)
    }

    /// Whether events wait for the next flush.
    pub fn has_pending(&self) -> bool {
        self.segmenter.has_pending()
    }

    /// Ends the current replay (what is buffered is uploaded first, when recording in full) and
    /// starts `tab`'s: segments from index 0, sampled as `tab` says. The caller records the new
    /// replay's meta and full snapshot next.
    pub fn renew(&mut self, tab: TabSession) {
        if self.buffer.is_none() {
            let _ = self.flush(Delivery::Background);
        }
        self.segmenter.renew(tab.replay_id.clone());
        self.segmenter.set_next_index(tab.next_index);
        self.buffer = (tab.sampling == Sampling::Buffer).then(Buffer::new);
        self.tab = tab;
        self.pending_bytes = 0;
        self.last_checkpoint = None;
    }

    /// Records an event that happened at `time` (ms since epoch). Nothing is recorded when the
    /// session is not sampled or the replay expired. In buffer mode a JS error or a failed
    /// request uploads what was kept and turns the session into a full recording.
    pub fn record(&mut self, time: u64, data: EventData) {
        if !self.tab.sampling.records() || self.tab.is_expired(time) {
            return;
        }
        if is_activity(&data) {
            self.tab.touch(time);
        }
        if matches!(data, EventData::FullSnapshot { .. }) {
            self.last_checkpoint = Some(time);
            if self.buffer.is_some() {
                self.keep_in_buffer(true);
            }
        }
        let trigger = is_error_trigger(&data);
        self.pending_bytes += estimated_size(&data);
        self.segmenter.push(time, data);
        if self.buffer.is_some() {
            if trigger {
                self.release_buffer();
            } else if self.pending_bytes >= EARLY_UPLOAD_BYTES {
                self.keep_in_buffer(false);
            }
        } else if self.pending_bytes >= EARLY_UPLOAD_BYTES {
            // An encoding failure drops the events; the next flush reports it.
            let _ = self.flush(Delivery::Background);
        }
    }

    /// Records an error at `time` under `event_id` (32 hex), tagged with the session's release,
    /// and returns the event id.
    pub fn record_error(&mut self, time: u64, report: ErrorReport, event_id: String) -> String {
        let error = report.into_js_error(event_id, &self.segmenter.info().release);
        let event_id = error.event_id.clone();
        self.record(time, EventData::JsError(error));
        event_id
    }

    /// Moves the buffered events into buffer mode's memory as segments (before a checkpoint, a
    /// trailing meta event stays for the checkpoint's segment).
    fn keep_in_buffer(&mut self, before_checkpoint: bool) {
        let segments = if before_checkpoint {
            self.segmenter
                .cut_before_checkpoint(MAX_BACKGROUND_BODY_BYTES)
        } else {
            self.segmenter.cut(MAX_BACKGROUND_BODY_BYTES)
        };
        self.pending_bytes = 0;
        if let (Ok(segments), Some(buffer)) = (segments, &mut self.buffer) {
            for segment in segments {
                buffer.push(segment);
            }
        }
    }

    /// Uploads what buffer mode kept, numbered from the tab's next index, and records in full
    /// from now on.
    fn release_buffer(&mut self) {
        let Some(mut buffer) = self.buffer.take() else {
            return;
        };
        self.tab.sampling = Sampling::Session;
        let mut index = self.tab.next_index;
        for mut segment in buffer.take() {
            segment.header.index = index;
            index += 1;
            self.send(segment, Delivery::Background);
        }
        self.segmenter.set_next_index(index);
        self.tab.next_index = index;
        let _ = self.flush(Delivery::Background);
    }

    fn send(&mut self, segment: crate::segmenter::Segment, delivery: Delivery) {
        self.transport.send(Upload {
            url: self.upload_url.clone(),
            segment,
            delivery,
        });
    }

    /// Cuts every buffered event into segments and hands them to the transport; returns how many
    /// segments were sent. What the transport reported dropped is recorded first, as a
    /// `sightline.dropped` custom event. In buffer mode the events are kept in memory instead
    /// and nothing is sent.
    ///
    /// # Errors
    /// [`EncodeError`] if the events could not be encoded (they are dropped).
    pub fn flush(&mut self, delivery: Delivery) -> Result<usize, EncodeError> {
        if self.buffer.is_some() {
            self.keep_in_buffer(false);
            return Ok(0);
        }
        if !self.tab.sampling.records() {
            return Ok(0);
        }
        if let Some(dropped) = self.transport.take_dropped() {
            let time = self.segmenter.last_time();
            self.segmenter.push(
                time,
                EventData::Custom {
                    tag: DROPPED_TAG.to_owned(),
                    payload: dropped.to_json(),
                },
            );
        }
        let max_body = match delivery {
            Delivery::Background => MAX_BACKGROUND_BODY_BYTES,
            Delivery::Unload => MAX_UNLOAD_BODY_BYTES,
        };
        self.pending_bytes = 0;
        let segments = self.segmenter.cut(max_body);
        self.tab.next_index = self.segmenter.next_index();
        let segments = segments?;
        let count = segments.len();
        for segment in segments {
            self.send(segment, delivery);
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
        let tab = TabSession::new(REPLAY.into(), 0, Sampling::Session);
        let session = Session::new(&dsn, tab, release, environment, transport.clone());
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

    fn snapshot() -> EventData {
        EventData::FullSnapshot {
            root: Node::Document {
                id: 1,
                children: vec![],
            },
        }
    }

    fn click(id: u32) -> EventData {
        EventData::MouseInteraction {
            interaction: MouseInteraction::Click,
            id,
            x: 1,
            y: 2,
        }
    }

    fn tab_session(
        tab: TabSession,
    ) -> Result<(Session<CapturingTransport>, CapturingTransport), Box<dyn std::error::Error>> {
        let dsn = Dsn::parse("http://key1@127.0.0.1:9000/5")?;
        let transport = CapturingTransport::new();
        Ok((
            Session::new(&dsn, tab, "", "", transport.clone()),
            transport,
        ))
    }

    /// An uploaded segment decoded: index, first event time, events.
    type Uploaded = (u32, u64, Vec<EventData>);

    /// Every uploaded segment decoded.
    fn uploaded(
        transport: &CapturingTransport,
    ) -> Result<Vec<Uploaded>, Box<dyn std::error::Error>> {
        let mut out = Vec::new();
        for bytes in transport.segment_bytes()? {
            let segment = decode_segment(&bytes)?;
            let events = segment.events.iter().map(|e| e.data.clone()).collect();
            out.push((segment.header.index, segment.header.start, events));
        }
        Ok(out)
    }

    const T0: u64 = 1_700_000_000_000;

    #[test]
    fn a_continued_replay_numbers_its_segments_after_the_previous_page() -> TestResult {
        let mut tab = TabSession::new(REPLAY.into(), T0, Sampling::Session);
        tab.next_index = 7;
        let (mut session, transport) = tab_session(tab)?;
        session.record(T0 + 10, meta());
        session.record(T0 + 10, snapshot());
        session.flush(Delivery::Background)?;
        session.record(T0 + 20, click(1));
        session.flush(Delivery::Unload)?;
        let indexes: Vec<u32> = uploaded(&transport)?.iter().map(|u| u.0).collect();
        assert_eq!(indexes, [7, 8]);
        // What the next page load reads back.
        let stored = TabSession::parse(&session.tab().encode()).ok_or("stored")?;
        assert_eq!((stored.next_index, stored.last_activity_at), (9, T0 + 20));
        Ok(())
    }

    #[test]
    fn an_unsampled_session_sends_nothing() -> TestResult {
        let (mut session, transport) =
            tab_session(TabSession::new(REPLAY.into(), T0, Sampling::Off))?;
        session.record(T0, meta());
        session.record(T0, snapshot());
        session.record_error(T0 + 1, ErrorReport::default(), "ab".repeat(16));
        assert_eq!(session.flush(Delivery::Background)?, 0);
        assert_eq!(session.flush(Delivery::Unload)?, 0);
        assert!(transport.uploads().is_empty());
        Ok(())
    }

    #[test]
    fn buffer_mode_uploads_the_last_two_windows_on_error_then_records_in_full() -> TestResult {
        let (mut session, transport) =
            tab_session(TabSession::new(REPLAY.into(), T0, Sampling::Buffer))?;
        // Two minutes: a click every second, a 5 s tick, a checkpoint whenever one is due.
        for second in 0..120u64 {
            let now = T0 + second * 1_000;
            if session.checkpoint_due(now) {
                session.record(now, meta());
                session.record(now, snapshot());
            }
            session.record(now, click(u32::try_from(second)?));
            if second % 5 == 4 {
                session.flush(Delivery::Background)?;
            }
        }
        session.flush(Delivery::Unload)?;
        assert!(transport.uploads().is_empty(), "buffer mode sends nothing");
        session.record_error(T0 + 120_000, ErrorReport::default(), "ab".repeat(16));
        let segments = uploaded(&transport)?;
        let indexes: Vec<u32> = segments.iter().map(|u| u.0).collect();
        assert_eq!(
            indexes,
            (0..u32::try_from(segments.len())?).collect::<Vec<_>>()
        );
        // The oldest kept window starts at its checkpoint, 30 to 60 s before the error.
        let (_, start, first) = &segments[0];
        assert!(matches!(
            first[..],
            [EventData::Meta { .. }, EventData::FullSnapshot { .. }, ..]
        ));
        let context = T0 + 120_000 - start;
        assert!(
            (30_000..=60_000).contains(&context),
            "{context} ms of context"
        );
        let last = &segments[segments.len() - 1].2;
        assert!(matches!(last.last(), Some(EventData::JsError(_))));
        // From now on everything is uploaded, and the next page load records in full too.
        assert_eq!(session.sampling(), Sampling::Session);
        assert_eq!(session.tab().next_index, u32::try_from(segments.len())?);
        session.record(T0 + 121_000, click(999));
        assert_eq!(session.flush(Delivery::Background)?, 1);
        Ok(())
    }

    #[test]
    fn a_failed_request_releases_the_buffer_but_a_successful_one_does_not() -> TestResult {
        use sightline_protocol::v1::NetworkRequest;
        let request = |status| {
            EventData::NetworkRequest(NetworkRequest {
                method: "POST".into(),
                url: "http://127.0.0.1:9000/api/checkout".into(),
                status,
                duration: 30,
                trace_id: String::new(),
                span_id: String::new(),
                response_size: None,
            })
        };
        let (mut session, transport) =
            tab_session(TabSession::new(REPLAY.into(), T0, Sampling::Buffer))?;
        session.record(T0, meta());
        session.record(T0, snapshot());
        session.record(T0 + 5, request(200));
        session.record(T0 + 6, request(404));
        assert!(transport.uploads().is_empty());
        session.record(T0 + 7, request(502));
        let events: usize = uploaded(&transport)?.iter().map(|u| u.2.len()).sum();
        assert_eq!(events, 5);
        Ok(())
    }

    #[test]
    fn large_pending_segments_are_uploaded_before_the_tick() -> TestResult {
        let (mut session, transport) =
            tab_session(TabSession::new(REPLAY.into(), T0, Sampling::Session))?;
        let mut recorded = 0;
        while transport.uploads().is_empty() {
            session.record(
                T0 + recorded,
                EventData::Mutation(Mutation {
                    texts: vec![TextChange {
                        id: 3,
                        text: "x".repeat(1_000),
                    }],
                    ..Mutation::default()
                }),
            );
            recorded += 1;
            assert!(recorded < 1_000, "never uploaded early");
        }
        let body = transport.uploads()[0].segment.body.len();
        // Uploaded by the event that crossed the threshold.
        assert!(body <= EARLY_UPLOAD_BYTES + 1_100, "{body} bytes");
        assert!(body > EARLY_UPLOAD_BYTES / 2, "{body} bytes");
        Ok(())
    }

    #[test]
    fn what_the_transport_dropped_is_said_in_the_next_segment() -> TestResult {
        let (mut session, transport) =
            tab_session(TabSession::new(REPLAY.into(), T0, Sampling::Session))?;
        session.record(T0, click(1));
        transport.report_dropped(crate::outbox::Dropped {
            overflow_segments: 2,
            events: 40,
            ..Default::default()
        });
        session.flush(Delivery::Background)?;
        let segments = uploaded(&transport)?;
        let Some(EventData::Custom { tag, payload }) = segments[0].2.last() else {
            return Err("expected a custom event".into());
        };
        assert_eq!(tag, DROPPED_TAG);
        assert!(payload.contains("\"overflow_segments\":2"), "{payload}");
        Ok(())
    }

    #[test]
    fn an_expired_replay_records_nothing_until_renewed() -> TestResult {
        use crate::tab_session::IDLE_TIMEOUT_MS;
        let (mut session, transport) =
            tab_session(TabSession::new(REPLAY.into(), T0, Sampling::Session))?;
        session.record(T0, click(1));
        let later = T0 + IDLE_TIMEOUT_MS;
        assert!(session.is_expired(later));
        session.record(later, click(2));
        session.flush(Delivery::Background)?;
        let next = "ff".repeat(16);
        session.renew(TabSession::new(next.clone(), later, Sampling::Session));
        session.record(later, meta());
        session.record(later, snapshot());
        session.record(later + 1, click(3));
        session.flush(Delivery::Background)?;
        let replays: Vec<(String, u32, usize)> = transport
            .segment_bytes()?
            .iter()
            .map(|bytes| {
                decode_segment(bytes).map(|s| (s.header.replay_id, s.header.index, s.events.len()))
            })
            .collect::<Result<_, _>>()?;
        assert_eq!(replays, [(REPLAY.to_owned(), 0, 1), (next, 0, 3)]);
        Ok(())
    }
}
