-- Assessment (甄别): model versions as data, assessments with their workflow, re-survey triggers.

-- A model version is immutable: its text never changes; once an assessment used it, it is
-- never deleted either.
CREATE TABLE assessment_models (
    id INTEGER PRIMARY KEY,
    model_id TEXT NOT NULL,
    version TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'retired')),
    shipped INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    used_at INTEGER,
    UNIQUE (model_id, version)
);
CREATE TRIGGER assessment_models_immutable BEFORE UPDATE OF model_id, version, source, sha256 ON assessment_models
BEGIN
    SELECT RAISE(ABORT, 'a model version is immutable');
END;
CREATE TRIGGER assessment_models_keep_used BEFORE DELETE ON assessment_models
WHEN OLD.used_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a model version that scored assessments is kept');
END;

CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    region_code INTEGER NOT NULL REFERENCES regions (code),
    model_id TEXT NOT NULL,
    model_row INTEGER REFERENCES assessment_models (id),
    assessor_id INTEGER NOT NULL REFERENCES users (id),
    assigned_by INTEGER REFERENCES users (id),
    assigned_at INTEGER NOT NULL,
    trigger_kind TEXT NOT NULL CHECK (trigger_kind IN ('first', 'expiry', 'report', 'change', 'reviewer')),
    trigger_note TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('assigned', 'draft', 'submitted', 'returned', 'recognised', 'superseded', 'withdrawn')),
    survey TEXT,
    saved_at INTEGER,
    submitted_at INTEGER,
    score REAL,
    conclusion TEXT,
    conclusion_label TEXT,
    partial INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    reviewer_id INTEGER REFERENCES users (id),
    reviewed_at INTEGER,
    review_comment TEXT NOT NULL DEFAULT '',
    recognised_at INTEGER,
    valid_until INTEGER,
    row_version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX assessments_region ON assessments (region_code, state);
CREATE INDEX assessments_assessor ON assessments (assessor_id, state);
CREATE INDEX assessments_household ON assessments (household_id, state);

-- The history of an assessment: every step, who took it and why.
CREATE TABLE assessment_events (
    id INTEGER PRIMARY KEY,
    assessment_id INTEGER NOT NULL REFERENCES assessments (id),
    at INTEGER NOT NULL,
    user_id INTEGER REFERENCES users (id),
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX assessment_events_of ON assessment_events (assessment_id, at);
