//! Signing in and out of the viewer: password or token login, the session cookie, CSRF, logout.

use axum::Router;

use crate::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
}
