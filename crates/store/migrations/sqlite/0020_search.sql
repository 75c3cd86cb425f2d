-- Search (issue 20.2): households found by any part of the address or of a member's name, by a
-- member's pinyin (full or initials) and by the tails of ID numbers and phones, through an FTS5
-- trigram index kept in step with the rows (the triggers below run in the writing transaction).
-- `persons.search_key` and `name_initials` are computed by the application (pinyin), and
-- `households.search_text` is the address and the members' keys (`registry::refresh_search`).
ALTER TABLE persons ADD COLUMN name_initials TEXT NOT NULL DEFAULT '';
ALTER TABLE persons ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
ALTER TABLE households ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
-- Name and initials prefixes cover the household, so a one- or two-character search reads
-- no person rows.
DROP INDEX persons_name;
CREATE INDEX persons_name ON persons (name, household_id);
CREATE INDEX persons_initials ON persons (name_initials, household_id);

CREATE VIRTUAL TABLE households_fts USING fts5(
    search_text, content = 'households', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER households_fts_insert AFTER INSERT ON households BEGIN
    INSERT INTO households_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER households_fts_delete AFTER DELETE ON households BEGIN
    INSERT INTO households_fts (households_fts, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER households_fts_update AFTER UPDATE OF search_text ON households BEGIN
    INSERT INTO households_fts (households_fts, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
    INSERT INTO households_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
