-- Search (issue 20.2): see the SQLite migration. One- and two-character searches walk an
-- index on the beginning of a member's name or initials in (region, household) order.
DROP INDEX persons_initials;
DROP INDEX persons_name_prefix;
CREATE INDEX persons_name_1 ON persons ((substr(name, 1, 1)), region_code, household_id);
CREATE INDEX persons_name_2 ON persons ((substr(name, 1, 2)), region_code, household_id);
CREATE INDEX persons_initials_1 ON persons ((substr(name_initials, 1, 1)), region_code, household_id);
CREATE INDEX persons_initials_2 ON persons ((substr(name_initials, 1, 2)), region_code, household_id);

-- Timed jobs (issue 20.4): when a job is next due, so that several `serve` processes sharing
-- the database run each scheduled job once an interval between them, not once each.
ALTER TABLE job_leases ADD COLUMN next_due BIGINT NOT NULL DEFAULT 0;
