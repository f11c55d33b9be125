-- Spaced review cards, and the websocket event log used to resume a session.

-- One FSRS card per learner and checkpoint, created from an aha moment or a weak
-- checkpoint. The memory state is NULL until the first review.
CREATE TABLE review_cards (
    learner_id     TEXT    NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    curriculum_id  TEXT    NOT NULL,
    checkpoint_id  TEXT    NOT NULL,
    stability      REAL,                     -- FSRS memory state (days)
    difficulty     REAL,                     -- FSRS memory state (1..10)
    due_at         INTEGER NOT NULL,
    last_review_at INTEGER,
    reps           INTEGER NOT NULL DEFAULT 0,
    lapses         INTEGER NOT NULL DEFAULT 0,
    source         TEXT    NOT NULL CHECK (source IN ('aha', 'weak')),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (learner_id, curriculum_id, checkpoint_id),
    CHECK ((stability IS NULL) = (difficulty IS NULL))
) STRICT;

CREATE INDEX review_cards_due ON review_cards (learner_id, due_at);

-- Every event the websocket server sent for a session, numbered 1, 2, 3 ... without gaps,
-- so a client that resumes with `last_seq` is sent exactly what it missed.
CREATE TABLE events (
    session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    payload    TEXT    NOT NULL,             -- the event frame, JSON
    created_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, seq)
) STRICT;
