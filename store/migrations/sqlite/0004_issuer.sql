-- Issuer (issue 5): signing keys sealed under the key-encryption key,
-- registration entries, one-time join tokens, the record of every issued
-- credential and a replay cache of one-time token ids. Times are Unix
-- microseconds (UTC).

CREATE TABLE issuer_keys (
    id             TEXT PRIMARY KEY,
    purpose        TEXT    NOT NULL,
    algorithm      TEXT    NOT NULL,
    state          TEXT    NOT NULL,
    public_key     TEXT    NOT NULL,
    certificate    TEXT    NOT NULL DEFAULT '',
    private_sealed BLOB    NOT NULL,
    created_at     INTEGER NOT NULL,
    not_after      INTEGER,
    activated_at   INTEGER,
    retired_at     INTEGER
);
CREATE INDEX issuer_keys_purpose ON issuer_keys (purpose, state);

CREATE TABLE registration_entries (
    id          TEXT PRIMARY KEY,
    spiffe_id   TEXT    NOT NULL,
    identity_id TEXT    NOT NULL REFERENCES identities (id),
    method      TEXT    NOT NULL,
    oidc_issuer TEXT    NOT NULL DEFAULT '',
    selectors   TEXT    NOT NULL DEFAULT '{}',
    x509_ttl    INTEGER NOT NULL DEFAULT 0,
    jwt_ttl     INTEGER NOT NULL DEFAULT 0,
    audiences   TEXT    NOT NULL DEFAULT '[]',
    scopes      TEXT    NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL
);
CREATE INDEX registration_entries_method ON registration_entries (method, oidc_issuer, created_at, id);

CREATE TABLE join_tokens (
    id          TEXT PRIMARY KEY,
    entry_id    TEXT    NOT NULL REFERENCES registration_entries (id),
    secret_hash TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

-- issued_credentials keeps no foreign keys: it is history and outlives
-- entries that are deleted.
CREATE TABLE issued_credentials (
    id            TEXT PRIMARY KEY,
    kind          TEXT    NOT NULL,
    identity_id   TEXT    NOT NULL,
    entry_id      TEXT    NOT NULL,
    spiffe_id     TEXT    NOT NULL,
    attestation   TEXT    NOT NULL,
    audience      TEXT    NOT NULL DEFAULT '[]',
    scope         TEXT    NOT NULL DEFAULT '[]',
    actors        TEXT    NOT NULL DEFAULT '[]',
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    revoke_reason TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX issued_credentials_issued ON issued_credentials (issued_at, id);
CREATE INDEX issued_credentials_identity ON issued_credentials (identity_id, issued_at, id);
CREATE INDEX issued_credentials_entry ON issued_credentials (entry_id, issued_at, id);
CREATE INDEX issued_credentials_revoked ON issued_credentials (kind, expires_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE used_jtis (
    issuer     TEXT    NOT NULL,
    jti        TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX used_jtis_expires ON used_jtis (expires_at);
