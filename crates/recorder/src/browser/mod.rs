//! The browser glue: everything that touches the DOM through `web-sys`.
//!
//! [`api`] holds the exported functions; [`recorder::Recorder`] hooks into the page (mutation
//! observer, click / error / pagehide listeners, upload timer), [`snapshot`] and [`mutations`]
//! serialize the DOM with the ids kept in [`mirror`], masked by the [`privacy`] rules, and
//! [`upload`] is the browser transport.

pub mod api;
mod error_value;
mod mirror;
mod mutations;
mod privacy;
mod recorder;
mod snapshot;
mod upload;

#[cfg(test)]
mod tests;
