//! The `sightline` binary.
fn main() {}
