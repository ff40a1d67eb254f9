-- Phased enforcement and provenance (sqlite). Times are Unix microseconds.

-- enforcement_settings: the mode of each control per scope (all,
-- environment:NAME, team:NAME). A control without a setting runs in its
-- default mode.
CREATE TABLE enforcement_settings (
    control    TEXT   NOT NULL,
    scope      TEXT   NOT NULL,
    mode       TEXT   NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT   NOT NULL,
    PRIMARY KEY (control, scope)
);

-- enforcement_events: what automatic governance actions did (enforced) or
-- would have done (monitor mode). The whole event is the JSON doc.
CREATE TABLE enforcement_events (
    id          TEXT    PRIMARY KEY,
    time        BIGINT  NOT NULL,
    control     TEXT    NOT NULL,
    enforced    INTEGER NOT NULL,
    identity_id TEXT    NOT NULL,
    doc         TEXT    NOT NULL
);
CREATE INDEX enforcement_events_time ON enforcement_events (time, id);
CREATE INDEX enforcement_events_identity ON enforcement_events (identity_id, time, id);

-- provenance: who created an identity or its credentials, from activity
-- logs. creator_key and creator_ref_key are lower-cased for lookups.
CREATE TABLE provenance (
    id                     TEXT   PRIMARY KEY,
    source                 TEXT   NOT NULL,
    event_id               TEXT   NOT NULL,
    provider               TEXT   NOT NULL,
    identity_external_id   TEXT   NOT NULL,
    identity_id            TEXT   NOT NULL DEFAULT '',
    credential_external_id TEXT   NOT NULL DEFAULT '',
    creator_key            TEXT   NOT NULL,
    creator_ref_key        TEXT   NOT NULL,
    time                   BIGINT NOT NULL,
    doc                    TEXT   NOT NULL,
    UNIQUE (source, event_id, identity_external_id, credential_external_id)
);
CREATE INDEX provenance_identity ON provenance (identity_id, time);
CREATE INDEX provenance_external ON provenance (provider, identity_external_id);
CREATE INDEX provenance_creator ON provenance (creator_key, time);
CREATE INDEX provenance_creator_ref ON provenance (creator_ref_key, time);

-- ownership_changes: every change of an identity's owner ('' = unowned),
-- written by triggers so that no path (API, import, claim, offboarding)
-- is missed. The programme metrics read the time it takes to assign an
-- owner from it.
CREATE TABLE ownership_changes (
    identity_id TEXT   NOT NULL,
    owner       TEXT   NOT NULL,
    time        BIGINT NOT NULL
);
CREATE INDEX ownership_changes_identity ON ownership_changes (identity_id, time);
CREATE INDEX ownership_changes_time ON ownership_changes (time);

CREATE TRIGGER identities_created_unowned AFTER INSERT ON identities
WHEN NEW.owner = ''
BEGIN
    INSERT INTO ownership_changes (identity_id, owner, time) VALUES (NEW.id, '', NEW.created_at);
END;

CREATE TRIGGER identities_owner_changed AFTER UPDATE OF owner ON identities
WHEN OLD.owner IS NOT NEW.owner
BEGIN
    INSERT INTO ownership_changes (identity_id, owner, time) VALUES (NEW.id, NEW.owner, NEW.updated_at);
END;

-- Decisions taken in monitor mode are allowed but record that the policy
-- set would have denied them.
ALTER TABLE decisions ADD COLUMN would_deny INTEGER NOT NULL DEFAULT 0;
CREATE INDEX decisions_would_deny ON decisions (time, id) WHERE would_deny = 1;
