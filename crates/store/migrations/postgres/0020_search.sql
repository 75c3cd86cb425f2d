-- Search (issue 20.2): see the SQLite migration. PostgreSQL indexes the households' search
-- text with pg_trgm (a trusted extension: the database's owner may create it), and the name
-- and initials prefixes of one- and two-character queries in byte order.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE persons ADD COLUMN name_initials TEXT NOT NULL DEFAULT '';
ALTER TABLE persons ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
ALTER TABLE households ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
CREATE INDEX persons_name_prefix ON persons (name COLLATE "C", household_id);
CREATE INDEX persons_initials ON persons (name_initials COLLATE "C", household_id);
CREATE INDEX households_search ON households USING gin (search_text gin_trgm_ops);
