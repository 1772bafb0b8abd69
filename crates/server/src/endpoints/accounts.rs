//! Accounts and access: organizations, users, API tokens, projects and their DSN keys.

use axum::Router;

use crate::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
}
