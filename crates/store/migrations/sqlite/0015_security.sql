-- Security at the boundary.

-- Which Open311 client application sent a request: a client may post updates to its own
-- requests only.
ALTER TABLE hotline_requests ADD COLUMN open311_key_id INTEGER REFERENCES open311_keys (id);

-- Who uploaded a photo, for the per-user daily upload quota.
ALTER TABLE photos ADD COLUMN uploaded_by INTEGER REFERENCES users (id);
CREATE INDEX photos_uploader ON photos (uploaded_by, created_at);

-- A role that opens household files, granted by an administrator, waits for a second
-- officer's approval before it takes effect (and auditors see every such grant).
CREATE TABLE role_grants (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    requested_by INTEGER REFERENCES users (id),
    requested_by_name TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused')),
    decided_by INTEGER REFERENCES users (id),
    decided_at INTEGER,
    -- Nobody approves their own grant.
    CHECK (decided_by IS NULL OR requested_by IS NULL OR decided_by <> requested_by)
);
CREATE UNIQUE INDEX role_grants_pending ON role_grants (user_id, role) WHERE state = 'pending';

-- Leads merge only within their region: open leads' keys start with it.
UPDATE leads SET match_key = CAST(region_code AS TEXT) || '|' || match_key
WHERE is_open AND match_key NOT LIKE '%|%';

-- Client keys are kept with their sender (a user's key never finds another user's record);
-- the product's own keys (`screen:`, `12345:`) stay as they are.
UPDATE clues SET client_key = 'u' || CAST(reporter_user_id AS TEXT) || ':' || client_key
WHERE client_key IS NOT NULL AND reporter_user_id IS NOT NULL
  AND client_key NOT LIKE 'screen:%' AND client_key NOT LIKE '12345:%';
UPDATE hotline_requests SET client_key = 'u' || CAST(created_by AS TEXT) || ':' || client_key
WHERE client_key IS NOT NULL AND created_by IS NOT NULL;
