-- Operations: timed jobs, the official working-day schedules imported after release, and the
-- notification outbox.

-- Every run of a timed job: when, how it ended and what it did.
CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY,
    job TEXT NOT NULL,
    instance TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    outcome TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'failed', 'timeout')),
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job ON job_runs (job, started_at);

-- Who runs a job now: one instance at a time, whatever number of `serve` share the database
-- (a lease that ends by itself if its holder dies).
CREATE TABLE job_leases (
    job TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until INTEGER NOT NULL
);

-- Years of the official schedule imported after release (`minsheng calendar import`).
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'adjusted-workday')),
    name TEXT NOT NULL,
    imported_at INTEGER NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE INDEX calendar_days_year ON calendar_days (year);

-- Where a unit wants to be told: a WeCom or DingTalk group robot, an e-mail address, or a
-- signed webhook of its own system, for some kinds of events ('*': all).
CREATE TABLE notification_channels (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units (id),
    kind TEXT NOT NULL CHECK (kind IN ('wecom', 'dingtalk', 'email', 'webhook')),
    target TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    events TEXT NOT NULL DEFAULT '*',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at INTEGER NOT NULL
);
CREATE INDEX notification_channels_unit ON notification_channels (unit_id);

-- The outbox: one row per event and unit, written in the transaction of the event itself
-- (an event key is written once: the same event never notifies twice).
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    event_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    CONSTRAINT notifications_event_unit UNIQUE (event_key, unit_id)
);

-- Each notification's delivery to each channel of its unit, retried with backoff.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES notifications (id),
    channel_id INTEGER NOT NULL REFERENCES notification_channels (id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status TEXT NOT NULL DEFAULT '',
    sent_at INTEGER,
    CONSTRAINT deliveries_once UNIQUE (notification_id, channel_id)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
