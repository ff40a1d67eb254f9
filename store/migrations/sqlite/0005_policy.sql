-- Policy decision point (SQLite): versioned Cedar policy sets, their
-- activation history, user-supplied policy entities and the decision log.
-- Times are Unix microseconds (UTC).

CREATE TABLE policy_versions (
    version             BIGINT PRIMARY KEY,
    description         TEXT   NOT NULL DEFAULT '',
    policies            TEXT   NOT NULL, -- JSON object: file name -> Cedar text
    schema_text         TEXT   NOT NULL,
    disabled_guardrails TEXT   NOT NULL DEFAULT '[]',
    digest              TEXT   NOT NULL,
    created_at          BIGINT NOT NULL,
    created_by          TEXT   NOT NULL
);

-- policy_activations is the history of activations and rollbacks; the row
-- with the highest seq names the active version.
CREATE TABLE policy_activations (
    seq       BIGINT PRIMARY KEY,
    version   BIGINT NOT NULL REFERENCES policy_versions (version),
    previous  BIGINT NOT NULL,
    action    TEXT   NOT NULL,
    time      BIGINT NOT NULL,
    actor     TEXT   NOT NULL
);

CREATE TABLE policy_entities (
    type       TEXT NOT NULL,
    id         TEXT NOT NULL,
    parents    TEXT   NOT NULL DEFAULT '[]',
    attrs      TEXT   NOT NULL DEFAULT '{}',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (type, id)
);

CREATE TABLE decisions (
    id             TEXT PRIMARY KEY, -- UUIDv7: orders by time
    time           BIGINT NOT NULL,
    source         TEXT   NOT NULL,
    principal_type TEXT   NOT NULL,
    principal_id   TEXT   NOT NULL,
    identity_id    TEXT   NOT NULL DEFAULT '',
    action_type    TEXT   NOT NULL,
    action_id      TEXT   NOT NULL,
    resource_type  TEXT   NOT NULL,
    resource_id    TEXT   NOT NULL,
    decision       TEXT   NOT NULL,
    policies       TEXT   NOT NULL DEFAULT '[]',
    errors         TEXT   NOT NULL DEFAULT '[]',
    policy_version BIGINT NOT NULL,
    latency_us     BIGINT NOT NULL,
    request        TEXT   NOT NULL
);
CREATE INDEX decisions_time ON decisions (time, id);
CREATE INDEX decisions_identity ON decisions (identity_id, time, id);
CREATE INDEX decisions_denied ON decisions (time, id) WHERE decision = 'deny';
