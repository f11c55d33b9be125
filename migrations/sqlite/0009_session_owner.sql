-- One owner per session across instances. Never edit an applied migration.
--
-- SQLite serves one process (`klover serve` refuses a second one on the same file), so the
-- lease never changes hands here; the columns exist so that one code path (and one set of
-- store tests) serves both backends. See migrations/postgres/0009_session_owner.sql for the
-- rules; the event announcement (NOTIFY) is PostgreSQL's only.
ALTER TABLE sessions ADD COLUMN owner TEXT;
ALTER TABLE sessions ADD COLUMN owner_until INTEGER;
ALTER TABLE sessions ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN state_version INTEGER NOT NULL DEFAULT 0;
