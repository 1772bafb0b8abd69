//! Alert delivery: JSON webhooks from the alert outbox, with retries.
//!
//! Alerts are written to the store in the transaction that stored the event which fired them
//! (see [`crate::store::alerts`]); this module's background task (started by
//! [`app`](crate::app) next to the inbox processor) POSTs each pending alert's payload to its
//! rule's webhook URL. A 2xx answer delivers it; anything else (an error status, a refused
//! connection, no answer within [`TIMEOUT`]) is retried after the next delay of [`BACKOFF`],
//! and after [`MAX_ATTEMPTS`] the alert is marked failed. Delivery state survives restarts:
//! a pending alert is retried by whichever server runs next.
//!
//! The body (`content-type: application/json`, header `x-sightline-alert: {id}`):
//!
//! ```json
//! {"id": "3", "rule": {"id": "1", "name": "checkout spike", "condition": "spike"},
//!  "project": "1",
//!  "issue": {"id": "12", "title": "TimeoutError: payment timed out",
//!            "culprit": "shop.payment in charge", "level": "error", "status": "unresolved",
//!            "count": 11, "first_seen": "2026-11-26T06:08:56.123Z",
//!            "last_seen": "2026-11-26T06:09:30.000Z", "first_release": "shop@1.4.2",
//!            "last_release": "shop@1.4.2", "owner": "#payments",
//!            "url": "http://127.0.0.1:8080/issues/12"},
//!  "trigger": {"event_id": "…", "environment": "production", "release": "shop@1.4.2",
//!              "count_in_window": 11, "window_minutes": 5, "threshold": 10},
//!  "fired_at": "2026-11-26T06:09:30.120Z"}
//! ```
//!
//! `count_in_window`, `window_minutes` and `threshold` are sent for spike rules only.

use std::time::Duration;

use serde_json::Value;

use crate::AppState;
use crate::ingest::now_ms;
use crate::store::alerts::{DeliveryOutcome, PendingDelivery};
use crate::store::{Store, StoreError};

/// Delays before the retries of a failed delivery: the first retry 1 s after the first
/// attempt, then 5 s, 30 s, 2 min and 10 min.
pub const BACKOFF: [Duration; 5] = [
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(2 * 60),
    Duration::from_secs(10 * 60),
];

/// Attempts before an alert is marked failed: the first one and one per [`BACKOFF`] delay.
pub const MAX_ATTEMPTS: u32 = 1 + BACKOFF.len() as u32;

/// How long one webhook call may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How often an idle delivery task looks for due alerts even without being woken.
pub const IDLE_POLL: Duration = Duration::from_secs(1);

/// Alerts fetched per pass.
const BATCH: usize = 64;

/// Webhook calls made at once, so one slow or dead receiver does not hold up the others.
pub const CONCURRENT_DELIVERIES: usize = 8;

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Alerts the webhook accepted.
    pub delivered: usize,
    /// Attempts that failed and will be retried.
    pub retried: usize,
    /// Alerts that failed for good.
    pub failed: usize,
}

/// The HTTP client webhooks are sent with: [`TIMEOUT`], no redirects, error statuses as
/// answers rather than errors.
pub fn client() -> ureq::Agent {
    client_with_timeout(TIMEOUT)
}

fn client_with_timeout(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(concat!("sightline-webhook/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Attempts every alert that is due now, once each, up to [`CONCURRENT_DELIVERIES`] at a
/// time; blocking.
///
/// `viewer_base` (`http://host:port`) turns the payload's relative issue link into an
/// absolute one.
///
/// # Errors
/// The first [`StoreError`]; attempts recorded before it stay recorded.
pub fn deliver_due(
    store: &dyn Store,
    client: &ureq::Agent,
    viewer_base: &str,
) -> Result<DeliveryReport, StoreError> {
    let due = store.due_alerts(now_ms(), BATCH)?;
    let lanes = CONCURRENT_DELIVERIES.min(due.len());
    let reports: Vec<Result<DeliveryReport, StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..lanes)
            .map(|lane| {
                let mine: Vec<&PendingDelivery> = due.iter().skip(lane).step_by(lanes).collect();
                scope.spawn(move || deliver_each(store, client, viewer_base, &mine))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(StoreError::Corrupt(
                        "a webhook delivery thread panicked".into(),
                    ))
                })
            })
            .collect()
    });
    let mut total = DeliveryReport::default();
    for report in reports {
        let report = report?;
        total.delivered += report.delivered;
        total.retried += report.retried;
        total.failed += report.failed;
    }
    Ok(total)
}

/// Attempts `deliveries` one after the other, recording each outcome.
fn deliver_each(
    store: &dyn Store,
    client: &ureq::Agent,
    viewer_base: &str,
    deliveries: &[&PendingDelivery],
) -> Result<DeliveryReport, StoreError> {
    let mut report = DeliveryReport::default();
    for delivery in deliveries {
        let outcome = attempt(client, delivery, viewer_base);
        match &outcome {
            DeliveryOutcome::Delivered { .. } => report.delivered += 1,
            DeliveryOutcome::Retry { error, .. } => {
                tracing::warn!(alert = delivery.alert_id, %error, "webhook failed; will retry");
                report.retried += 1;
            }
            DeliveryOutcome::Failed { error } => {
                tracing::error!(alert = delivery.alert_id, %error, "webhook failed for good");
                report.failed += 1;
            }
        }
        store.record_delivery(delivery.alert_id, &outcome)?;
    }
    Ok(report)
}

