-- Web console sessions (sqlite). The cookie carries a random secret; only
-- its SHA-256 is stored. A session acts with the role of its API token and
-- ends with it. Times are Unix microseconds.

CREATE TABLE console_sessions (
    id           TEXT PRIMARY KEY,
    secret_hash  TEXT    NOT NULL UNIQUE,
    token_id     TEXT    NOT NULL REFERENCES api_tokens (id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
