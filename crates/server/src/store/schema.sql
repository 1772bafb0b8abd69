-- Sightline's SQLite schema, version 5. Every statement is idempotent: it runs on each open.
-- Version 2 added the inbox, events, transactions and network_requests (backfilled from the
-- stored segments when a version 1 database is opened). Version 3 added issues, releases,
-- ownership and alerts (stored events are grouped when a version 2 database is opened).
-- Version 4 added spans and logs (traces), and network_requests.duration_ms (added by
-- migrate.rs to older databases, 0 for requests stored before). Version 5 added accounts
-- (organizations, users, memberships, API tokens, sessions), rotatable DSN keys, per-project
-- privacy and retention options, the server's signing secrets, and the quarantine.

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


-- Issues: the events that share a fingerprint. Times are ms since the Unix epoch.
-- status: unresolved | resolved | resolved_in_next_release | ignored.
CREATE TABLE IF NOT EXISTS issues (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id          INTEGER NOT NULL,
    fingerprint         TEXT    NOT NULL,
    grouping            TEXT    NOT NULL,
    title               TEXT    NOT NULL,
    culprit             TEXT,
    exception_type      TEXT,
    exception_value     TEXT,
    level               TEXT    NOT NULL,
    status              TEXT    NOT NULL DEFAULT 'unresolved',
    resolved_in_release TEXT,
    resolved_at_ms      INTEGER,
    regressed           INTEGER NOT NULL DEFAULT 0,
    first_seen_ms       INTEGER NOT NULL,
    last_seen_ms        INTEGER NOT NULL,
    first_release       TEXT,
    last_release        TEXT,
    event_count         INTEGER NOT NULL DEFAULT 0,
    user_count          INTEGER NOT NULL DEFAULT 0,
    owner               TEXT,
    owner_rule          TEXT,
    assigned_to         TEXT,
    first_event_id      TEXT    NOT NULL,
    last_event_id       TEXT    NOT NULL,
    UNIQUE (project_id, fingerprint)
);

-- Each issue order (sort=date, freq, new, user: the column(s), then id, all descending) has an
-- index that a backward scan reads in exactly that order, so a page stops at its end instead
-- of sorting every issue of the project; firstSeen ranges use the first-seen one
-- (`cargo xtask bench issues`: 95 ms → 3 ms at 50k issues). The date index replaces
-- issues_by_last_seen, whose DESC column left `id DESC` to a sort.
DROP INDEX IF EXISTS issues_by_last_seen;
CREATE INDEX IF NOT EXISTS issues_by_last_seen_ms ON issues (project_id, last_seen_ms);
CREATE INDEX IF NOT EXISTS issues_by_events ON issues (project_id, event_count, last_seen_ms);
CREATE INDEX IF NOT EXISTS issues_by_first_seen ON issues (project_id, first_seen_ms);
CREATE INDEX IF NOT EXISTS issues_by_users ON issues (project_id, user_count, last_seen_ms);

-- Which issue each stored event belongs to, with what searches and navigation need.
CREATE TABLE IF NOT EXISTS issue_events (
    event_id     TEXT    PRIMARY KEY,
    issue_id     INTEGER NOT NULL,
    project_id   INTEGER NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    release      TEXT,
    environment  TEXT    NOT NULL,
    user_key     TEXT
);

CREATE INDEX IF NOT EXISTS issue_events_by_issue ON issue_events (issue_id, timestamp_ms);
CREATE INDEX IF NOT EXISTS issue_events_by_project ON issue_events (project_id, timestamp_ms DESC);

-- Tag values seen on an issue's events (environment, release, level, http.status_code and
-- the events' own tags), bounded per key.
CREATE TABLE IF NOT EXISTS issue_tags (
    issue_id     INTEGER NOT NULL,
    key          TEXT    NOT NULL,
    value        TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (issue_id, key, value)
);

CREATE INDEX IF NOT EXISTS issue_tags_by_value ON issue_tags (key, value);

-- Events per issue per hour (hour = timestamp_ms / 3600000).
CREATE TABLE IF NOT EXISTS issue_hours (
    issue_id INTEGER NOT NULL,
    hour     INTEGER NOT NULL,
    count    INTEGER NOT NULL,
    PRIMARY KEY (issue_id, hour)
);

-- Distinct affected users per issue.
CREATE TABLE IF NOT EXISTS issue_users (
    issue_id INTEGER NOT NULL,
    user_key TEXT    NOT NULL,
    PRIMARY KEY (issue_id, user_key)
);

