//! Releases: create, list and show them with their stats, set their commits, record deploys.

use axum::Router;

use crate::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
}
