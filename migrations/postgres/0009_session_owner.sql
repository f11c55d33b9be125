-- One owner per session across instances (several `klover serve` on one PostgreSQL).
-- Never edit an applied migration.
--
-- A session is owned by one instance while a reply to it is in flight: the owner takes the
-- lease in the transaction that acknowledges the learner's message (or claims an
-- unfinished reply) and gives it back in the transaction that closes the reply. The owner
-- renews owner_until while it works; a crashed owner stops renewing, and once owner_until
-- has passed another instance may take the session over.
--
-- fence grows by one whenever the session changes hands. Every write of the session's
-- turns, events and engine state carries the fence its writer took, and is refused when it
-- is not the current one: an owner that was paused past its lease (and replaced) can never
-- write again. state_version grows by one on every save of engine_state, which is a
-- compare-and-set on it: a save from a stale copy of the state is refused.
ALTER TABLE sessions ADD COLUMN owner TEXT;
ALTER TABLE sessions ADD COLUMN owner_until BIGINT;
ALTER TABLE sessions ADD COLUMN fence BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN state_version BIGINT NOT NULL DEFAULT 0;

-- Live fan-out: every appended event is announced on channel `klover_events` as
-- '<session id> <seq>', in the transaction that appends it (PostgreSQL delivers a
-- notification only when that transaction commits, and never one of a rolled-back
-- transaction). Each instance listens once and relays the session's new events from this
-- table to its own sockets, so the payload stays far below NOTIFY's 8000-byte limit.
CREATE FUNCTION klover_announce_event() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('klover_events', NEW.session_id || ' ' || NEW.seq);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER events_announce AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION klover_announce_event();
