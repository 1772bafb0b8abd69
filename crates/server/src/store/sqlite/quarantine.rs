//! The SQL behind [`QuarantineStore`].

use super::SqliteStore;
use crate::store::quarantine::QuarantineStore;

impl QuarantineStore for SqliteStore {}
