//! The shop's side of the payments service (see [`crate::payments`]): `POST /api/authorize` over
//! HTTP, as one service calls another in production.
//!
//! The call is an `http.client` child span of the request's transaction, and the request carries
//! that span's `sentry-trace` header (from the `sentry` crate) and the browser's `baggage`, so
//! the payments service continues the same trace under this span and its error names the replay
//! the browser recorded.

use std::time::Duration;

use sentry::protocol::SpanStatus;
use serde_json::{Value, json};

/// How long the shop waits for the payments service (longer than any authorization timeout).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest answer of the payments service the shop reads.
pub const MAX_ANSWER_BYTES: u64 = 64 * 1024;

/// Longest error message of the payments service passed on to the shopper.
const MAX_MESSAGE_CHARS: usize = 200;

/// Why the payments service did not authorize a payment.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PaymentsError {
    /// The service answered with an error status.
    #[error("the payments service answered {status}: {message}")]
    Failed {
        /// The HTTP status.
        status: u16,
        /// What it said went wrong.
        message: String,
        /// The id of the error event the service reported, when it names one.
        event_id: Option<String>,
    },
    /// The service could not be reached or its answer not read.
    #[error("the payments service could not be reached: {0}")]
    Unreachable(String),
    /// The service answered 200 without an authorization reference.
    #[error("the payments service answered without an authorization: {0}")]
    Malformed(String),
}

/// The payments service at one base URL.
#[derive(Debug, Clone)]
pub struct PaymentsClient {
    base: String,
    agent: ureq::Agent,
}

impl PaymentsClient {
    /// The service at `base` (such as `http://127.0.0.1:8082`).
    pub fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .into();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            agent,
        }
    }

    /// The URL of the authorization endpoint.
    pub fn authorize_url(&self) -> String {
        format!("{}/api/authorize", self.base)
    }

    /// Asks the service to authorize `amount_cents`, passing on the browser's `baggage`;
    /// returns the authorization's reference.
    ///
    /// # Errors
    /// A [`PaymentsError`] when the service refuses, fails or cannot be reached.
    pub async fn authorize(
        &self,
        amount_cents: u64,
        baggage: Option<String>,
    ) -> Result<String, PaymentsError> {
        let url = self.authorize_url();
        let span = sentry::configure_scope(|scope| scope.get_span())
            .map(|parent| parent.start_child("http.client", &format!("POST {url}")));
        let mut headers: Vec<(&'static str, String)> = match &span {
            Some(span) => span.iter_headers().collect(),
            None => {
                sentry::configure_scope(|scope| scope.iter_trace_propagation_headers().collect())
            }
        };
        headers.extend(baggage.map(|baggage| ("baggage", baggage)));
        if let Some(span) = &span {
            span.set_data("http.request.method", "POST".into());
            span.set_data("url", url.clone().into());
        }
        let agent = self.agent.clone();
        let body = json!({ "amount_cents": amount_cents }).to_string();
        let answer = tokio::task::spawn_blocking(move || send(&agent, &url, &headers, &body))
            .await
            .map_err(|error| PaymentsError::Unreachable(error.to_string()))
            .and_then(|answer| answer);
        if let Some(span) = span {
            match &answer {
                Ok((status, _)) => {
                    span.set_data("http.response.status_code", (*status).into());
                    span.set_status(span_status(*status));
                }
                Err(_) => span.set_status(SpanStatus::Unavailable),
            }
            span.finish();
        }
        let (status, body) = answer?;
        if status != 200 {
            return Err(PaymentsError::Failed {
                status,
                message: body["error"]
                    .as_str()
                    .unwrap_or("no message")
                    .chars()
                    .take(MAX_MESSAGE_CHARS)
                    .collect(),
                event_id: body["event_id"]
                    .as_str()
                    .filter(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
                    .map(str::to_owned),
            });
        }
        body["reference"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| PaymentsError::Malformed(body.to_string()))
    }
}

/// POSTs `body` to `url` with `headers`; the status and the JSON answer (`null` when not JSON).
fn send(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(&'static str, String)],
    body: &str,
) -> Result<(u16, Value), PaymentsError> {
    let mut request = agent.post(url).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let mut response = request
        .send(body)
        .map_err(|error| PaymentsError::Unreachable(error.to_string()))?;
    let status = response.status().as_u16();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER_BYTES)
        .read_to_vec()
        .map_err(|error| PaymentsError::Unreachable(error.to_string()))?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// The span status of an HTTP answer, as Sentry's SDKs map them.
pub fn span_status(status: u16) -> SpanStatus {
    match status {
        200..=399 => SpanStatus::Ok,
        401 => SpanStatus::Unauthenticated,
        403 => SpanStatus::PermissionDenied,
        404 => SpanStatus::NotFound,
        409 => SpanStatus::AlreadyExists,
        429 => SpanStatus::ResourceExhausted,
        501 => SpanStatus::Unimplemented,
        503 => SpanStatus::Unavailable,
        504 => SpanStatus::DeadlineExceeded,
        400..=499 => SpanStatus::InvalidArgument,
        _ => SpanStatus::InternalError,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_statuses_map_to_span_statuses() {
        assert_eq!(span_status(200), SpanStatus::Ok);
        assert_eq!(span_status(504), SpanStatus::DeadlineExceeded);
        assert_eq!(span_status(500), SpanStatus::InternalError);
        assert_eq!(span_status(422), SpanStatus::InvalidArgument);
    }

    #[tokio::test]
    async fn an_unreachable_service_is_an_error() {
        // Port 9 (discard) is closed on loopback.
        let client = PaymentsClient::new("http://127.0.0.1:9/");
        assert_eq!(client.authorize_url(), "http://127.0.0.1:9/api/authorize");
        let outcome = client.authorize(100, None).await;
        assert!(
            matches!(outcome, Err(PaymentsError::Unreachable(_))),
            "{outcome:?}"
        );
    }
}
