-- Search (issue 20.2): one- and two-character searches (a surname `宋`, initials `zs`) walk an
-- index on the beginning of a member's name or pinyin initials in the list's own order
-- (region, household), so a page of a common surname reads about a page of index entries
-- however large the registry. A person's region is their household's (kept by the registry).
DROP INDEX persons_initials;
CREATE INDEX persons_name_1 ON persons (substr(name, 1, 1), region_code, household_id);
CREATE INDEX persons_name_2 ON persons (substr(name, 1, 2), region_code, household_id);
CREATE INDEX persons_initials_1 ON persons (substr(name_initials, 1, 1), region_code, household_id);
CREATE INDEX persons_initials_2 ON persons (substr(name_initials, 1, 2), region_code, household_id);

-- Timed jobs (issue 20.4): when a job is next due, so that several `serve` processes sharing
-- the database run each scheduled job once an interval between them, not once each.
ALTER TABLE job_leases ADD COLUMN next_due INTEGER NOT NULL DEFAULT 0;
