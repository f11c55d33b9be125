-- Every acknowledged learner message is answered or visibly failed, even across crashes.
--
-- A learner turn carries where its reply stands, so that a crash at any point leaves a
-- row saying what is left to do, and some instance finishes it (Store::claim_reply):
--
--   acknowledged  stored and acked (learner_ack is logged in the same transaction)
--   assessed      assessment, learner model and engine state stored; reply_outcome holds
--                 the engine's decision (plan, offline words, aha, progress) as JSON
--   replying      the tutor turn reply_turn_id is being written
--   answered / partial / failed   the closing events are logged: nothing left to do
--
-- NULL: a tutor turn, or a learner turn from before this migration (treated as done).
ALTER TABLE turns ADD COLUMN reply TEXT
    CHECK (reply IN ('acknowledged', 'assessed', 'replying', 'answered', 'partial', 'failed'));
ALTER TABLE turns ADD COLUMN reply_outcome TEXT;
ALTER TABLE turns ADD COLUMN reply_turn_id TEXT;
-- The instance driving the reply and until when its claim holds (Unix ms). The driver
-- renews the lease while it works; a crashed instance stops renewing, and once the lease
-- has run out another instance (or the same one restarted) may claim the turn with a
-- conditional UPDATE: exactly one claimant wins, on SQLite and on PostgreSQL alike.
ALTER TABLE turns ADD COLUMN reply_owner TEXT;
ALTER TABLE turns ADD COLUMN reply_lease_until BIGINT;

-- Start-up recovery and the sweeper look for unfinished replies; keep that cheap.
CREATE INDEX turns_unanswered ON turns (reply_lease_until)
    WHERE reply IN ('acknowledged', 'assessed', 'replying');
