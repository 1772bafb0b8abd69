//! Per-project privacy (server-side scrubbing) and retention settings, and deleting replays and issues.

use axum::Router;

use crate::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
}
