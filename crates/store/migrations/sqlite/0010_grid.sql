-- The self-healing grid (零停电): the networks operators run on (the native TOML kept whole), the
-- monitoring sensors of their stations and rooms with readings and alarms, and the households
-- whose members depend on power for life linked (with consent) to the load that feeds them, with
-- the outage alerts their community workers receive.
CREATE TABLE grid_networks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CONSTRAINT grid_networks_name_unique UNIQUE,
    source TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);

CREATE TABLE grid_sensors (
    id INTEGER PRIMARY KEY,
    network_id INTEGER NOT NULL REFERENCES grid_networks (id),
    code TEXT NOT NULL,
    bus TEXT NOT NULL,
    kind TEXT NOT NULL,
    last_value REAL,
    last_at INTEGER,
    CONSTRAINT grid_sensors_code_unique UNIQUE (network_id, code)
);

CREATE TABLE grid_readings (
    id INTEGER PRIMARY KEY,
    sensor_id INTEGER NOT NULL REFERENCES grid_sensors (id),
    at INTEGER NOT NULL,
    value REAL NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('sensor', 'robot'))
);
CREATE INDEX grid_readings_sensor ON grid_readings (sensor_id, at);

CREATE TABLE grid_alarms (
    id INTEGER PRIMARY KEY,
    sensor_id INTEGER NOT NULL REFERENCES grid_sensors (id),
    rule TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('minor', 'major', 'critical')),
    message TEXT NOT NULL,
    value REAL,
    raised_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged')),
    acknowledged_by INTEGER REFERENCES users (id),
    acknowledged_at INTEGER,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX grid_alarms_open ON grid_alarms (state, sensor_id, rule);

CREATE TABLE grid_links (
    id INTEGER PRIMARY KEY,
    network_id INTEGER NOT NULL REFERENCES grid_networks (id),
    load_id TEXT NOT NULL,
    household_id INTEGER NOT NULL REFERENCES households (id),
    -- The household's area, for scoping the link and its alerts in SQL.
    region_code INTEGER NOT NULL REFERENCES regions (code),
    -- Who agreed to the link, and when: no link without it.
    consent_by TEXT NOT NULL CHECK (consent_by <> ''),
    consent_at INTEGER NOT NULL,
    need TEXT NOT NULL DEFAULT '',
    linked_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    removed_at INTEGER
);
CREATE UNIQUE INDEX grid_links_unique ON grid_links (network_id, load_id, household_id) WHERE removed_at IS NULL;
CREATE INDEX grid_links_region ON grid_links (region_code);

CREATE TABLE grid_alerts (
    id INTEGER PRIMARY KEY,
    link_id INTEGER NOT NULL REFERENCES grid_links (id),
    region_code INTEGER NOT NULL REFERENCES regions (code),
    kind TEXT NOT NULL CHECK (kind IN ('outage', 'slow')),
    fault TEXT NOT NULL,
    expected_minutes REAL NOT NULL,
    raised_at INTEGER NOT NULL,
    acknowledged_by INTEGER REFERENCES users (id),
    acknowledged_at INTEGER
);
CREATE INDEX grid_alerts_region ON grid_alerts (region_code, raised_at);
