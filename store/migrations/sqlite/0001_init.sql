-- warden schema v1 (SQLite). Times are Unix microseconds (UTC) in INTEGER
-- columns so that both dialects store them exactly and sort them alike.

CREATE TABLE identities (
    id             TEXT PRIMARY KEY,
    kind           TEXT    NOT NULL,
    provider       TEXT    NOT NULL,
    external_id    TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    owner          TEXT    NOT NULL DEFAULT '',
    purpose        TEXT    NOT NULL DEFAULT '',
    environment    TEXT    NOT NULL DEFAULT '',
    labels         TEXT    NOT NULL DEFAULT '{}',
    status         TEXT    NOT NULL,
    status_reason  TEXT    NOT NULL DEFAULT '',
    managed        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    first_seen_at  INTEGER,
    last_used_at   INTEGER,
    next_review_at INTEGER,
    search         TEXT    NOT NULL,
    UNIQUE (external_id, provider)
);
CREATE INDEX identities_created ON identities (created_at, id);
CREATE INDEX identities_name ON identities (name, id);
CREATE INDEX identities_last_used ON identities (COALESCE(last_used_at, 0), id);
CREATE INDEX identities_next_review ON identities (COALESCE(next_review_at, 0), id);
CREATE INDEX identities_kind ON identities (kind, created_at, id);
CREATE INDEX identities_owner ON identities (owner, created_at, id);
-- Nearly every identity is active: index only the others, so the index is
-- cheap to maintain and listing quarantined or disabled identities is fast.
CREATE INDEX identities_not_active ON identities (status, created_at, id) WHERE status <> 'active';

-- identity_labels indexes the labels of identities for filtering (the
-- identities.labels column is the copy that is read). It has no foreign key:
-- labels are written only together with their identity, identities are
-- never deleted (deprovisioning keeps the row), and a per-row foreign-key
-- check made bulk imports several times slower on PostgreSQL.
CREATE TABLE identity_labels (
    identity_id TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (identity_id, key)
);
CREATE INDEX identity_labels_key_value ON identity_labels (key, value);

CREATE TABLE credentials (
    id              TEXT PRIMARY KEY,
    identity_id     TEXT    NOT NULL REFERENCES identities (id),
    type            TEXT    NOT NULL,
    public_id       TEXT    NOT NULL DEFAULT '',
    fingerprint     TEXT    NOT NULL DEFAULT '',
    description     TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    last_rotated_at INTEGER,
    last_used_at    INTEGER
);
CREATE INDEX credentials_identity ON credentials (identity_id, created_at, id);
CREATE INDEX credentials_created ON credentials (created_at, id);
CREATE UNIQUE INDEX credentials_public_id ON credentials (type, public_id) WHERE public_id <> '';
CREATE UNIQUE INDEX credentials_fingerprint ON credentials (fingerprint) WHERE fingerprint <> '';

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

-- The audit log is append-only; audit_head holds the last record's sequence
-- number and hash so that deleting records at the end is detected too.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    time        INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target_type TEXT    NOT NULL,
    target_id   TEXT    NOT NULL,
    before      TEXT    NOT NULL,
    after       TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, seq);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
