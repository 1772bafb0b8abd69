//! The payment step of checkout: asks the payment provider to authorize the order's amount.
//!
//! This is where release `shop@1.4.2` is broken, the way real releases break: the authorization
//! timeout used to be read as a number of seconds and was moved to a [`Duration`], but the number
//! stayed, so checkout now gives the provider [`BROKEN_AUTHORIZATION_TIMEOUT`] (3 ms) to answer.
//! The provider answers in about [`PROVIDER_LATENCY`], every authorization times out, and the
//! shop answers checkout with a 500. Other releases wait [`AUTHORIZATION_TIMEOUT`].
//! No card is ever charged: the provider is a stand-in that only takes the time a real one would.
//!
//! One binary plays every release of the demo's history (see [`crate::history`]), so the
//! difference between them is chosen by [`authorization_timeout`] from the release name.

use std::time::Duration;

use sentry::protocol::Stacktrace;

/// How long checkout waits for the provider to authorize a payment.
pub const AUTHORIZATION_TIMEOUT: Duration = Duration::from_secs(3);

/// What release [`BROKEN_RELEASE`] waits instead (its bug: it was meant to be 3 seconds).
pub const BROKEN_AUTHORIZATION_TIMEOUT: Duration = Duration::from_millis(3);

/// The release whose checkout times out.
pub const BROKEN_RELEASE: &str = "shop@1.4.2";

/// How long checkout waits for the provider in `release`.
pub fn authorization_timeout(release: &str) -> Duration {
    if release == BROKEN_RELEASE {
        BROKEN_AUTHORIZATION_TIMEOUT
    } else {
        AUTHORIZATION_TIMEOUT
    }
}

/// How long the stand-in provider takes to answer, about a real one's round trip.
pub const PROVIDER_LATENCY: Duration = Duration::from_millis(120);

/// Why a payment was not authorized.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PaymentError {
    /// The provider did not answer in time.
    #[error(
        "payment provider did not answer within {timeout:?} (authorizing {amount_cents} cents)"
    )]
    ProviderTimeout {
        /// How long checkout waited.
        timeout: Duration,
        /// The amount that was to be authorized, in cents.
        amount_cents: u64,
        /// Where the timeout was noticed, for the error report.
        stacktrace: Option<Box<Stacktrace>>,
    },
}

/// A payment the provider authorized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The provider's reference for the authorization.
    pub reference: String,
    /// The authorized amount in cents.
    pub amount_cents: u64,
}

/// Asks the payment provider to authorize `amount_cents`, waiting at most `timeout`.
///
/// # Errors
/// [`PaymentError::ProviderTimeout`] when the provider does not answer within `timeout`.
pub async fn authorize(
    amount_cents: u64,
    timeout: Duration,
) -> Result<Authorization, PaymentError> {
    match tokio::time::timeout(timeout, provider_authorize(amount_cents)).await {
        Ok(authorization) => Ok(authorization),
        Err(_) => Err(PaymentError::ProviderTimeout {
            timeout,
            amount_cents,
            stacktrace: sentry::integrations::backtrace::current_stacktrace().map(Box::new),
        }),
    }
}

/// The stand-in payment provider: approves every amount after [`PROVIDER_LATENCY`].
async fn provider_authorize(amount_cents: u64) -> Authorization {
    tokio::time::sleep(PROVIDER_LATENCY).await;
    Authorization {
        reference: format!("auth-{amount_cents}"),
        amount_cents,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_release_timeout_is_shorter_than_the_provider_takes() {
        let outcome = authorize(14_800, authorization_timeout(BROKEN_RELEASE)).await;
        assert!(
            matches!(
                outcome,
                Err(PaymentError::ProviderTimeout {
                    amount_cents: 14_800,
                    ..
                })
            ),
            "{outcome:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_in_seconds_would_have_worked() {
        let outcome = authorize(14_800, authorization_timeout("shop@1.4.1")).await;
        assert_eq!(
            outcome.ok().map(|authorization| authorization.amount_cents),
            Some(14_800)
        );
    }
}
