//! Issues: list and search, one issue, its events, and status and assignment changes.

use axum::Router;

use crate::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
}
