-- Photos sent with a clue, kept in the database so every `serve` process sees them.
CREATE TABLE clue_photos (
    id INTEGER PRIMARY KEY,
    clue_id INTEGER NOT NULL REFERENCES clues (id),
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX clue_photos_clue ON clue_photos (clue_id);
