//! The browser glue: everything that touches the DOM through `web-sys`.
//!
//! [`api`] holds the exported functions; [`recorder::Recorder`] runs a recording (mutation
//! observer, upload and throttle timers); [`interaction`] and [`input`] listen to what the user
//! does, [`hooks`] wraps `history` and `console` transparently and [`network`] `fetch` and
//! `XMLHttpRequest`; [`snapshot`] and [`mutations`]
//! serialize the DOM with the ids kept in [`mirror`], masked by the [`privacy`] rules, and
//! [`upload`] is the browser transport. Same-origin [`frames`] are recorded as documents inside
//! their `<iframe>`; [`checkpoint`] says when full snapshots are retaken and paces serialization
//! in time slices so that no task of the recorder blocks the page for long.

pub mod api;
mod checkpoint;
mod error_value;
mod frames;
mod guard;
mod hooks;
mod input;
mod interaction;
mod listener;
mod mirror;
mod mutations;
mod network;
mod privacy;
mod recorder;
mod snapshot;
mod stylesheets;
mod tab_storage;
mod upload;

#[cfg(test)]
mod tests;
