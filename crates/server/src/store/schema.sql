-- Sightline's SQLite schema, version 1. Every statement is idempotent: it runs on each open.

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

PRAGMA user_version = 1;
