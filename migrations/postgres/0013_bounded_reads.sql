-- Reads bounded by what one session holds, not by a learner's whole history (issue 17,
-- item 4). Never edit an applied migration.
--
-- A concept's closing makes review cards from that session's aha moments
-- (Store::session_aha_moments): they are found through the session's turns, which needs
-- aha moments by turn. Deleting a turn cascades to its aha moments through it too (a
-- whole-table scan per deleted turn without it).
CREATE INDEX aha_by_turn ON aha_moments (turn_id);
