-- Volunteer services (e.g. mutual-aid elderly care 互助养老): a volunteer assigned to a household
-- for recurring visits (every so many days), each visit logged with its hours and, when the
-- village committee pays one, the stipend. Missed visits are computed from the recurrence.
CREATE TABLE volunteer_assignments (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    region_code INTEGER NOT NULL REFERENCES regions (code),
    volunteer TEXT NOT NULL CHECK (volunteer <> ''),
    service TEXT NOT NULL,
    every_days INTEGER NOT NULL CHECK (every_days BETWEEN 1 AND 90),
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    -- The stipend a visit earns, in fen, and who pays it (the village committee), if any.
    stipend_fen INTEGER CHECK (stipend_fen IS NULL OR stipend_fen > 0),
    stipend_payer TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX volunteer_assignments_region ON volunteer_assignments (region_code);

CREATE TABLE volunteer_visits (
    id INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES volunteer_assignments (id),
    visited_on TEXT NOT NULL,
    hours REAL NOT NULL CHECK (hours > 0 AND hours <= 24),
    note TEXT NOT NULL DEFAULT '',
    stipend_fen INTEGER,
    recorded_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    CONSTRAINT volunteer_visits_day_unique UNIQUE (assignment_id, visited_on)
);
