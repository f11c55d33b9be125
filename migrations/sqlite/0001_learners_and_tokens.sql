-- Learners and the API tokens that identify them.
--
-- Types (see ../README.md): ids TEXT, timestamps INTEGER Unix milliseconds UTC.

-- A learner: the person whose sessions, mastery and review cards we keep.
CREATE TABLE learners (
    id         TEXT    PRIMARY KEY,          -- UUID v7 (sorts by creation time)
    name       TEXT    NOT NULL UNIQUE,      -- chosen by the operator or the learner; shown in exports
    created_at INTEGER NOT NULL
) STRICT;

-- API tokens. Only the SHA-256 of a token is stored: a leaked database does not leak
-- credentials, and a lookup by hash is as fast as a lookup by token.
CREATE TABLE api_tokens (
    id           TEXT    PRIMARY KEY,        -- UUID v7
    token_sha256 TEXT    NOT NULL UNIQUE,    -- lowercase hex of SHA-256(token)
    role         TEXT    NOT NULL CHECK (role IN ('learner', 'author', 'admin')),
    -- The learner this token speaks for. Required for the learner role; optional for authors
    -- and admins (who may also learn).
    learner_id   TEXT    REFERENCES learners (id) ON DELETE CASCADE,
    label        TEXT    NOT NULL DEFAULT '', -- a note for the operator ("laptop", "ci")
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,                    -- NULL while the token is valid
    CHECK (role <> 'learner' OR learner_id IS NOT NULL)
) STRICT;
