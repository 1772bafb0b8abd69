//! The SQL behind [`PrivacyStore`].

use super::SqliteStore;
use crate::store::privacy::PrivacyStore;

impl PrivacyStore for SqliteStore {}
