//! Alert delivery: JSON webhooks from the alert outbox, with retries.
