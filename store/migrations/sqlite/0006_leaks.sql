-- Leaked secrets found by the scanner (sqlite). Only the SHA-256 fingerprint
-- of a secret and a redacted preview are stored, never the secret. A leak
-- is unique per (fingerprint, source, file, line, commit); identity_id and
-- credential_id tie it to the inventory when correlation found a match.
-- Times are Unix microseconds.

CREATE TABLE leaks (
    id              TEXT PRIMARY KEY,
    fingerprint     TEXT    NOT NULL,
    rule            TEXT    NOT NULL,
    type            TEXT    NOT NULL DEFAULT '',
    source          TEXT    NOT NULL DEFAULT '',
    file            TEXT    NOT NULL DEFAULT '',
    line            INTEGER NOT NULL DEFAULT 0,
    commit_id       TEXT    NOT NULL DEFAULT '',
    author          TEXT    NOT NULL DEFAULT '',
    public_id       TEXT    NOT NULL DEFAULT '',
    key_fingerprint TEXT    NOT NULL DEFAULT '',
    preview         TEXT    NOT NULL DEFAULT '',
    identity_id     TEXT    NOT NULL DEFAULT '',
    credential_id   TEXT    NOT NULL DEFAULT '',
    matched_by      TEXT    NOT NULL DEFAULT '',
    first_seen_at   INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    seen_count      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (fingerprint, source, file, line, commit_id)
);
CREATE INDEX leaks_last_seen ON leaks (last_seen_at, id);
CREATE INDEX leaks_identity ON leaks (identity_id, last_seen_at, id) WHERE identity_id <> '';
