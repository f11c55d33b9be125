-- The review log, and suspended cards. Never edit an applied migration.
--
-- One row per review of a card (what Anki calls the revlog), written in the same
-- transaction as the card's new state. It keeps what FSRS needs to redo a review exactly —
-- the memory state before it and the days since the review before — so a learner who
-- overrules the grader's grade (Again/Hard/Good/Easy after the tutor's verdict) replaces
-- that review's grade instead of adding a second review; and it gives true retention
-- (the share of reviews not graded Again) over any window.
CREATE TABLE review_log (
    id                TEXT    PRIMARY KEY,          -- UUID v7
    learner_id        TEXT    NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    curriculum_id     TEXT    NOT NULL,
    checkpoint_id     TEXT    NOT NULL,
    session_id        TEXT,                         -- the review session, if any
    turn_id           TEXT,                         -- the learner turn that was graded, if any
    reviewed_at       INTEGER NOT NULL,
    grader_grade      TEXT    NOT NULL CHECK (grader_grade IN ('again', 'hard', 'good', 'easy')),
    grade             TEXT    NOT NULL CHECK (grade IN ('again', 'hard', 'good', 'easy')),
    overruled         INTEGER NOT NULL DEFAULT 0 CHECK (overruled IN (0, 1)),
    elapsed_days      INTEGER NOT NULL,             -- whole days since the card's review before
    stability_before  REAL,                         -- NULL for a card's first review
    difficulty_before REAL,
    stability_after   REAL    NOT NULL,
    difficulty_after  REAL    NOT NULL,
    CHECK ((stability_before IS NULL) = (difficulty_before IS NULL))
) STRICT;

CREATE INDEX review_log_learner_time ON review_log (learner_id, reviewed_at);
CREATE INDEX review_log_card ON review_log (learner_id, curriculum_id, checkpoint_id, reviewed_at);

-- A suspended card is never due (the learner set it aside); its FSRS state is kept.
ALTER TABLE review_cards ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1));
