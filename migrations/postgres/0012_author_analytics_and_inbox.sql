-- Author analytics and the inbox of unrecognised answers (issue 15, item 7). Never edit an
-- applied migration.
--
-- Most figures come from what the store already keeps (assessments, checkpoint_mastery with
-- stated_by_tutor, learner_misconceptions, sessions). Two facts about turns were not kept;
-- both are written in the learner turn's existing transaction (Store::record_assessment),
-- so no turn costs an extra commit. The third table holds what authors did with the inbox.

-- The rubric's own score when an LLM judge decided the turn's credit (the stored `score`
-- is then the judge's). NULL when the rubric alone decided (offline, or the judge failed
-- or was too slow). A judge credit the rubric did not give is an answer the cues missed.
ALTER TABLE assessments ADD COLUMN rubric_score DOUBLE PRECISION
    CHECK (rubric_score IS NULL OR (rubric_score >= 0 AND rubric_score <= 1));

-- The checkpoints the tutor stated in reply to a learner turn. checkpoint_mastery keeps
-- only that a learner was told (per learner); the inbox needs the learner's words that
-- came before it. `asserted`: 1 when the tutor stated it because the learner could not
-- (the `assert` move), 0 when an authored answer or analogy stated it. `attempt`: 1 when
-- the learner's turn was an attempt at an answer (not "I don't know" or a question).
CREATE TABLE turn_stated (
    turn_id       TEXT    NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
    checkpoint_id TEXT    NOT NULL,
    asserted      BIGINT NOT NULL CHECK (asserted IN (0, 1)),
    attempt       BIGINT NOT NULL CHECK (attempt IN (0, 1)),
    PRIMARY KEY (turn_id, checkpoint_id)
);

-- What an author did with an inbox item (a learner turn on a checkpoint): dismissed it,
-- or added the learner's words as an example to a draft. Handled items leave the inbox.
CREATE TABLE inbox_actions (
    turn_id       TEXT    NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
    checkpoint_id TEXT    NOT NULL,
    action        TEXT    NOT NULL CHECK (action IN ('dismissed', 'example')),
    draft         TEXT,                     -- the draft the example went to (action example)
    acted_at      BIGINT NOT NULL,
    PRIMARY KEY (turn_id, checkpoint_id)
);
