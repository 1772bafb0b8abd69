//! The search query language over issues and events: parsing (bounded, typed errors) and SQL.
