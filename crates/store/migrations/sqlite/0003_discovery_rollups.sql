-- Daily counts per town behind the discovery figures, kept in the same transaction as the rows
-- they count, so the figures of a city-year sum a few hundred thousand rows, not millions.
-- metric: 'clue:<channel>', 'lead', 'file', 'closed:<reason>', 'visit:<hours bucket>'.
-- day: days since 1970-01-01 in China time.
CREATE TABLE discovery_daily (
    town_code INTEGER NOT NULL,
    day INTEGER NOT NULL,
    metric TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (town_code, day, metric)
);
-- By day first too, for wide areas over a few days (the ends of a period).
CREATE INDEX discovery_daily_by_day ON discovery_daily (day, town_code, metric, n);
CREATE INDEX leads_open_due ON leads (is_open, due_at, region_code);

-- The same counts by month (year * 12 + month - 1), so a year is a dozen rows per town.
CREATE TABLE discovery_monthly (
    town_code INTEGER NOT NULL,
    month INTEGER NOT NULL,
    metric TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (town_code, month, metric)
);

-- Household files per town and state, as they are now.
CREATE TABLE file_state_counts (
    town_code INTEGER NOT NULL,
    state TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (town_code, state)
);
