-- Review campaigns (postgres): recertification rounds and one item per
-- identity. Each row keeps the whole object as JSON in doc; the columns
-- beside it are what listings and the sweep filter on. Times are Unix
-- microseconds. sort_key is owner, a 0x1f separator and identity name, so
-- that items list grouped by owner (byte order, as in SQLite).

CREATE TABLE review_campaigns (
    id         TEXT COLLATE "C" PRIMARY KEY,
    status     TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    due_at     BIGINT NOT NULL,
    doc        TEXT   NOT NULL
);
CREATE INDEX review_campaigns_created ON review_campaigns (created_at, id);
CREATE INDEX review_campaigns_status ON review_campaigns (status, created_at, id);
CREATE INDEX review_campaigns_due ON review_campaigns (due_at);

CREATE TABLE review_items (
    id          TEXT COLLATE "C" PRIMARY KEY,
    campaign_id TEXT COLLATE "C" NOT NULL REFERENCES review_campaigns (id),
    identity_id TEXT COLLATE "C" NOT NULL,
    owner       TEXT COLLATE "C" NOT NULL,
    status      TEXT NOT NULL,
    answer      TEXT NOT NULL DEFAULT '',
    sort_key    TEXT COLLATE "C" NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX review_items_campaign ON review_items (campaign_id, sort_key, id);
CREATE INDEX review_items_owner ON review_items (owner, status);
CREATE INDEX review_items_identity ON review_items (identity_id, status);
