-- The console's overview counts identities by kind, provider, status,
-- onboarding and ownership on every load (postgres). This covering index
-- lets that count read a small index instead of every row.

CREATE INDEX identities_shape ON identities (kind, provider, status, managed, (owner = ''));
