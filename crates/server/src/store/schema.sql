-- Sightline's SQLite schema, version 2. Every statement is idempotent: it runs on each open.
-- Version 2 added the inbox, events, transactions and network_requests (backfilled from the
-- stored segments when a version 1 database is opened).

CREATE TABLE IF NOT EXISTS projects (
    id            INTEGER PRIMARY KEY,
    public_key    TEXT    NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL
);

-- Only SHA-256 digests of admin tokens are kept; the token itself is shown once.
CREATE TABLE IF NOT EXISTS admin_tokens (
    token_sha256  TEXT    PRIMARY KEY,
    created_at_ms INTEGER NOT NULL
);

-- One row per replay, recomputed from its segments whenever one is stored. Lists are JSON arrays.
CREATE TABLE IF NOT EXISTS replays (
    id             TEXT    PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects (id),
    started_at_ms  INTEGER NOT NULL,
    finished_at_ms INTEGER NOT NULL,
    urls           TEXT    NOT NULL,
    release        TEXT    NOT NULL,
    environment    TEXT    NOT NULL,
    segment_count  INTEGER NOT NULL,
    error_ids      TEXT    NOT NULL,
    trace_ids      TEXT    NOT NULL
);

CREATE INDEX IF NOT EXISTS replays_by_start ON replays (started_at_ms DESC);

-- The raw bytes as uploaded plus what was derived from them at ingest.
CREATE TABLE IF NOT EXISTS segments (
    replay_id      TEXT    NOT NULL,
    segment_index  INTEGER NOT NULL,
    project_id     INTEGER NOT NULL REFERENCES projects (id),
    start_ms       INTEGER NOT NULL,
    end_ms         INTEGER NOT NULL,
    event_count    INTEGER NOT NULL,
    release        TEXT    NOT NULL,
    environment    TEXT    NOT NULL,
    urls           TEXT    NOT NULL,
    error_ids      TEXT    NOT NULL,
    trace_ids      TEXT    NOT NULL,
    bytes          BLOB    NOT NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (replay_id, segment_index)
);

-- Sentry envelopes accepted by ingest and not processed yet: the decompressed bytes as received.
-- A row is deleted in the same transaction that stores what it held.
CREATE TABLE IF NOT EXISTS inbox (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id     INTEGER NOT NULL,
    event_id       TEXT    NOT NULL,
    received_at_ms INTEGER NOT NULL,
    payload        BLOB    NOT NULL
);

-- Normalized backend error events, and where they sit in a replay once linked.
CREATE TABLE IF NOT EXISTS events (
    id              TEXT    PRIMARY KEY,
    project_id      INTEGER NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    timestamp_ms    INTEGER NOT NULL,
    trace_id        TEXT,
    parent_span_id  TEXT,
    hint_replay_id  TEXT,
    replay_id       TEXT,
    link_source     TEXT,
    request_segment INTEGER,
    request_span_id TEXT,
    request_time_ms INTEGER,
    request_method  TEXT,
    request_url     TEXT,
    request_status  INTEGER,
    body            TEXT    NOT NULL
);

CREATE INDEX IF NOT EXISTS events_by_replay ON events (replay_id);
CREATE INDEX IF NOT EXISTS events_by_trace ON events (trace_id);
CREATE INDEX IF NOT EXISTS events_by_hint ON events (hint_replay_id);

-- Transactions kept raw for the trace timeline.
CREATE TABLE IF NOT EXISTS transactions (
    id             TEXT    PRIMARY KEY,
    project_id     INTEGER NOT NULL,
    trace_id       TEXT,
    received_at_ms INTEGER NOT NULL,
    payload        BLOB    NOT NULL
);

CREATE INDEX IF NOT EXISTS transactions_by_trace ON transactions (trace_id);

-- Every traced request the recorder saw, so a backend event finds its request by trace and span.
CREATE TABLE IF NOT EXISTS network_requests (
    replay_id     TEXT    NOT NULL,
    segment_index INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    trace_id      TEXT    NOT NULL,
    span_id       TEXT    NOT NULL,
    time_ms       INTEGER NOT NULL,
    method        TEXT    NOT NULL,
    url           TEXT    NOT NULL,
    status        INTEGER NOT NULL,
    PRIMARY KEY (replay_id, segment_index, position)
);

CREATE INDEX IF NOT EXISTS network_requests_by_trace ON network_requests (trace_id);

PRAGMA user_version = 2;
