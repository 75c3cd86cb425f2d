-- Data cross-matching runs (大数据比对): who ran what, why, and what came of it. Raw feed rows are
-- never stored; the clues a run files carry only the evidence of their hits.
CREATE TABLE screen_runs (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user_id INTEGER REFERENCES users (id),
    username TEXT NOT NULL,
    purpose TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    feeds TEXT NOT NULL,
    summary TEXT NOT NULL,
    warnings INTEGER NOT NULL,
    clues_filed INTEGER NOT NULL,
    already_raised INTEGER NOT NULL
);
CREATE INDEX screen_runs_at ON screen_runs (at);

-- Which rules raised each clue a run filed: with the visit outcome of the clue's lead, the hit
-- rate of each rule (share of warnings confirmed as hardship).
CREATE TABLE screen_hits (
    run_id INTEGER NOT NULL REFERENCES screen_runs (id),
    clue_id INTEGER NOT NULL REFERENCES clues (id),
    region_code INTEGER NOT NULL REFERENCES regions (code),
    rule TEXT NOT NULL
);
CREATE INDEX screen_hits_rule ON screen_hits (rule, region_code);
