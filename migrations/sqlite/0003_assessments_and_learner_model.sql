-- What each learner turn showed, and the learner model built from it.
-- Written together with the turn's assessment, in one transaction (Store::record_assessment).

-- The score a learner turn earned on one checkpoint of the current concept.
CREATE TABLE assessments (
    turn_id        TEXT    NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
    checkpoint_id  TEXT    NOT NULL,         -- checkpoint slug, unique within the curriculum
    score          REAL    NOT NULL CHECK (score >= 0 AND score <= 1),
    -- The learner's words that earned the score: byte offsets [start, end) into the turn's
    -- text. NULL when nothing in the turn spoke to this checkpoint.
    evidence_start INTEGER,
    evidence_end   INTEGER,
    PRIMARY KEY (turn_id, checkpoint_id),
    CHECK ((evidence_start IS NULL) = (evidence_end IS NULL)),
    CHECK (evidence_start IS NULL OR (0 <= evidence_start AND evidence_start <= evidence_end))
) STRICT;

-- The misconceptions a learner turn showed.
CREATE TABLE turn_misconceptions (
    turn_id          TEXT NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
    misconception_id TEXT NOT NULL,
    PRIMARY KEY (turn_id, misconception_id)
) STRICT;

-- Mastery of each checkpoint per learner (probability in [0,1], e.g. from Bayesian
-- Knowledge Tracing), kept across sessions so Klover remembers what was shown.
CREATE TABLE checkpoint_mastery (
    learner_id    TEXT    NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    curriculum_id TEXT    NOT NULL,
    checkpoint_id TEXT    NOT NULL,
    mastery       REAL    NOT NULL CHECK (mastery >= 0 AND mastery <= 1),
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (learner_id, curriculum_id, checkpoint_id)
) STRICT;

-- Misconceptions a learner has shown, and whether they still hold them.
CREATE TABLE learner_misconceptions (
    learner_id       TEXT    NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    curriculum_id    TEXT    NOT NULL,
    misconception_id TEXT    NOT NULL,
    times_seen       INTEGER NOT NULL DEFAULT 0,
    active           INTEGER NOT NULL CHECK (active IN (0, 1)), -- 1 until corrected
    first_seen_at    INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (learner_id, curriculum_id, misconception_id)
) STRICT;

-- Aha moments: a turn where the learner stated, after being probed, a checkpoint they had
-- missed, or saw through a misconception. Kept for export and for spaced review.
CREATE TABLE aha_moments (
    id               TEXT    PRIMARY KEY,    -- UUID v7
    turn_id          TEXT    NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
    learner_id       TEXT    NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    checkpoint_id    TEXT,
    misconception_id TEXT,
    quote            TEXT    NOT NULL,       -- the learner's words
    trigger_move     TEXT    NOT NULL,       -- the tutor move that prompted it (engine-defined)
    created_at       INTEGER NOT NULL,
    CHECK (checkpoint_id IS NOT NULL OR misconception_id IS NOT NULL)
) STRICT;

CREATE INDEX aha_by_learner ON aha_moments (learner_id, created_at);
