-- The console's overview counts identities by kind, provider, status,
-- onboarding and ownership on every load (sqlite). This covering index lets
-- that count read a small index in its group order instead of every row.

CREATE INDEX identities_shape ON identities (kind, provider, status, managed, (owner = ''));
