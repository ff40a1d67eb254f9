-- Phased enforcement and provenance (postgres). Times are Unix microseconds.

-- enforcement_settings: the mode of each control per scope (all,
-- environment:NAME, team:NAME). A control without a setting runs in its
-- default mode.
CREATE TABLE enforcement_settings (
    control    TEXT COLLATE "C" NOT NULL,
    scope      TEXT COLLATE "C" NOT NULL,
    mode       TEXT   NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT   NOT NULL,
    PRIMARY KEY (control, scope)
);

-- enforcement_events: what automatic governance actions did (enforced) or
-- would have done (monitor mode). The whole event is the JSON doc.
CREATE TABLE enforcement_events (
    id          TEXT COLLATE "C" PRIMARY KEY,
    time        BIGINT  NOT NULL,
    control     TEXT    NOT NULL,
    enforced    BOOLEAN NOT NULL,
    identity_id TEXT COLLATE "C" NOT NULL,
    doc         TEXT    NOT NULL
);
CREATE INDEX enforcement_events_time ON enforcement_events (time, id);
CREATE INDEX enforcement_events_identity ON enforcement_events (identity_id, time, id);

-- provenance: who created an identity or its credentials, from activity
-- logs. creator_key and creator_ref_key are lower-cased for lookups.
CREATE TABLE provenance (
    id                     TEXT COLLATE "C" PRIMARY KEY,
    source                 TEXT   NOT NULL,
    event_id               TEXT   NOT NULL,
    provider               TEXT   NOT NULL,
    identity_external_id   TEXT   NOT NULL,
    identity_id            TEXT COLLATE "C" NOT NULL DEFAULT '',
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
    identity_id TEXT COLLATE "C" NOT NULL,
    owner       TEXT   NOT NULL,
    time        BIGINT NOT NULL
);
CREATE INDEX ownership_changes_identity ON ownership_changes (identity_id, time);
CREATE INDEX ownership_changes_time ON ownership_changes (time);

CREATE FUNCTION record_ownership_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.owner = '' THEN
            INSERT INTO ownership_changes (identity_id, owner, time) VALUES (NEW.id, '', NEW.created_at);
        END IF;
    ELSIF OLD.owner IS DISTINCT FROM NEW.owner THEN
        INSERT INTO ownership_changes (identity_id, owner, time) VALUES (NEW.id, NEW.owner, NEW.updated_at);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER identities_ownership AFTER INSERT OR UPDATE OF owner ON identities
FOR EACH ROW EXECUTE FUNCTION record_ownership_change();

-- Decisions taken in monitor mode are allowed but record that the policy
-- set would have denied them.
ALTER TABLE decisions ADD COLUMN would_deny BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX decisions_would_deny ON decisions (time, id) WHERE would_deny;
