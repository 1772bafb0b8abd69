//! The payments service: the second backend of the demo, called by the shop's checkout over
//! HTTP (see [`crate::payments_client`]), instrumented with the official `sentry` crate like the
//! shop.
//!
//! `POST /api/authorize` with `{"amount_cents": N}` asks the payment provider to authorize the
//! amount ([`payment::authorize`]). In release `shop@1.4.2` that times out: this service reports
//! the `ProviderTimeout` error to Sentry (here: Sightline) with its own stack, the one where the
//! timeout was noticed in `src/payment.rs`, and answers 504 naming the event; the shop then
//! answers the browser with a 500. The request runs inside `sentry-tower`'s layers, so its
//! transaction continues the shop's trace from the `sentry-trace` and `baggage` headers, under
//! the shop's outgoing `http.client` span.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use sentry::integrations::tower::{NewSentryLayer, SentryHttpLayer};
use sentry::protocol::SpanStatus;
use serde::Deserialize;
use serde_json::json;

use crate::payment::{self, PaymentError};

/// What the shop sends.
#[derive(Debug, Deserialize)]
pub struct AuthorizeRequest {
    /// The amount to authorize, in cents.
    pub amount_cents: u64,
}

/// How this release of the payments service authorizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentsSettings {
    /// How long to wait for the payment provider.
    pub authorization_timeout: Duration,
}

impl PaymentsSettings {
    /// The settings of `release` (see [`payment::authorization_timeout`]).
    pub fn for_release(release: &str) -> Self {
        Self {
            authorization_timeout: payment::authorization_timeout(release),
        }
    }
}

/// The payments service's routes, inside Sentry's per-request hub and transaction.
///
/// Initialise `sentry` before calling this: the HTTP layer reads the client's PII setting.
pub fn app(release: &str) -> Router {
    Router::new()
        .route("/api/authorize", post(authorize))
        .with_state(PaymentsSettings::for_release(release))
        .layer(SentryHttpLayer::new().enable_transaction())
        .layer(NewSentryLayer::<Request>::new_from_top())
}

/// `POST /api/authorize`: 200 with the authorization's reference, or 504 naming the error event
/// this service reported when the provider did not answer in time.
pub async fn authorize(
    State(settings): State<PaymentsSettings>,
    Json(request): Json<AuthorizeRequest>,
) -> Response {
    match traced_authorize(request.amount_cents, settings.authorization_timeout).await {
        Ok(authorization) => Json(json!({
            "reference": authorization.reference,
            "amount_cents": authorization.amount_cents,
        }))
        .into_response(),
        Err(error) => {
            let status = StatusCode::GATEWAY_TIMEOUT;
            sentry::configure_scope(|scope| {
                scope.set_tag("http.status_code", status.as_u16());
            });
            let event_id = report(&error);
            tracing::error!(%event_id, %error, "authorization failed");
            let body = json!({
                "error": "payment provider timeout",
                "event_id": event_id.simple().to_string(),
            });
            (status, Json(body)).into_response()
        }
    }
}

/// Sends `error` to Sentry with the stack where the timeout was noticed (inside
/// [`payment::authorize`]), else where it was reported.
fn report(error: &PaymentError) -> sentry::types::Uuid {
    let mut event = sentry::event_from_error(error);
    let noticed = match error {
        PaymentError::ProviderTimeout { stacktrace, .. } => stacktrace.as_deref().cloned(),
    };
    if let Some(exception) = event.exception.values.last_mut() {
        exception.stacktrace = noticed.or_else(sentry::integrations::backtrace::current_stacktrace);
    }
    sentry::capture_event(event)
}

/// [`payment::authorize`] as a child span of the request's transaction, so the trace shows the
/// step that failed. The span is not put on the scope: the error event keeps the transaction's
/// trace context.
async fn traced_authorize(
    amount_cents: u64,
    timeout: Duration,
) -> Result<payment::Authorization, PaymentError> {
    let span = sentry::configure_scope(|scope| scope.get_span())
        .map(|parent| parent.start_child("payment.authorize", "authorize card payment"));
    sentry::logger_info!(
        "authorizing {} cents with the provider, waiting at most {} ms",
        amount_cents,
        u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX)
    );
    let outcome = payment::authorize(amount_cents, timeout).await;
    if let Some(span) = span {
        span.set_status(match &outcome {
            Ok(_) => SpanStatus::Ok,
            Err(PaymentError::ProviderTimeout { .. }) => SpanStatus::DeadlineExceeded,
        });
        span.finish();
    }
    outcome
}
