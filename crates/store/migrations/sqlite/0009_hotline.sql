-- The 12345 hotline (12345热线): requests from calls, the public form and Open311; what they are
-- about and where; the unit answering; deadlines, chasing, extensions, replies, call-backs; and
-- every step as an event. A citizen's contact stays in this table only (never in events, public
-- pages or Open311 output).
CREATE TABLE hotline_requests (
    id INTEGER PRIMARY KEY,
    token TEXT NOT NULL CONSTRAINT hotline_requests_token_unique UNIQUE,
    client_key TEXT CONSTRAINT hotline_requests_client_key_unique UNIQUE,
    channel TEXT NOT NULL CHECK (channel IN ('phone', 'web', 'open311')),
    description TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    latitude REAL,
    longitude REAL,
    attributes TEXT NOT NULL DEFAULT '{}',
    contact_name TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL,
    subcategory TEXT NOT NULL,
    request_type TEXT NOT NULL,
    confidence REAL NOT NULL,
    classified_by TEXT NOT NULL CHECK (classified_by IN ('model', 'agent', 'citizen')),
    -- The most precise area known: a town, a district, or the municipality when none is.
    region_code INTEGER NOT NULL REFERENCES regions (code),
    district_code INTEGER REFERENCES regions (code),
    -- The unit answering; NULL while the centre holds it (manual dispatch, or returned).
    unit_id INTEGER REFERENCES units (id),
    state TEXT NOT NULL CHECK (state IN ('centre', 'dispatched', 'accepted', 'replied', 'closed', 'merged')),
    transfers INTEGER NOT NULL DEFAULT 0,
    reworks INTEGER NOT NULL DEFAULT 0,
    due_at INTEGER NOT NULL,
    chased_at INTEGER,
    chases INTEGER NOT NULL DEFAULT 0,
    escalated INTEGER NOT NULL DEFAULT 0,
    extension_state TEXT CHECK (extension_state IN ('requested', 'granted', 'refused')),
    extension_days INTEGER,
    extension_reason TEXT NOT NULL DEFAULT '',
    reply TEXT NOT NULL DEFAULT '',
    replied_at INTEGER,
    -- Replied is not resolved: the unit says whether the problem itself was solved.
    resolved INTEGER,
    satisfaction TEXT CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    callback_at INTEGER,
    merged_into INTEGER REFERENCES hotline_requests (id),
    clue_id INTEGER REFERENCES clues (id),
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER,
    row_version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX hotline_requests_unit ON hotline_requests (unit_id, state);
CREATE INDEX hotline_requests_state ON hotline_requests (state, due_at);
CREATE INDEX hotline_requests_created ON hotline_requests (created_at);
CREATE INDEX hotline_requests_district ON hotline_requests (district_code, created_at);
CREATE INDEX hotline_requests_updated ON hotline_requests (updated_at);

-- Every step of a request. `note` is for staff; `public_note` may be shown to the citizen and on
-- Open311 (servicerequestupdates) and must hold no personal data.
CREATE TABLE hotline_events (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES hotline_requests (id),
    at INTEGER NOT NULL,
    user_id INTEGER REFERENCES users (id),
    username TEXT NOT NULL,
    unit_id INTEGER REFERENCES units (id),
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    public_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX hotline_events_request ON hotline_events (request_id, id);
CREATE INDEX hotline_events_at ON hotline_events (at);

-- An agent's correction of the classifier: training data for the next model.
CREATE TABLE hotline_labels (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES hotline_requests (id),
    text TEXT NOT NULL,
    subcategory TEXT NOT NULL,
    request_type TEXT NOT NULL,
    model_subcategory TEXT NOT NULL,
    model_type TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    at INTEGER NOT NULL
);

-- Open311 client keys (api_key): stored as SHA-256, named after the application using them.
CREATE TABLE open311_keys (
    id INTEGER PRIMARY KEY,
    key_hash TEXT NOT NULL CONSTRAINT open311_keys_hash_unique UNIQUE,
    client_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
