-- Offboarding (postgres): departed people and the identities they owned.
-- The whole offboarding (items, credentials to rotate) is kept as JSON in
-- doc; the columns beside it are what listings and the sweep filter on.
-- Times are Unix microseconds. A person has at most one open offboarding.

CREATE TABLE offboardings (
    id         TEXT COLLATE "C" PRIMARY KEY,
    person     TEXT   NOT NULL,
    status     TEXT   NOT NULL,
    deadline   BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    doc        TEXT   NOT NULL
);
CREATE INDEX offboardings_created ON offboardings (created_at, id);
CREATE INDEX offboardings_person ON offboardings (person, created_at);
CREATE INDEX offboardings_due ON offboardings (deadline, id) WHERE status = 'open';
CREATE UNIQUE INDEX offboardings_open_person ON offboardings (person) WHERE status = 'open';

-- Offboarding finds a person's identities by owner, case-insensitively.
CREATE INDEX identities_owner_lower ON identities (LOWER(owner)) WHERE owner <> '';