-- What happened to an issue: created, regressed, resolved, resolved_in_next_release, ignored,
-- unresolved, assigned; release is the release of the event that caused it, if any.
CREATE TABLE IF NOT EXISTS issue_activity (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id INTEGER NOT NULL,
    kind     TEXT    NOT NULL,
    release  TEXT,
    at_ms    INTEGER NOT NULL,
    detail   TEXT
);

CREATE INDEX IF NOT EXISTS issue_activity_by_issue ON issue_activity (issue_id, at_ms);
CREATE INDEX IF NOT EXISTS issue_activity_by_release ON issue_activity (release, kind);

-- Releases, created by the API or CLI or by the first event naming them; ordered by
-- (created_at_ms, rowid).
CREATE TABLE IF NOT EXISTS releases (
    project_id    INTEGER NOT NULL,
    version       TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (project_id, version)
);

-- A release's commits; files is a JSON array of {"path": …, "type": "A" | "M" | "D"}.
CREATE TABLE IF NOT EXISTS release_commits (
    project_id   INTEGER NOT NULL,
    version      TEXT    NOT NULL,
    position     INTEGER NOT NULL,
    id           TEXT    NOT NULL,
    repository   TEXT,
    author_name  TEXT,
    author_email TEXT,
    message      TEXT    NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    files        TEXT    NOT NULL,
    PRIMARY KEY (project_id, version, id)
);

CREATE TABLE IF NOT EXISTS deploys (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id     INTEGER NOT NULL,
    version        TEXT    NOT NULL,
    environment    TEXT    NOT NULL,
    name           TEXT,
    started_at_ms  INTEGER,
    finished_at_ms INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS deploys_by_release ON deploys (project_id, version);

-- Release stats: a release's events and its sessions (replays).
CREATE INDEX IF NOT EXISTS issue_events_by_release ON issue_events (project_id, release);
CREATE INDEX IF NOT EXISTS replays_by_release ON replays (project_id, release);

-- Code mappings: a stack-trace path prefix and the repository path it stands for.
CREATE TABLE IF NOT EXISTS code_mappings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL,
    stack_root  TEXT    NOT NULL,
    source_root TEXT    NOT NULL,
    UNIQUE (project_id, stack_root)
);

-- A project's ownership rules and CODEOWNERS file, as written.
CREATE TABLE IF NOT EXISTS project_ownership (
    project_id    INTEGER PRIMARY KEY,
    rules         TEXT    NOT NULL,
    codeowners    TEXT    NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

-- Alert rules; condition: new_issue | regression | spike.
CREATE TABLE IF NOT EXISTS alert_rules (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id       INTEGER NOT NULL,
    name             TEXT    NOT NULL,
    condition        TEXT    NOT NULL,
    environment      TEXT,
    threshold        INTEGER,
    window_minutes   INTEGER,
    webhook_url      TEXT    NOT NULL,
    throttle_minutes INTEGER NOT NULL,
    created_at_ms    INTEGER NOT NULL
);

-- Fired alerts and their webhook delivery (status: pending | delivered | failed); written in
-- the transaction that stored the event which fired them.
CREATE TABLE IF NOT EXISTS alerts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id         INTEGER NOT NULL,
    project_id      INTEGER NOT NULL,
    issue_id        INTEGER NOT NULL,
    fired_at_ms     INTEGER NOT NULL,
    payload         TEXT    NOT NULL,
    webhook_url     TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    delivered_at_ms INTEGER,
    last_error      TEXT
);

CREATE INDEX IF NOT EXISTS alerts_pending ON alerts (status, next_attempt_ms);
CREATE INDEX IF NOT EXISTS alerts_by_rule_issue ON alerts (rule_id, issue_id, fired_at_ms);
CREATE INDEX IF NOT EXISTS alerts_by_project ON alerts (project_id, fired_at_ms DESC);
CREATE INDEX IF NOT EXISTS alert_rules_by_project ON alert_rules (project_id);

-- Version 4: traces. Spans of backend transactions (the root span of each, kind
-- 'transaction', and its child spans, kind 'span') and standalone spans, and structured logs;
-- times in µs since the Unix epoch, data and attributes bounded JSON objects. At most 10 000
-- spans and 10 000 logs per trace (trace::MAX_SPANS_PER_TRACE, MAX_LOGS_PER_TRACE).
CREATE TABLE IF NOT EXISTS spans (
    trace_id       TEXT    NOT NULL,
    span_id        TEXT    NOT NULL,
    parent_span_id TEXT,
    project_id     INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    service        TEXT    NOT NULL,
    op             TEXT,
    description    TEXT,
    status         TEXT    NOT NULL,
    start_us       INTEGER NOT NULL,
    end_us         INTEGER NOT NULL,
    transaction_name TEXT,
    event_id       TEXT,
    data           TEXT    NOT NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);

