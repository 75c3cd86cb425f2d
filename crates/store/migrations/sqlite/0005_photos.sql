-- Photos sent with a clue or taken at a visit, kept in the database so every `serve` process
-- sees them.
CREATE TABLE photos (
    id INTEGER PRIMARY KEY,
    clue_id INTEGER REFERENCES clues (id),
    visit_id INTEGER REFERENCES visits (id),
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK ((clue_id IS NULL) <> (visit_id IS NULL))
);
CREATE INDEX photos_clue ON photos (clue_id);
CREATE INDEX photos_visit ON photos (visit_id);
