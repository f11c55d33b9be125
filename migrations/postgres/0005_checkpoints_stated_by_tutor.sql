-- Which checkpoints the tutor had to state for a learner.
--
-- When a learner cannot state a checkpoint after two tries, the tutor states it (the
-- `assert` move) and the session moves on once every checkpoint of the concept is mastered
-- or stated. Mastery alone (P(known)) cannot tell that such a concept was covered, so the
-- concept picker showed the concept the session had just moved on to as locked.
--
-- Written by Store::record_assessment in the same transaction as the turn the tutor
-- asserted in reply to. 1 stays 1: a later mastery by the learner updates `mastery` and
-- keeps this (the learner's own mastery and the tutor's help are told apart in
-- GET /api/curricula as `mastered` and `covered`). Existing rows start at 0: nothing was
-- recorded before.
ALTER TABLE checkpoint_mastery
    ADD COLUMN stated_by_tutor BIGINT NOT NULL DEFAULT 0 CHECK (stated_by_tutor IN (0, 1));
