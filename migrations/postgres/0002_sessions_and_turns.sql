-- Sessions and their turns: the transcript, written so that nothing a learner typed is lost.

-- One tutoring session of one learner on one curriculum.
CREATE TABLE sessions (
    id                 TEXT    PRIMARY KEY,  -- UUID v7
    learner_id         TEXT    NOT NULL REFERENCES learners (id) ON DELETE CASCADE,
    curriculum_id      TEXT    NOT NULL,     -- slug of the curriculum (curriculum/ folder)
    curriculum_version TEXT    NOT NULL,     -- the version the session started on
    current_concept    TEXT    NOT NULL,     -- where the learner is now; saved with engine_state
    mode               TEXT    NOT NULL CHECK (mode IN ('offline', 'llm')),
    kind               TEXT    NOT NULL CHECK (kind IN ('learn', 'review')),
    -- The engine's JSON snapshot, opaque to the store: the server saves it after each turn
    -- and hands it back on resume. NULL until the first save.
    engine_state       TEXT,
    -- Last per-session seq handed out by append_event (see the events table, 0004).
    last_event_seq     BIGINT  NOT NULL DEFAULT 0,
    started_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    ended_at           BIGINT                -- NULL while the session is open
);

CREATE INDEX sessions_by_learner ON sessions (learner_id, started_at);

-- One message of a session, from the learner or the tutor.
--
-- Lossless rules: a learner turn is committed before anything is asked of an LLM; a tutor
-- turn is inserted as 'streaming' and its text grows as deltas arrive, so a crash keeps what
-- arrived; it ends as 'complete', 'partial' (stopped, disconnected, crashed) or 'failed'.
-- At start-up, turns still 'streaming' were cut by a crash and become 'partial'.
CREATE TABLE turns (
    id                TEXT    PRIMARY KEY,   -- UUID v7
    session_id        TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq               BIGINT  NOT NULL,      -- 1, 2, 3 ... within the session, no gaps
    role              TEXT    NOT NULL CHECK (role IN ('learner', 'tutor')),
    text              TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL
                      CHECK (status IN ('complete', 'partial', 'failed', 'streaming')),
    move              TEXT,                  -- JSON of the tutor's move (engine-defined)
    prompt_tokens     BIGINT ,               -- LLM usage, NULL for offline or unknown
    completion_tokens BIGINT ,
    -- The id the client gave the learner's message: a retry after a reconnect carries the
    -- same id and finds the turn already stored instead of adding a second one.
    client_message_id TEXT,
    created_at        BIGINT  NOT NULL,
    -- Last write (a text delta, the finish). A multi-instance deployment recovers only
    -- streaming turns idle for a while, so it never cuts another instance's live reply.
    updated_at        BIGINT  NOT NULL,
    finished_at       BIGINT ,               -- when the status left 'streaming'
    UNIQUE (session_id, seq),
    UNIQUE (session_id, client_message_id)   -- NULLs (tutor turns) never collide
);

-- Start-up recovery looks for turns a crash left streaming; keep that cheap.
CREATE INDEX turns_streaming ON turns (status) WHERE status = 'streaming';
