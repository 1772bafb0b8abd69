//! The SQL behind [`AccessStore`].

use super::SqliteStore;
use crate::store::access::AccessStore;

impl AccessStore for SqliteStore {}
