-- Behavioural monitoring (postgres): per-actor baselines (the monitor's own
-- JSON state, keyed by provider|external id), detections with their
-- evidence, and alerts that could not be delivered. Times are Unix
-- microseconds.

CREATE TABLE baselines (
    actor_key   TEXT COLLATE "C" PRIMARY KEY,
    identity_id TEXT   NOT NULL DEFAULT '',
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    events      BIGINT NOT NULL,
    state       TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE detections (
    id             TEXT COLLATE "C" PRIMARY KEY,
    detector       TEXT   NOT NULL,
    severity       TEXT   NOT NULL,
    severity_rank  BIGINT NOT NULL,
    time           BIGINT NOT NULL,
    detected_at    BIGINT NOT NULL,
    identity_id    TEXT   NOT NULL DEFAULT '',
    provider       TEXT   NOT NULL DEFAULT '',
    identity       TEXT   NOT NULL,
    technique      TEXT   NOT NULL DEFAULT '',
    technique_name TEXT   NOT NULL DEFAULT '',
    owasp          TEXT   NOT NULL DEFAULT '',
    explanation    TEXT   NOT NULL,
    event_ids      TEXT   NOT NULL,
    evidence       TEXT   NOT NULL,
    responses      TEXT   NOT NULL
);
CREATE INDEX detections_time ON detections (time, id);
CREATE INDEX detections_identity ON detections (identity_id, time, id);

CREATE TABLE alert_dead_letters (
    id           TEXT COLLATE "C" PRIMARY KEY,
    sink         TEXT   NOT NULL,
    target       TEXT   NOT NULL,
    detection_id TEXT   NOT NULL DEFAULT '',
    payload      TEXT   NOT NULL,
    attempts     BIGINT NOT NULL,
    last_error   TEXT   NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);
CREATE INDEX alert_dead_letters_created ON alert_dead_letters (created_at, id);
