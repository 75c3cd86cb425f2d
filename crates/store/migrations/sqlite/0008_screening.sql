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
