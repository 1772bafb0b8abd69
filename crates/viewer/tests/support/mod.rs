//! Test support shared by the viewer's native integration tests.

pub mod synthetic;
