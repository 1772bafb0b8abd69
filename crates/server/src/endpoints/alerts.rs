//! Alert rules of a project and the alerts they fired.

use axum::Router;

use crate::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
}
