-- Each retraining of the hotline classifier (minsheng hotline retrain, the weekly job): the
-- agents' confirmed corrections it learned from (up to label_cutoff), its held-out figures
-- before and after, and whether it was activated (only when it was not worse). The classifier
-- in use learns from the shipped phrases plus the labels up to the latest activated cutoff.
CREATE TABLE hotline_models (
    id INTEGER PRIMARY KEY,
    trained_at INTEGER NOT NULL,
    label_cutoff INTEGER NOT NULL,
    labels INTEGER NOT NULL,
    before_figures TEXT NOT NULL,
    after_figures TEXT NOT NULL,
    activated INTEGER NOT NULL,
    reason TEXT NOT NULL
);
