-- A session's unfinished replies found from the session (issue 17). Never edit an applied
-- migration.
--
-- Every new message is acknowledged only when no earlier reply of its session is
-- unfinished: the acknowledging write checks it (Store::acknowledge_next_learner_turn),
-- as does Store::unfinished_replies. `turns_unanswered` orders every unfinished reply of
-- the database by lease, so that check walked all the replies in flight (one per active
-- learner) to find its session's; this one holds the same few rows by session.
CREATE INDEX turns_unanswered_by_session ON turns (session_id)
    WHERE reply IN ('acknowledged', 'assessed', 'replying');
