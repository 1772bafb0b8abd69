//! The SQL behind events, transactions, the inbox and linking; every function runs on the
//! connection or transaction its caller holds, so a caller decides what is atomic.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::link::{self, Link, LinkHints, LinkSource, TracedRequest};
use crate::normalize::NormalizedEvent;
use crate::store::{InboxEntry, NewEvent, NewTransaction, StoreError, StoredEvent, StoredLink};

pub(super) const EVENT_COLUMNS: &str = "project_id, body, trace_id, replay_id, link_source, \
     request_segment, request_span_id, request_time_ms, request_method, request_url, \
     request_status";

/// The order of a replay's backend events: by the client time of their request when known,
/// else by their own timestamp.
const EVENT_ORDER: &str = "COALESCE(request_time_ms, timestamp_ms), received_at_ms, id";

/// Indexes a segment's traced requests.
pub(super) fn insert_requests(
    connection: &Connection,
    requests: &[TracedRequest],
) -> Result<(), StoreError> {
    let mut statement = connection.prepare_cached(
        "INSERT OR IGNORE INTO network_requests (replay_id, segment_index, position, trace_id, \
         span_id, time_ms, method, url, status, duration_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (position, request) in requests.iter().enumerate() {
        statement.execute(params![
            request.replay_id,
            request.segment_index,
            position,
            request.trace_id,
            request.span_id,
            request.time_ms,
            request.method,
            request.url,
            request.status,
            request.duration_ms,
        ])?;
    }
    Ok(())
}

