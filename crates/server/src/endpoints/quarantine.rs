//! The quarantine: what could not be processed or stored, for an operator to inspect.

use axum::Router;

use crate::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
}
