//! `POST /api/checkout`: prices the cart and has the payments service (see [`crate::payments`])
//! authorize it over HTTP; a failed payment is answered with a 500.
//!
//! The payments service reports its own errors, so the shop passes the event id it names on to
//! the page (as Sentry's user-feedback flow does) instead of reporting the same failure again;
//! only a failure the payments service could not report (it is down, or answers nonsense) is
//! reported from here, with the official `sentry` crate.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::catalogue::find_product;
use crate::payments_client::{PaymentsClient, PaymentsError};

/// Most items one checkout may hold.
pub const MAX_ITEMS: usize = 100;

/// Longest `baggage` header passed on to the payments service (W3C's limit).
pub const MAX_BAGGAGE_BYTES: usize = 8192;

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
    Payment(#[from] PaymentsError),
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
            Self::Payment(PaymentsError::Failed { message, .. }) => message.clone(),
            Self::Payment(_) => "payment service unavailable".to_owned(),
            other => other.to_string(),
        }
    }

    /// The error event the payments service reported for this failure, if it named one.
    fn reported_event(&self) -> Option<&str> {
        match self {
            Self::Payment(PaymentsError::Failed { event_id, .. }) => event_id.as_deref(),
            _ => None,
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

/// `POST /api/checkout`.
///
/// Runs inside the request's transaction (started by `sentry-tower` from the browser's
/// `sentry-trace`/`baggage` headers); the call to the payments service is a child span of it,
/// and the browser's `baggage` goes along, so the payments service's error names the replay.
pub async fn checkout(
    State(payments): State<PaymentsClient>,
    headers: HeaderMap,
    Json(request): Json<CheckoutRequest>,
) -> Response {
    let baggage = headers
        .get("baggage")
        .filter(|value| value.len() <= MAX_BAGGAGE_BYTES)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    match place_order(&request.items, &payments, baggage).await {
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
                let event_id = match error.reported_event() {
                    Some(id) => id.to_owned(),
                    None => {
                        sentry::configure_scope(|scope| {
                            scope.set_tag("http.status_code", status.as_u16());
                        });
                        sentry::capture_error(&error).simple().to_string()
                    }
                };
                tracing::error!(%event_id, %error, "checkout failed");
                body["event_id"] = json!(event_id);
            }
            (status, Json(body)).into_response()
        }
    }
}

/// Prices `items` and has `payments` authorize the total, passing the browser's `baggage` on.
///
/// # Errors
/// A [`CheckoutError`] for a cart the shop cannot sell or a payment that failed.
pub async fn place_order(
    items: &[u32],
    payments: &PaymentsClient,
    baggage: Option<String>,
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
    sentry::logger_info!(
        "checkout of {} items asks payments to authorize {} cents",
        items.len(),
        total_cents
    );
    let payment_reference = match payments.authorize(total_cents, baggage).await {
        Ok(reference) => reference,
        Err(error) => {
            sentry::logger_error!(
                "payments did not authorize the checkout: {}",
                error.to_string()
            );
            return Err(error.into());
        }
    };
    Ok(Order {
        total_cents,
        payment_reference,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn carts_the_shop_cannot_sell_are_client_errors() {
        let payments = PaymentsClient::new("http://127.0.0.1:9");
        for (items, expected) in [
            (vec![], "the cart is empty"),
            (vec![1, 42], "unknown product 42"),
            (vec![1; MAX_ITEMS + 1], "the cart holds more than 100 items"),
        ] {
            let error = place_order(&items, &payments, None).await.err();
            assert_eq!(
                error.as_ref().map(ToString::to_string).as_deref(),
                Some(expected)
            );
            assert_eq!(error.map(|e| e.status()), Some(StatusCode::BAD_REQUEST));
        }
    }

    #[tokio::test]
    async fn a_payments_service_that_is_down_fails_checkout_with_a_500() {
        let payments = PaymentsClient::new("http://127.0.0.1:9");
        let error = place_order(&[1, 3], &payments, None).await.err();
        assert!(
            matches!(
                error,
                Some(CheckoutError::Payment(PaymentsError::Unreachable(_)))
            ),
            "{error:?}"
        );
        assert_eq!(
            error.map(|e| (e.status(), e.public_message())),
            Some((
                StatusCode::INTERNAL_SERVER_ERROR,
                "payment service unavailable".to_owned()
            ))
        );
    }
}
