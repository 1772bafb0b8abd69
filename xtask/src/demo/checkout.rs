//! The recorded demo session, and its failing checkout sent to the real shop: the recorded network
//! request's trace headers go to `POST /api/checkout`; the shop passes the trace on to the
//! payments service, whose `sentry` crate reports the timeout to Sightline in that trace, which
//! links it to the recorded replay.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde_json::Value;
use sightline_protocol::v1::EventData;
use sightline_protocol::{decode_segment, encode_segment};

/// The recorded session, as uploaded.
pub struct SeededSession {
    /// How many segments were uploaded.
    pub segments: usize,
    /// The session's traced checkout request, when it has one.
    pub checkout: Option<RecordedCheckout>,
}

/// A checkout request recorded with the trace headers the recorder sent.
pub struct RecordedCheckout {
    replay_id: String,
    release: String,
    environment: String,
    trace_id: String,
    span_id: String,
}

impl RecordedCheckout {
    /// The trace the recorder started for the checkout request.
    pub fn trace_id(&self) -> &str {
        &self.trace_id
    }
}

/// How long the demo waits for the shop's event to be linked.
const LINK_TIMEOUT: Duration = Duration::from_secs(30);

/// Uploads the session's segments in `dir` through the real ingest endpoint and finds its traced
/// checkout request.
///
/// The session is moved in time so that its checkout request starts now, just before the demo
/// sends it to the shop: the trace's waterfall then shows the browser's request around the
/// backend's spans, as it was live, instead of hours before them. (Without a checkout, the
/// session ends now.)
///
/// # Errors
/// When a segment cannot be read, decoded, encoded or uploaded.
pub fn seed_recorded_session(base: &str, dsn: &str, dir: &Path) -> Result<SeededSession> {
    let key = public_key(dsn)?;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "bin"))
        .collect();
    files.sort();
    let mut segments = Vec::with_capacity(files.len());
    for file in &files {
        let bytes = std::fs::read(file)?;
        let segment =
            decode_segment(&bytes).with_context(|| format!("decoding {}", file.display()))?;
        segments.push((file, segment));
    }
    let mut checkout = None;
    let mut checkout_start = None;
    for (_, segment) in &segments {
        if checkout.is_some() {
            break;
        }
        for (time_ms, event) in segment.timed_events() {
            if let EventData::NetworkRequest(request) = &event.data
                && request.method == "POST"
                && request.url.ends_with("/api/checkout")
                && !request.trace_id.is_empty()
                && !request.span_id.is_empty()
            {
                checkout = Some(RecordedCheckout {
                    replay_id: segment.header.replay_id.clone(),
                    release: segment.header.release.clone(),
                    environment: segment.header.environment.clone(),
                    trace_id: request.trace_id.clone(),
                    span_id: request.span_id.clone(),
                });
                checkout_start = Some(time_ms.saturating_sub(u64::from(request.duration)));
                break;
            }
        }
    }
    let recorded_end = segments
        .iter()
        .map(|(_, segment)| segment.header.end)
        .max()
        .unwrap_or(0);
    let now_ms = u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the clock is before 1970")?
            .as_millis(),
    )
    .context("the clock is out of range")?;
    let shift = now_ms.saturating_sub(checkout_start.unwrap_or(recorded_end));
    for (file, mut segment) in segments {
        segment.header.start = segment.header.start.saturating_add(shift);
        segment.header.end = segment.header.end.saturating_add(shift);
        let bytes = encode_segment(&segment.header, &segment.events, segment.header.compression)
            .with_context(|| format!("re-encoding {}", file.display()))?;
        ureq::post(&format!("{base}/api/1/replay/?sentry_key={key}"))
            .send(&bytes[..])
            .with_context(|| format!("uploading {}", file.display()))?;
    }
    Ok(SeededSession {
        segments: files.len(),
        checkout,
    })
}

/// Sends the recorded checkout to the shop with the headers the recorder sent; returns the id of
/// the error event its 500 names (reported by the payments service).
///
/// # Errors
/// When the shop does not answer with a 500 naming its event.
pub fn replay_checkout(shop: &str, recorded: &RecordedCheckout, dsn: &str) -> Result<String> {
    let RecordedCheckout {
        replay_id,
        release,
        environment,
        trace_id,
        span_id,
    } = recorded;
    let baggage = format!(
        "sentry-trace_id={trace_id},sentry-replay_id={replay_id},sentry-release={},\
         sentry-environment={},sentry-public_key={}",
        percent_encode(release),
        percent_encode(environment),
        public_key(dsn)?,
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut response = agent
        .post(&format!("{shop}/api/checkout"))
        .header("content-type", "application/json")
        .header("sentry-trace", &format!("{trace_id}-{span_id}-1"))
        .header("baggage", &baggage)
        .header("traceparent", &format!("00-{trace_id}-{span_id}-01"))
        .send(r#"{"items":[1,3]}"#)
        .context("sending the recorded checkout to the shop")?;
    let status = response.status().as_u16();
    let body: Value = response.body_mut().read_json().unwrap_or(Value::Null);
    match body["event_id"].as_str() {
        Some(id) if status == 500 => Ok(id.to_owned()),
        _ => bail!("the shop answered the recorded checkout with {status} {body}"),
    }
}

/// Waits until Sightline has stored `event_id` linked to a replay; returns the event.
///
/// # Errors
/// When it is not linked within [`LINK_TIMEOUT`].
pub fn wait_for_link(base: &str, token: &str, event_id: &str) -> Result<Value> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let started = Instant::now();
    loop {
        let mut response = agent
            .get(&format!("{base}/api/0/events/{event_id}/"))
            .header("Authorization", &format!("Bearer {token}"))
            .call()?;
        if response.status() == 200 {
            let event: Value = response.body_mut().read_json()?;
            if event["replay_id"].is_string() {
                return Ok(event);
            }
        }
        if started.elapsed() > LINK_TIMEOUT {
            bail!("event {event_id} was not linked to a replay within {LINK_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Checks out a cart at the shop on `shop_base`; returns the payment reference.
///
/// # Errors
/// When the shop does not answer or the payment fails.
pub fn pay_once(shop_base: &str) -> Result<String> {
    let mut response = ureq::post(&format!("{shop_base}/api/checkout"))
        .header("content-type", "application/json")
        .send(r#"{"items":[1,3]}"#)?;
    let body: Value = response.body_mut().read_json()?;
    body["payment_reference"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("checkout did not pay: {body}"))
}

fn public_key(dsn: &str) -> Result<&str> {
    dsn.split("://")
        .nth(1)
        .and_then(|rest| rest.split_once('@'))
        .map(|(key, _)| key)
        .context("DSN without a public key")
}

/// `text` as a baggage value (RFC 3986 unreserved characters kept).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