/// Links again the events that a new segment of `replay_id` with `requests` may complete:
/// those naming the replay, or sharing a trace with one of the requests, whose failing request
/// is not known yet. Returns how many links changed.
pub(super) fn relink_for_segment(
    connection: &Connection,
    replay_id: &str,
    requests: &[TracedRequest],
) -> Result<usize, StoreError> {
    let mut waiting: Vec<(String, LinkHints)> = Vec::new();
    let mut statement = connection.prepare_cached(
        "SELECT id, hint_replay_id, trace_id, parent_span_id FROM events \
         WHERE request_span_id IS NULL AND (hint_replay_id = ?1 OR trace_id = ?2)",
    )?;
    let mut traces: Vec<&str> = requests.iter().map(|r| r.trace_id.as_str()).collect();
    traces.sort_unstable();
    traces.dedup();
    if traces.is_empty() {
        traces.push("");
    }
    for trace in traces {
        let rows = statement.query_map(params![replay_id, trace], |row| {
            Ok((
                row.get::<_, String>(0)?,
                LinkHints {
                    replay_id: row.get(1)?,
                    trace_id: row.get(2)?,
                    parent_span_id: row.get(3)?,
                },
            ))
        })?;
        for row in rows {
            let row = row?;
            if !waiting.iter().any(|(id, _)| *id == row.0) {
                waiting.push(row);
            }
        }
    }
    let mut changed = 0;
    for (id, hints) in waiting {
        let link = link::resolve(&hints, &candidates(connection, &hints)?);
        // Events keep their request without its duration; compare links without it.
        if link.is_some()
            && without_duration(link.clone()) != without_duration(current_link(connection, &id)?)
        {
            apply_link(connection, &id, link.as_ref())?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Stores a new event and links it; `None` when an event with its id is already stored.
pub(super) fn insert_event(
    connection: &Connection,
    new: &NewEvent,
) -> Result<Option<bool>, StoreError> {
    let event = &new.event;
    let body = serde_json::to_string(event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let inserted = connection.execute(
        "INSERT OR IGNORE INTO events (id, project_id, received_at_ms, timestamp_ms, trace_id, \
         parent_span_id, hint_replay_id, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            event.event_id,
            new.project_id,
            event.received_ms,
            event.timestamp_ms,
            new.hints.trace_id,
            new.hints.parent_span_id,
            new.hints.replay_id,
            body,
        ],
    )?;
    if inserted == 0 {
        return Ok(None);
    }
    let link = link::resolve(&new.hints, &candidates(connection, &new.hints)?);
    apply_link(connection, &event.event_id, link.as_ref())?;
    Ok(Some(link.is_some()))
}

/// Stores a transaction; `false` when one with its id is already stored.
pub(super) fn insert_transaction(
    connection: &Connection,
    transaction: &NewTransaction,
) -> Result<bool, StoreError> {
    let inserted = connection.execute(
        "INSERT OR IGNORE INTO transactions (id, project_id, trace_id, received_at_ms, payload) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            transaction.event_id,
            transaction.project_id,
            transaction.trace_id,
            transaction.received_at_ms,
            transaction.payload,
        ],
    )?;
    Ok(inserted == 1)
}

/// The stored requests an event with `hints` may belong to.
fn candidates(
    connection: &Connection,
    hints: &LinkHints,
) -> Result<Vec<TracedRequest>, StoreError> {
    if hints.is_empty() {
        return Ok(Vec::new());
    }
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {REQUEST_COLUMNS} FROM network_requests WHERE trace_id = ?1 OR replay_id = ?2 \
         ORDER BY time_ms, segment_index, position"
    ))?;
    let rows = statement.query_map(params![hints.trace_id, hints.replay_id], request_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The `network_requests` columns [`request_row`] reads, in its order.
pub(super) const REQUEST_COLUMNS: &str =
    "replay_id, segment_index, trace_id, span_id, time_ms, method, url, status, duration_ms";

/// A recorded network request, read from a row of [`REQUEST_COLUMNS`]: the link candidates and
/// a trace's requests are the same rows.
pub(super) fn request_row(row: &Row<'_>) -> rusqlite::Result<TracedRequest> {
    Ok(TracedRequest {
        replay_id: row.get(0)?,
        segment_index: row.get(1)?,
        trace_id: row.get(2)?,
        span_id: row.get(3)?,
        time_ms: row.get(4)?,
        method: row.get(5)?,
        url: row.get(6)?,
        status: row.get(7)?,
        duration_ms: row.get(8)?,
    })
}

fn apply_link(connection: &Connection, id: &str, link: Option<&Link>) -> Result<(), StoreError> {
    let request = link.and_then(|link| link.request.as_ref());
    connection
        .prepare_cached(
            "UPDATE events SET replay_id = ?2, link_source = ?3, request_segment = ?4, \
             request_span_id = ?5, request_time_ms = ?6, request_method = ?7, \
             request_url = ?8, request_status = ?9 WHERE id = ?1",
        )?
        .execute(params![
            id,
            link.map(|link| &link.replay_id),
            link.map(|link| link.source.as_str()),
            request.map(|r| r.segment_index),
            request.map(|r| &r.span_id),
            request.map(|r| r.time_ms),
            request.map(|r| &r.method),
            request.map(|r| &r.url),
            request.map(|r| r.status),
        ])?;
    Ok(())
}

fn without_duration(link: Option<Link>) -> Option<Link> {
    link.map(|mut link| {
        if let Some(request) = &mut link.request {
            request.duration_ms = 0;
        }
        link
    })
}

fn current_link(connection: &Connection, id: &str) -> Result<Option<Link>, StoreError> {
    let event = connection
        .prepare_cached(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"))?
        .query_row([id], event_row)
        .optional()?;
    Ok(event.and_then(|event| {
        event.link.map(|link| Link {
            replay_id: link.replay_id,
            source: link.source,
            request: link.request,
        })
    }))
}

/// One event by id.
pub(super) fn event(connection: &Connection, id: &str) -> Result<Option<StoredEvent>, StoreError> {
    Ok(connection
        .prepare_cached(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"))?
        .query_row([id], event_row)
        .optional()?)
}

/// The events linked to a replay, in request order.
pub(super) fn replay_events(
    connection: &Connection,
    replay_id: &str,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE replay_id = ?1 ORDER BY {EVENT_ORDER}"
    ))?;
    let rows = statement.query_map([replay_id], event_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The ids of the events linked to a replay, in request order.
pub(super) fn linked_event_ids(
    connection: &Connection,
    replay_id: &str,
) -> Result<Vec<String>, StoreError> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT id FROM events WHERE replay_id = ?1 ORDER BY {EVENT_ORDER}"
    ))?;
    let rows = statement.query_map([replay_id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Reads one inbox row.
pub(super) fn inbox_row(row: &Row<'_>) -> rusqlite::Result<InboxEntry> {
    Ok(InboxEntry {
        id: row.get(0)?,
        project_id: row.get(1)?,
        event_id: row.get(2)?,
        received_at_ms: row.get(3)?,
        payload: row.get(4)?,
    })
}

pub(super) fn event_row(row: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    let event: NormalizedEvent = json_column(row, 1)?;
    let trace_id: Option<String> = row.get(2)?;
    let replay_id: Option<String> = row.get(3)?;
    let source = row
        .get::<_, Option<String>>(4)?
        .as_deref()
        .and_then(LinkSource::from_name);
    let request = match (row.get::<_, Option<String>>(6)?, row.get(7)?) {
        (Some(span_id), Some(time_ms)) => Some(TracedRequest {
            replay_id: replay_id.clone().unwrap_or_default(),
            segment_index: row.get::<_, Option<u32>>(5)?.unwrap_or_default(),
            trace_id: trace_id.unwrap_or_default(),
            span_id,
            time_ms,
            method: row.get::<_, Option<String>>(8)?.unwrap_or_default(),
            url: row.get::<_, Option<String>>(9)?.unwrap_or_default(),
            status: row.get::<_, Option<u16>>(10)?.unwrap_or_default(),
            duration_ms: 0,
        }),
        _ => None,
    };
    let link = match (replay_id, source) {
        (Some(replay_id), Some(source)) => Some(StoredLink {
            replay_id,
            source,
            request,
        }),
        _ => None,
    };
    Ok(StoredEvent {
        project_id: row.get(0)?,
        event,
        link,
    })
}

/// The JSON in the text column at `index`, decoded as `T`; JSON that does not decode is a
/// conversion error of that column (rows hold what the server wrote, so this means damage).
pub(super) fn json_column<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    index: usize,
) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, error.into())
    })
}