/// One POST of one alert, and what it means for the alert.
fn attempt(client: &ureq::Agent, delivery: &PendingDelivery, viewer_base: &str) -> DeliveryOutcome {
    let body = absolute_links(&delivery.payload, viewer_base);
    let result = client
        .post(&delivery.webhook_url)
        .header("content-type", "application/json")
        .header("x-sightline-alert", delivery.alert_id.to_string())
        .send(body.as_bytes());
    let error = match result {
        Ok(response) if response.status().is_success() => {
            return DeliveryOutcome::Delivered { at_ms: now_ms() };
        }
        Ok(response) => format!("the webhook answered HTTP {}", response.status().as_u16()),
        Err(error) => format!("the webhook could not be reached: {error}"),
    };
    let attempts = delivery.attempts.saturating_add(1);
    match usize::try_from(attempts - 1)
        .ok()
        .and_then(|index| BACKOFF.get(index))
    {
        Some(delay) if attempts < MAX_ATTEMPTS => DeliveryOutcome::Retry {
            error,
            next_attempt_ms: now_ms()
                .saturating_add(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
        },
        _ => DeliveryOutcome::Failed {
            error: format!("{error} (gave up after {attempts} attempts)"),
        },
    }
}

/// The payload with `issue.url` made absolute under `viewer_base`.
fn absolute_links(payload: &str, viewer_base: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(payload) else {
        return payload.to_owned();
    };
    if let Some(url) = value.pointer_mut("/issue/url")
        && let Some(path) = url.as_str().filter(|path| path.starts_with('/'))
    {
        *url = Value::String(format!("{}{path}", viewer_base.trim_end_matches('/')));
    }
    value.to_string()
}

/// Runs deliveries until the runtime shuts down: a pass over the due alerts, then sleep until
/// an alert is written ([`AppState::wake_alert_delivery`]), the next retry is due, or
/// [`IDLE_POLL`] passes.
pub(crate) fn spawn(state: AppState) {
    tokio::spawn(async move {
        let client = client();
        loop {
            let viewer_base = format!("http://{}", state.public_host());
            let agent = client.clone();
            let result = state
                .blocking(move |store| deliver_due(store, &agent, &viewer_base).map_err(Into::into))
                .await;
            match result {
                Ok(report) if report != DeliveryReport::default() => tracing::info!(
                    delivered = report.delivered,
                    retried = report.retried,
                    failed = report.failed,
                    "delivered alerts"
                ),
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "delivering alerts failed; will retry"),
            }
            let next_due = state
                .run_store(|store| store.next_alert_due())
                .await
                .ok()
                .flatten();
            let wait = next_due.map_or(IDLE_POLL, |due| {
                Duration::from_millis(due.saturating_sub(now_ms())).min(IDLE_POLL)
            });
            tokio::select! {
                () = state.alert_signal().notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn issue_links_become_absolute() {
        let payload = r#"{"issue":{"id":"7","url":"/issues/7"}}"#;
        let body: Value =
            serde_json::from_str(&absolute_links(payload, "http://127.0.0.1:8080/")).unwrap();
        assert_eq!(body["issue"]["url"], "http://127.0.0.1:8080/issues/7");
        assert_eq!(absolute_links("not json", "http://x"), "not json");
    }

    #[test]
    fn a_receiver_that_never_answers_times_out_and_is_retried() {
        // The kernel accepts the connection into the backlog; nobody ever answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let delivery = PendingDelivery {
            alert_id: 1,
            webhook_url: format!("http://{}/hook", listener.local_addr().unwrap()),
            payload: "{}".into(),
            attempts: 0,
        };
        let client = client_with_timeout(Duration::from_millis(200));
        match attempt(&client, &delivery, "http://x") {
            DeliveryOutcome::Retry { error, .. } => {
                assert!(error.contains("could not be reached"), "{error}");
            }
            other => panic!("expected a retry, got {other:?}"),
        }
        drop(listener);
    }

    #[test]
    fn a_refused_connection_is_retried_then_given_up() {
        // A port that was just free: nothing listens there, so connecting is refused.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        drop(listener);
        let mut delivery = PendingDelivery {
            alert_id: 1,
            webhook_url: url,
            payload: "{}".into(),
            attempts: 0,
        };
        let before = now_ms();
        match attempt(&client(), &delivery, "http://x") {
            DeliveryOutcome::Retry {
                error,
                next_attempt_ms,
            } => {
                assert!(error.contains("could not be reached"), "{error}");
                assert!(next_attempt_ms >= before + 1_000);
            }
            other => panic!("expected a retry, got {other:?}"),
        }
        delivery.attempts = MAX_ATTEMPTS - 1;
        match attempt(&client(), &delivery, "http://x") {
            DeliveryOutcome::Failed { error } => assert!(error.contains("gave up after 6")),
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}
