-- Owner suggestions (postgres): who may answer for an unowned identity,
-- with the evidence. The whole suggestion is kept as JSON in doc; the
-- columns beside it are what listings filter on. owner_key is the owner
-- trimmed and lower-cased: one suggestion per identity and owner, so a
-- rejected owner is remembered and never suggested again. Times are Unix
-- microseconds.

CREATE TABLE owner_suggestions (
    id          TEXT COLLATE "C" PRIMARY KEY,
    identity_id TEXT COLLATE "C" NOT NULL,
    owner_key   TEXT COLLATE "C" NOT NULL,
    status      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    doc         TEXT   NOT NULL,
    UNIQUE (identity_id, owner_key)
);
CREATE INDEX owner_suggestions_created ON owner_suggestions (created_at, id);
CREATE INDEX owner_suggestions_status ON owner_suggestions (status, created_at, id);
