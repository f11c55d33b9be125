-- Curricula live in the store, as immutable versions (issue 15). Never edit an applied
-- migration.
--
-- A version IS its folder: the files (relative path -> text) exactly as imported or
-- edited, so import -> export -> import is a byte-for-byte fixpoint and comments survive.
-- The server teaches the latest published version of each curriculum; a session keeps the
-- version it started on (sessions.curriculum_number).

-- One immutable version of a curriculum. Written by Store::insert_version (an import, a
-- publish, a revert); never updated.
CREATE TABLE curriculum_versions (
    curriculum_id TEXT    NOT NULL,          -- the manifest's id (slug)
    number        BIGINT  NOT NULL,          -- 1, 2, 3 ... per curriculum
    parent        BIGINT,                   -- the version it was made from; NULL for the first
    author        TEXT    NOT NULL,          -- learner or token name, or 'import'
    created_at    BIGINT  NOT NULL,
    message       TEXT    NOT NULL DEFAULT '',
    content_hash  TEXT    NOT NULL,          -- sha256 hex of the canonical file set
    files         TEXT    NOT NULL,          -- JSON [{"path", "text"}], sorted by path
    published     BIGINT  NOT NULL DEFAULT 1 CHECK (published IN (0, 1)),
    -- JSON {"new id": "old id"} for checkpoints, misconceptions and concepts renamed by
    -- this version (learner data was re-keyed when it was published); '{}' when none.
    renamed_from  TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (curriculum_id, number)
);

-- An author's work in progress from a version: edited file by file, validated on every
-- edit, published into a new version. `revision` grows by one on every write: it is the
-- draft's ETag, and a write carrying a stale one is refused (two authors cannot overwrite
-- each other).
CREATE TABLE curriculum_drafts (
    id            TEXT    PRIMARY KEY,       -- UUID v7
    curriculum_id TEXT    NOT NULL,
    base          BIGINT  NOT NULL,          -- the version it was made from
    files         TEXT    NOT NULL,          -- JSON, as curriculum_versions.files
    revision      BIGINT  NOT NULL DEFAULT 1,
    author        TEXT    NOT NULL,
    updated_at    BIGINT  NOT NULL,
    -- New id -> old id of the renames its edits made so far (JSON, as in
    -- curriculum_versions): what its publish re-keys unless the publish says otherwise.
    renamed_from  TEXT    NOT NULL DEFAULT '{}',
    published_as  BIGINT                     -- the version it became; NULL while open
);

-- The stored version a session was started on (NULL for sessions older than this
-- migration, and for curricula not in the store: they are taught from the latest).
-- Not `curriculum_version`: that column (0002) holds the manifest's own version string.
ALTER TABLE sessions ADD COLUMN curriculum_number BIGINT;
