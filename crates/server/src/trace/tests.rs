#![allow(clippy::unwrap_used)]
//! Tests of trace normalization and assembly.
