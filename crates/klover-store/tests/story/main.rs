//! The store's story, told once and run against both backends: every story below runs as
//! `sqlite::<name>` on a temp file and `postgres::<name>` on a fresh PostgreSQL database.
//! PostgreSQL at 127.0.0.1:5432 is required: its tests fail (never skip) when it is down.
// Test helpers outside #[test] fns unwrap too: a failure here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod access;
mod ahas;
mod concurrency;
mod fenced;
mod inbox;
mod learner_model;
mod life;
mod owner;
mod recovery;
mod review_log;
mod slices;
mod stated;
mod turns;
mod versions;

macro_rules! stories {
    ($($module:ident :: $name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::common::TestDb::sqlite().await;
                    crate::$module::$name(&db).await;
                    db.finish().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::common::TestDb::postgres().await;
                    crate::$module::$name(&db).await;
                    db.finish().await;
                }
            )+
        }
    };
}

stories!(
    life::a_session_lives_from_first_turn_to_transcript,
    life::the_learner_model_outlives_the_session,
    life::review_cards_come_due,
    life::events_replay_from_any_seq,
    review_log::a_review_is_logged_once_and_an_overrule_rewrites_its_row,
    review_log::a_suspended_card_is_never_due_and_keeps_its_state,
    review_log::a_turns_cards_and_reviews_are_stored_in_one_write_or_none,
    review_log::a_review_answers_grading_is_stored_with_its_assessment_or_not_at_all,
    review_log::a_sessions_new_cards_keep_the_cards_the_learner_has,
    life::api_tokens_are_stored_hashed_and_can_be_revoked,
    turns::a_retried_learner_turn_is_stored_once,
    turns::a_stopped_reply_keeps_its_text_as_partial,
    turns::a_finished_turn_takes_no_more_text,
    turns::an_assessment_is_recorded_whole_or_not_at_all,
    turns::a_reply_delta_and_its_event_commit_together,
    turns::a_whole_reply_and_its_events_commit_together,
    turns::an_assessment_and_the_engine_state_commit_together,
    turns::a_long_session_reads_a_bounded_window_and_pages_its_log,
    stated::a_checkpoint_the_tutor_stated_stays_recorded,
    ahas::the_latest_aha_quotes_before_the_window_are_read_newest_first,
    ahas::a_sessions_aha_moments_are_read_without_the_others,
    ahas::a_new_learning_session_picks_up_where_the_latest_left_off,
    versions::importing_the_same_files_at_once_stores_one_version,
    inbox::unrecognised_answers_reach_the_inbox_until_handled,
    recovery::a_reply_cut_by_a_crash_is_closed_as_partial_on_restart,
    slices::a_sliced_reply_stores_its_slices_and_releases_its_reservation,
    slices::a_reply_cut_by_a_crash_fills_the_seqs_it_reserved,
    slices::an_event_appended_during_a_reservation_never_reuses_a_reserved_seq,
    slices::an_assessment_can_begin_the_reply_in_its_transaction,
    slices::an_assessment_after_its_reply_began_keeps_the_reply,
    recovery::a_schema_newer_than_the_binary_is_refused,
    concurrency::concurrent_sessions_lose_and_mix_no_turns,
    concurrency::concurrent_retries_of_one_message_store_one_turn,
    concurrency::concurrent_events_get_gapless_seqs,
    concurrency::group_commit_shares_commits_and_a_refused_write_undoes_only_itself,
    access::a_learner_cannot_load_another_learners_session,
    access::rows_must_point_at_existing_learners,
    owner::a_session_takes_messages_through_one_instance_at_a_time,
    owner::a_paused_owner_cannot_write_after_another_took_over,
    owner::an_offline_turn_is_stored_once_with_its_events_in_order,
    owner::an_offline_reply_stores_its_turns_assessment_in_its_transaction,
    owner::a_message_and_its_answer_are_stored_in_one_transaction,
    owner::a_dead_owners_session_is_taken_over_once_its_lease_ran_out,
    owner::engine_state_saves_are_compare_and_set,
    owner::shutdown_hands_every_lease_back,
    owner::appended_events_and_stops_are_announced_to_listeners,
    owner::a_new_message_waits_for_an_earlier_unfinished_reply,
    fenced::a_replaced_owner_writes_no_turn_text_end_or_review_card,
    fenced::session_writes_without_a_lease_pass_only_while_nobody_holds_one,
    learner_model::one_learners_concurrent_turns_update_the_learner_model_without_failing,
    recovery::a_reply_streaming_under_a_live_lease_survives_another_instances_start,
);

/// Stories that need PostgreSQL's own behaviour (its deadlock detector).
mod postgres_only {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_turn_rolled_back_to_break_a_deadlock_runs_again() {
        let db = crate::common::TestDb::postgres().await;
        crate::learner_model::a_turn_rolled_back_to_break_a_deadlock_runs_again(&db).await;
        db.finish().await;
    }
}
