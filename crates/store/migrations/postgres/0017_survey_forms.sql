-- The form (one opened page) that last saved an assessment's survey: its own autosaves and its
-- submission never conflict with each other, and a submission resent from a phone with the same
-- key is the same submission.
ALTER TABLE assessments ADD COLUMN form_key TEXT NOT NULL DEFAULT '';
