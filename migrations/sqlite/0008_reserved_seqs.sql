-- Seqs handed out ahead of storing (issue 17, coalesced deltas). An LLM reply's deltas are
-- sent to the learner the moment they arrive, under seqs given out in memory, and stored
-- in slices. Before a seq is sent the store has reserved it here, in the same transaction
-- as the previous slice (or the reply's start): a crash then never lets a later event
-- reuse a seq a client already saw. Recovery fills the reserved seqs no slice stored with
-- empty tutor_delta events and clears the reservation; so does the end of every reply.
-- 0 (or anything at or below last_event_seq): no reservation. Never edit an applied
-- migration.
ALTER TABLE sessions ADD COLUMN reserved_seq INTEGER NOT NULL DEFAULT 0;
