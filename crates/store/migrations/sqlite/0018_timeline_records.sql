-- Each line of a household's timeline links to the record it tells of: the lead for a clue or a
-- visit, the assessment for its steps (other kinds link to the household's own pages).
ALTER TABLE timeline ADD COLUMN record_id INTEGER;
