//! Klover's store: curriculum folders on disk, and everything a learner does in SQLite or
//! PostgreSQL.
//!
//! - [`Store`] (in `store.rs`) connects, migrates and holds the pool; one type serves both
//!   backends through sqlx's `Any` driver (its doc comment says why).
//! - `learners.rs`: learners and hashed API tokens.
//! - `sessions.rs`: sessions, the engine's saved state, and the event log for resume.
//! - `turns.rs`: learner and tutor turns, written so nothing typed is ever lost.
//! - `learning.rs`: assessments, mastery, misconceptions and aha moments (one transaction
//!   per turn), transcripts and the learner model.
//! - `replies.rs`: the reply to each learner turn as claimable work, so a crash at any
//!   point leaves a row saying what is left to do (acknowledged, assessed, replying).
//! - `slices.rs`: a streamed reply stored in slices, with the seqs it sent ahead of
//!   storing reserved, so a crash never reuses one.
//! - `owner.rs`: one owner per session across instances: the lease and its fencing
//!   number, checked on every write of a session's turns, events and engine state.
//! - `group.rs`: group commit: the turn path's writes of many sessions in one transaction,
//!   each acknowledged only after that commit.
//! - `batch.rs`: a write's statements sent together (one query on SQLite), for the turn
//!   path's three writes.
//! - `retry.rs`: a transaction PostgreSQL rolled back to break a deadlock runs again.
//! - `notify.rs`: live fan-out between instances on PostgreSQL (LISTEN/NOTIFY).
//! - `review.rs`: FSRS review cards.
//! - `analytics.rs`: rows for author analytics and the inbox of unrecognised answers.
//! - [`curricula`]: curricula as immutable versions (their files as text); `drafts.rs`:
//!   authors' drafts; `rekey.rs` moves learner data to renamed ids when a version is published.
//! - [`model`]: the plain row types all of these read and write; [`ids`]: UUID v7 ids.
//! - [`curriculum_files`]: reads a curriculum folder for the domain's loader.
//!
//! Depends on `klover_domain` for curriculum ids (and the analytics' input rows) only; it never sees the engine's types
//! (the engine state is stored as opaque JSON). The SQL lives in `migrations/` at the
//! workspace root, one folder per backend.

mod analytics;
mod batch;
pub mod curricula;
pub mod curriculum_files;
mod drafts;
mod error;
mod group;
pub mod ids;
mod learners;
mod learning;
pub mod model;
mod notify;
mod owner;
mod rekey;
mod replies;
mod retry;
mod review;
mod sessions;
mod slices;
mod store;
mod turns;
mod writer;

pub use analytics::{AnalyticsRows, InboxAction, InboxReason, InboxRow};
pub use curricula::{NewVersion, Rekey, StoredFile, StoredVersion, VersionInfo};
pub use drafts::Draft;
pub use error::StoreError;
pub use ids::{LearnerId, ReviewId, SessionId, TurnId};
pub use learners::token_hash;
pub use learning::Grading;
pub use model::*;
pub use notify::{Listener, Notice};
pub use replies::Lease;
pub use slices::{ReplyEnd, ReplySlice, Reserved};
pub use store::{Backend, Store};
