//! `POST /api/checkout`: prices the cart and pays for it; a failed payment is reported to
//! Sentry (here: Sightline) with the official `sentry` crate and answered with a 500.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sentry::protocol::SpanStatus;
use serde::Deserialize;
use serde_json::json;

use crate::catalogue::find_product;
use std::time::Duration;

use axum::extract::State;

use crate::payment::{self, PaymentError};

/// Most items one checkout may hold.
pub const MAX_ITEMS: usize = 100;

/// What the page sends: the ids of the products in the cart (one per item).
#[derive(Debug, Deserialize)]
pub struct CheckoutRequest {
    /// Product ids, repeated for several of the same.
    pub items: Vec<u32>,
}

/// Why a checkout failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckoutError {
    /// The cart was empty.
    #[error("the cart is empty")]
    EmptyCart,
    /// The cart held more than [`MAX_ITEMS`] items.
    #[error("the cart holds more than {MAX_ITEMS} items")]
    TooManyItems,
    /// The cart named a product the shop does not sell.
    #[error("unknown product {0}")]
    UnknownProduct(u32),
    /// The payment was not authorized.
    #[error("payment failed: {0}")]
    Payment(#[from] PaymentError),
}

impl CheckoutError {
    /// The HTTP status the shop answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::EmptyCart | Self::TooManyItems | Self::UnknownProduct(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::Payment(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the shopper is told.
    fn public_message(&self) -> String {
        match self {
            Self::Payment(PaymentError::ProviderTimeout { .. }) => {
                "payment provider timeout".to_owned()
            }
            other => other.to_string(),
        }
    }
}

/// An order that was paid for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The amount charged, in cents.
    pub total_cents: u64,
    /// The payment provider's reference.
    pub payment_reference: String,
}

/// How this release of the shop checks out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckoutSettings {
    /// How long to wait for the payment provider.
    pub authorization_timeout: Duration,
}

impl CheckoutSettings {
    /// The settings of `release` (see [`payment::authorization_timeout`]).
    pub fn for_release(release: &str) -> Self {
        Self {
            authorization_timeout: payment::authorization_timeout(release),
        }
    }
}

/// `POST /api/checkout`.
///
/// Server errors are captured with `sentry::capture_error` inside the request's transaction
/// (started by `sentry-tower` from the browser's `sentry-trace`/`baggage` headers), so the event
/// carries the browser's trace id and, as parent span, the span id of the browser's request. The
/// answer names the event id, as Sentry's user-feedback flow does.
pub async fn checkout(
    State(settings): State<CheckoutSettings>,
    Json(request): Json<CheckoutRequest>,
) -> Response {
    match place_order(&request.items, settings.authorization_timeout).await {
        Ok(order) => Json(json!({
            "status": "paid",
            "total_cents": order.total_cents,
            "payment_reference": order.payment_reference,
        }))
        .into_response(),
        Err(error) => {
            let status = error.status();
            let mut body = json!({ "error": error.public_message() });
            if status.is_server_error() {
                sentry::configure_scope(|scope| {
                    scope.set_tag("http.status_code", status.as_u16());
                });
                let event_id = report(&error);
                tracing::error!(%event_id, %error, "checkout failed");
                body["event_id"] = json!(event_id.simple().to_string());
            }
            (status, Json(body)).into_response()
        }
    }
}

/// Sends `error` to Sentry with the stack where it was noticed (a payment timeout: inside the
/// payment step), else where it was reported; a payment error goes as itself, so the issue is
/// titled by what broke.
fn report(error: &CheckoutError) -> sentry::types::Uuid {
    let mut event = match error {
        CheckoutError::Payment(payment) => sentry::event_from_error(payment),
        other => sentry::event_from_error(other),
    };
    let noticed = match error {
        CheckoutError::Payment(PaymentError::ProviderTimeout { stacktrace, .. }) => {
            stacktrace.as_deref().cloned()
        }
        _ => None,
    };
    if let Some(exception) = event.exception.values.last_mut() {
        exception.stacktrace = noticed.or_else(|| {
            sentry::integrations::backtrace::current_stacktrace().map(|mut stacktrace| {
                // The innermost frames are this helper and the capture itself; the error
                // surfaced in the helper's caller, which is what the culprit should name.
                let helper = stacktrace.frames.iter().rposition(|frame| {
                    frame
                        .function
                        .as_deref()
                        .is_some_and(|function| function.contains("checkout::report"))
                });
                if let Some(helper) = helper {
                    stacktrace.frames.truncate(helper);
                }
                stacktrace
            })
        });
    }
    sentry::capture_event(event)
}

/// Prices `items` and pays for them.
///
/// # Errors
/// A [`CheckoutError`] for a cart the shop cannot sell or a payment that failed.
pub async fn place_order(
    items: &[u32],
    authorization_timeout: Duration,
) -> Result<Order, CheckoutError> {
    if items.is_empty() {
        return Err(CheckoutError::EmptyCart);
    }
    if items.len() > MAX_ITEMS {
        return Err(CheckoutError::TooManyItems);
    }
    let mut total_cents = 0_u64;
    for &id in items {
        let product = find_product(id).ok_or(CheckoutError::UnknownProduct(id))?;
        total_cents = total_cents.saturating_add(product.price_cents);
    }
    let authorization = traced_authorize(total_cents, authorization_timeout).await?;
    Ok(Order {
        total_cents,
        payment_reference: authorization.reference,
    })
}

/// [`payment::authorize`] as a child span of the request's transaction, so the trace shows the
/// step that failed. The span is not put on the scope: events keep the transaction's trace
/// context, whose parent span is the browser's request.
async fn traced_authorize(
    amount_cents: u64,
    timeout: Duration,
) -> Result<payment::Authorization, PaymentError> {
    let span = sentry::configure_scope(|scope| scope.get_span())
        .map(|parent| parent.start_child("payment.authorize", "authorize card payment"));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn carts_the_shop_cannot_sell_are_client_errors() {
        for (items, expected) in [
            (vec![], "the cart is empty"),
            (vec![1, 42], "unknown product 42"),
            (vec![1; MAX_ITEMS + 1], "the cart holds more than 100 items"),
        ] {
            let error = place_order(&items, payment::AUTHORIZATION_TIMEOUT)
                .await
                .err();
            assert_eq!(
                error.as_ref().map(ToString::to_string).as_deref(),
                Some(expected)
            );
            assert_eq!(error.map(|e| e.status()), Some(StatusCode::BAD_REQUEST));
        }
    }

    #[tokio::test]
    async fn paying_for_a_valid_cart_fails_in_the_broken_release() {
        let settings = CheckoutSettings::for_release(payment::BROKEN_RELEASE);
        let error = place_order(&[1, 3], settings.authorization_timeout)
            .await
            .err();
        assert!(
            matches!(
                error,
                Some(CheckoutError::Payment(PaymentError::ProviderTimeout {
                    amount_cents: 31_800,
                    ..
                }))
            ),
            "{error:?}"
        );
    }
}
