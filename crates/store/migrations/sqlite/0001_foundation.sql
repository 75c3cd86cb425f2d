-- minsheng foundation schema (SQLite). Applied migrations are never edited; add a new file.
-- Timestamps are milliseconds since the Unix epoch. Region codes are their 12-digit form.

CREATE TABLE regions (
    code INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    parent_code INTEGER REFERENCES regions (code),
    level TEXT NOT NULL CHECK (level IN ('province', 'city', 'district', 'town', 'community', 'zone')),
    official BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX regions_parent ON regions (parent_code);

-- A functional zone (功能区) covers whole towns of several districts.
CREATE TABLE zone_members (
    zone_code INTEGER NOT NULL REFERENCES regions (code),
    town_code INTEGER NOT NULL REFERENCES regions (code),
    PRIMARY KEY (zone_code, town_code)
);

CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CONSTRAINT units_name_unique UNIQUE,
    kind TEXT NOT NULL,
    region_code INTEGER NOT NULL REFERENCES regions (code),
    created_at INTEGER NOT NULL
);
CREATE INDEX units_region ON units (region_code);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL CONSTRAINT users_username_unique UNIQUE,
    display_name TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units (id),
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
);
CREATE INDEX users_unit ON users (unit_id);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- Only a hash of the session token is stored: a copy of the table logs nobody in.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL CONSTRAINT api_tokens_hash_unique UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- Failed logins per user name and per client address, for throttling and lockout.
CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);

CREATE TABLE households (
    id INTEGER PRIMARY KEY,
    external_key TEXT CONSTRAINT households_external_key_unique UNIQUE,
    region_code INTEGER NOT NULL REFERENCES regions (code),
    address TEXT NOT NULL,
    head_person_id INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX households_region ON households (region_code, id);

CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    id_number TEXT NOT NULL CONSTRAINT persons_id_number_unique UNIQUE,
    name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    phone TEXT,
    household_id INTEGER REFERENCES households (id),
    relation_code TEXT,
    region_code INTEGER NOT NULL REFERENCES regions (code),
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX persons_household ON persons (household_id);
CREATE INDEX persons_region ON persons (region_code, id);
CREATE INDEX persons_name ON persons (name);

-- Every household a person has belonged to; the open row (left_at NULL) is the current one.
CREATE TABLE household_memberships (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id),
    household_id INTEGER NOT NULL REFERENCES households (id),
    relation_code TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    left_at INTEGER,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX memberships_person ON household_memberships (person_id);
CREATE INDEX memberships_household ON household_memberships (household_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user_id INTEGER,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit_log (at);
CREATE INDEX audit_subject ON audit_log (subject_kind, subject_id);
CREATE INDEX audit_user ON audit_log (username, at);

-- The audit log is append-only, whatever connects to the database.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
