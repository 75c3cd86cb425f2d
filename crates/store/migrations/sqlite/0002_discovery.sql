-- Proactive discovery (主动发现): clues, leads, visits, household files, timeline, work groups.

-- The three-level organisation (三级本土甄别体系): one group per region and level.
CREATE TABLE work_groups (
    id INTEGER PRIMARY KEY,
    level TEXT NOT NULL CHECK (level IN ('district', 'town', 'community')),
    region_code INTEGER NOT NULL REFERENCES regions (code),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT work_groups_region_level_unique UNIQUE (region_code, level)
);

CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES work_groups (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    position TEXT NOT NULL CHECK (position IN ('leader', 'deputy', 'liaison', 'staff', 'grid_worker', 'volunteer')),
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- A lead gathers every clue about one household or person. While it is open, its match key is
-- unique, which is what merges concurrent clues about the same people into one.
CREATE TABLE leads (
    id INTEGER PRIMARY KEY,
    match_key TEXT NOT NULL,
    is_open BOOLEAN NOT NULL,
    region_code INTEGER NOT NULL REFERENCES regions (code),
    person_id INTEGER REFERENCES persons (id),
    household_id INTEGER REFERENCES households (id),
    subject_name TEXT NOT NULL,
    address TEXT NOT NULL,
    urgency TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'emergency')),
    sources INTEGER NOT NULL,
    channels TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'registered', 'merged', 'closed')),
    first_clue_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    escalate_town_at INTEGER NOT NULL,
    escalate_district_at INTEGER NOT NULL,
    visited_at INTEGER,
    closed_at INTEGER,
    close_reason TEXT,
    household_file_id INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX leads_open_match ON leads (match_key) WHERE is_open;
CREATE INDEX leads_region_open ON leads (region_code, is_open, due_at);
-- The figures read these by area and period without touching the table.
CREATE INDEX leads_region_first ON leads (region_code, first_clue_at);
CREATE INDEX leads_region_closed ON leads (region_code, closed_at, close_reason);
CREATE INDEX leads_region_visited ON leads (region_code, visited_at, first_clue_at);

CREATE TABLE clues (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('volunteer', 'grid_worker', 'sweep', 'hotline', 'screening', 'application', 'department')),
    reporter_user_id INTEGER REFERENCES users (id),
    source_ref TEXT NOT NULL DEFAULT '',
    client_key TEXT CONSTRAINT clues_client_key_unique UNIQUE,
    description TEXT NOT NULL,
    address TEXT NOT NULL,
    region_code INTEGER NOT NULL REFERENCES regions (code),
    person_name TEXT NOT NULL,
    id_number TEXT,
    urgency TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'emergency')),
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    lead_id INTEGER NOT NULL REFERENCES leads (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX clues_lead ON clues (lead_id);
CREATE INDEX clues_reporter ON clues (reporter_user_id, id);
CREATE INDEX clues_region_created ON clues (region_code, created_at, channel);

-- A household file (建档). A household never has two.
CREATE TABLE household_files (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id) CONSTRAINT household_files_household_unique UNIQUE,
    region_code INTEGER NOT NULL REFERENCES regions (code),
    state TEXT NOT NULL CHECK (state IN ('watch', 'assisted', 'not_eligible_helped', 'closed')),
    lead_id INTEGER REFERENCES leads (id),
    registered_at INTEGER NOT NULL,
    registered_by INTEGER REFERENCES users (id),
    close_reason TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
);
CREATE INDEX household_files_region ON household_files (region_code, state);
CREATE INDEX household_files_registered ON household_files (region_code, registered_at);

CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id),
    visitor_user_id INTEGER REFERENCES users (id),
    visited_at INTEGER NOT NULL,
    findings TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('register', 'merge', 'close')),
    household_file_id INTEGER REFERENCES household_files (id),
    close_reason TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX visits_lead ON visits (lead_id);

-- Everything that happens to a household, in order.
CREATE TABLE timeline (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    at INTEGER NOT NULL,
    user_id INTEGER,
    username TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX timeline_household ON timeline (household_id, at);
