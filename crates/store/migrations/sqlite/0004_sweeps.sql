-- Sweeps (扫楼 / 过筛子): a campaign that visits every household of a community.
CREATE TABLE sweeps (
    id INTEGER PRIMARY KEY,
    region_code INTEGER NOT NULL REFERENCES regions (code),
    name TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX sweeps_region ON sweeps (region_code, created_at);

CREATE TABLE sweep_visits (
    sweep_id INTEGER NOT NULL REFERENCES sweeps (id),
    household_id INTEGER NOT NULL REFERENCES households (id),
    visited_by INTEGER REFERENCES users (id),
    visited_at INTEGER NOT NULL,
    finding TEXT NOT NULL CHECK (finding IN ('fine', 'concern', 'absent')),
    note TEXT NOT NULL DEFAULT '',
    clue_id INTEGER REFERENCES clues (id),
    PRIMARY KEY (sweep_id, household_id)
);
