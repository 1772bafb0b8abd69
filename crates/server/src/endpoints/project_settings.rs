//! A project's settings: ownership rules, CODEOWNERS and code mappings.

use axum::Router;

use crate::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
}
