-- warden schema v3 (SQLite): governance findings, posture time series and
-- the risk score of identities.

-- findings are unique per (identity, rule, subject): raising one again
-- refreshes it. owasp and nist are JSON arrays; owasp_keys holds the OWASP
-- ids as ",NHI1,NHI7," so one LIKE filters by id. suppression is the JSON
-- of the suppression or ''. severity_rank orders by severity (info 0 ..
-- critical 4).
CREATE TABLE findings (
    id               TEXT PRIMARY KEY,
    identity_id      TEXT    NOT NULL REFERENCES identities (id),
    rule_id          TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    severity         TEXT    NOT NULL,
    severity_rank    INTEGER NOT NULL,
    title            TEXT    NOT NULL,
    detail           TEXT    NOT NULL,
    evidence         TEXT    NOT NULL,
    owasp            TEXT    NOT NULL,
    owasp_keys       TEXT    NOT NULL,
    nist             TEXT    NOT NULL,
    remediation      TEXT    NOT NULL,
    source           TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    first_seen_at    INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    resolved_at      INTEGER,
    suppression      TEXT    NOT NULL,
    suppressed_until INTEGER,
    UNIQUE (identity_id, rule_id, subject)
);
CREATE INDEX findings_list ON findings (id);
CREATE INDEX findings_status ON findings (status, id);
CREATE INDEX findings_rule ON findings (rule_id, status, id);

-- posture_snapshots is the posture time series; data is the snapshot's JSON.
CREATE TABLE posture_snapshots (
    id   TEXT PRIMARY KEY,
    time INTEGER NOT NULL,
    data TEXT    NOT NULL
);
CREATE INDEX posture_snapshots_time ON posture_snapshots (time, id);

ALTER TABLE identities ADD COLUMN risk_score INTEGER NOT NULL DEFAULT 0;
CREATE INDEX identities_risk ON identities (risk_score, id);