CREATE INDEX IF NOT EXISTS spans_by_span ON spans (span_id);
CREATE INDEX IF NOT EXISTS spans_by_received ON spans (received_at_ms);

CREATE TABLE IF NOT EXISTS logs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    trace_id       TEXT    NOT NULL,
    span_id        TEXT,
    project_id     INTEGER NOT NULL,
    timestamp_us   INTEGER NOT NULL,
    level          TEXT    NOT NULL,
    message        TEXT    NOT NULL,
    service        TEXT    NOT NULL,
    attributes     TEXT    NOT NULL,
    received_at_ms INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS logs_by_trace ON logs (trace_id, timestamp_us);
CREATE INDEX IF NOT EXISTS logs_by_span ON logs (span_id);
CREATE INDEX IF NOT EXISTS logs_by_received ON logs (received_at_ms);
CREATE INDEX IF NOT EXISTS transactions_by_received ON transactions (received_at_ms);

-- Organizations own projects (projects.organization_id, added by migrate.rs; 1 for projects
-- stored before). The default organization (id 1) is created with the default project.
CREATE TABLE IF NOT EXISTS organizations (
    id            INTEGER PRIMARY KEY,
    slug          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
);

-- Passwords are kept only as argon2id PHC strings; an account without one signs in with a token.
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT    NOT NULL DEFAULT '',
    password_hash TEXT,
    is_superuser  INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS memberships (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role            TEXT    NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);

-- API tokens by SHA-256 digest; scopes is a space-separated subset of `read write admin`.
CREATE TABLE IF NOT EXISTS api_tokens (
    id              INTEGER PRIMARY KEY,
    token_sha256    TEXT    NOT NULL UNIQUE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label           TEXT    NOT NULL DEFAULT '',
    scopes          TEXT    NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    last_used_at_ms INTEGER,
    revoked_at_ms   INTEGER
);

-- Browser sessions by SHA-256 digest of the cookie value.
CREATE TABLE IF NOT EXISTS sessions (
    id_sha256     TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at_ms);

-- DSN keys: a project may have several while one is rotated out; a revoked key is refused.
-- projects.public_key stays the project's first key (filled in here for older databases).
CREATE TABLE IF NOT EXISTS project_keys (
    public_key    TEXT    PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    label         TEXT    NOT NULL DEFAULT '',
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
);

INSERT OR IGNORE INTO project_keys (public_key, project_id, label, created_at_ms)
    SELECT public_key, id, 'Default', created_at_ms FROM projects;

-- Revoked embed tokens: every token of the replay issued at or before revoked_before_ms is refused.
CREATE TABLE IF NOT EXISTS embed_revocations (
    replay_id         TEXT    PRIMARY KEY,
    revoked_before_ms INTEGER NOT NULL
);

-- Per-project privacy (scrubbing options as JSON; NULL = the defaults) and retention (NULL =
-- the server's --retention-days).
CREATE TABLE IF NOT EXISTS project_options (
    project_id     INTEGER PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    scrubbing      TEXT,
    retention_days INTEGER
);

-- Random secrets the server generates once (the embed-token signing key).
CREATE TABLE IF NOT EXISTS server_secrets (
    name          TEXT    PRIMARY KEY,
    value         BLOB    NOT NULL,
    created_at_ms INTEGER NOT NULL
);

-- Payloads that were accepted or uploaded but could not be processed or stored: kept, with
-- the reason, for an operator to inspect instead of being lost silently.
CREATE TABLE IF NOT EXISTS quarantine (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id     INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    received_at_ms INTEGER NOT NULL,
    payload        BLOB    NOT NULL
);

CREATE INDEX IF NOT EXISTS quarantine_by_received ON quarantine (received_at_ms);

-- How many quarantined items were dropped (oldest first) to keep the quarantine within its
-- bounds: one row, id 1.
CREATE TABLE IF NOT EXISTS quarantine_dropped (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    entries INTEGER NOT NULL,
    bytes   INTEGER NOT NULL
);

-- Retention (retention.rs) finds a project's old events and replays by these, and deleting an
-- issue finds its alerts by the last one.
CREATE INDEX IF NOT EXISTS events_by_project_received ON events (project_id, received_at_ms);
CREATE INDEX IF NOT EXISTS replays_by_project_finished ON replays (project_id, finished_at_ms);
CREATE INDEX IF NOT EXISTS alerts_by_issue ON alerts (issue_id);

PRAGMA user_version = 5;
