//! Helpers of the privacy tests: everything the database holds, read with plain SQL, and
//! envelopes of several items.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

use rusqlite::types::ValueRef;
use serde_json::Value;
use sightline_server::store::DATABASE_FILE;

/// Every value of every row of every table in the data directory's database, as text (blobs
/// decoded lossily), one line per row prefixed with its table.
pub fn stored_text(data_dir: &Path) -> String {
    let connection = rusqlite::Connection::open(data_dir.join(DATABASE_FILE)).unwrap();
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut text = String::new();
    for table in tables {
        let mut statement = connection
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .unwrap();
        let columns = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            text.push_str(&table);
            for column in 0..columns {
                text.push(' ');
                match row.get_ref(column).unwrap() {
                    ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                        text.push_str(&String::from_utf8_lossy(bytes));
                    }
                    ValueRef::Integer(n) => text.push_str(&n.to_string()),
                    ValueRef::Real(n) => text.push_str(&n.to_string()),
                    ValueRef::Null => text.push_str("NULL"),
                }
            }
            text.push('\n');
        }
    }
    text
}

/// How many rows `query` (a `SELECT COUNT(*) …`) counts in the data directory's database.
pub fn count(data_dir: &Path, query: &str) -> i64 {
    let connection = rusqlite::Connection::open(data_dir.join(DATABASE_FILE)).unwrap();
    connection.query_row(query, [], |row| row.get(0)).unwrap()
}

/// An envelope of `items`, each `(type, payload)`.
pub fn envelope(event_id: &str, items: &[(&str, &Value)]) -> Vec<u8> {
    let mut bytes = format!("{{\"event_id\":\"{event_id}\"}}\n").into_bytes();
    for (kind, payload) in items {
        let payload = serde_json::to_vec(payload).unwrap();
        bytes.extend(format!("{{\"type\":\"{kind}\",\"length\":{}}}\n", payload.len()).bytes());
        bytes.extend(payload);
        bytes.push(b'\n');
    }
    bytes
}
