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
