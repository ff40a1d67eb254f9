-- Just-in-time access (postgres): requests and the grants they become. The
-- whole request is kept as JSON in doc; the columns beside it are what
-- listings and the decision point filter on. Times are Unix microseconds;
-- expires_at is 0 until a request is approved.

CREATE TABLE access_requests (
    id             TEXT COLLATE "C" PRIMARY KEY,
    identity_id    TEXT COLLATE "C" NOT NULL,
    status         TEXT    NOT NULL,
    break_glass    BOOLEAN NOT NULL DEFAULT FALSE,
    review_pending BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL DEFAULT 0,
    doc            TEXT    NOT NULL
);
CREATE INDEX access_requests_created ON access_requests (created_at, id);
CREATE INDEX access_requests_identity ON access_requests (identity_id, status, expires_at);
CREATE INDEX access_requests_status ON access_requests (status, expires_at);
CREATE INDEX access_requests_review ON access_requests (created_at, id) WHERE review_pending;
