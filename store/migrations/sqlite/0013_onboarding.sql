-- Onboarding (sqlite): requests for new managed identities and claims of
-- discovered ones. The whole request is kept as JSON in doc; the columns
-- beside it are what listings filter on. Times are Unix microseconds.
-- identity_id is the claimed identity, or the created one once approved.

CREATE TABLE onboarding_requests (
    id          TEXT PRIMARY KEY,
    type        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    identity_id TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    doc         TEXT    NOT NULL
);
CREATE INDEX onboarding_requests_created ON onboarding_requests (created_at, id);
CREATE INDEX onboarding_requests_status ON onboarding_requests (status, created_at, id);
CREATE INDEX onboarding_requests_identity ON onboarding_requests (identity_id, status);
