-- warden schema v2 (PostgreSQL): grants of identities and activity events.

-- grants holds the normalised permission and trust statements of
-- identities, replaced as a set per (identity, source) by importers.
-- actions, resources and principals are JSON arrays; conditions is JSON.
CREATE TABLE grants (
    id          TEXT COLLATE "C" PRIMARY KEY,
    identity_id TEXT    NOT NULL REFERENCES identities (id),
    source      TEXT    NOT NULL,
    position    INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    effect      TEXT    NOT NULL,
    actions     TEXT    NOT NULL,
    resources   TEXT    NOT NULL,
    principals  TEXT    NOT NULL,
    conditions  TEXT    NOT NULL,
    via         TEXT    NOT NULL,
    scope       TEXT    NOT NULL
);
CREATE INDEX grants_identity ON grants (identity_id, source, position);

-- events is normalised activity. (source, raw_id) is unique so that
-- ingesting the same log twice stores each record once. identity_id has no
-- foreign key: events outlive nothing (identities are never deleted) and a
-- per-row check slows bulk ingestion.
CREATE TABLE events (
    id            TEXT COLLATE "C" PRIMARY KEY,
    time          BIGINT  NOT NULL,
    source        TEXT    NOT NULL,
    raw_id        TEXT    NOT NULL,
    source_ref    TEXT    NOT NULL,
    identity_id   TEXT    NOT NULL,
    provider      TEXT    NOT NULL,
    principal     TEXT    NOT NULL,
    credential_id TEXT    NOT NULL,
    session       TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    resource      TEXT    NOT NULL,
    source_ip     TEXT    NOT NULL,
    user_agent    TEXT    NOT NULL,
    region        TEXT    NOT NULL,
    outcome       TEXT    NOT NULL,
    error_code    TEXT    NOT NULL,
    interactive   BOOLEAN NOT NULL,
    UNIQUE (source, raw_id)
);
CREATE INDEX events_time ON events (time, id);
CREATE INDEX events_identity ON events (identity_id, time, id);

-- Activity names credentials by public id only (an access key id), so last
-- use is found by public id without the type.
CREATE INDEX credentials_public_id_any ON credentials (public_id) WHERE public_id <> '';
