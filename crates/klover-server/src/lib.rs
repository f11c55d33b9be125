//! klover-server: the websocket service and its HTTP routes.
//!
//! A code tour, in the order a request meets it:
//! - [`settings`]: one [`Settings`] struct (defaults → TOML file → `KLOVER_*` → flags).
//! - [`server`]: the router and [`run`], which takes a bound listener and a shutdown
//!   future (tests bind port 0 and stop it cleanly).
//! - [`edge`]: connection caps, the header-read timeout, the `Host` check, per-IP
//!   throttles, body size and request time limits, before any handler.
//! - [`revoke`]: a revoked token's open sockets are closed within a second.
//! - [`auth`]: who is calling (local learner on loopback, tokens otherwise, Origin check).
//! - [`ws`]: `GET /ws`, the connection loop, limits, and what each frame does.
//! - [`protocol`]: the frames themselves (documented in `docs/protocol.md`).
//! - [`live`]: sessions in memory: engine state, one reply in flight, event fan-out with
//!   per-session seq (the store's event log makes resume lossless).
//! - [`hub`]: the sessions in memory, by id.
//! - [`relay`]: several instances on PostgreSQL: other instances' events relayed to the
//!   sockets here (LISTEN/NOTIFY), and their stops to the replies running here.
//! - [`reply`]: the reply to each learner turn as owned, supervised work: the reply slot
//!   is a guard, a panic closes the turn as failed, and replies a crash left unfinished
//!   are claimed and finished (at start-up, on resume, and by a sweeper).
//! - [`fault`]: test-only fault points (debug builds) for the fault suite.
//! - [`session`]: starting a session and loading one back for a resume.
//! - [`turn`]: one learner turn through the engine, and the voice that words it ([`voice`],
//!   [`speak_llm`]); an LLM reply's deltas are relayed at once and stored in [`slices`]; the voice starts
//!   on the rubric's plan beside the judge ([`speculate`]); an offline reply said whole is
//!   stored with the message it answers (`turn::at_once`).
//! - [`http_layers`]: request ids, a span per request, gzip, security headers.
//! - [`http`]: health, readiness, metrics, sessions and export; [`api`]: curricula with
//!   the caller's mastery, and the caller's due reviews.
//! - [`review`]: review cards from learning turns, and review sessions that reschedule them.
//! - [`review_cards`]: the card list over HTTP (suspend, unsuspend, reset).
//! - [`curricula`]: curricula in the store as versions (import, pinning); [`authoring`]:
//!   the author's API (versions, drafts, publish) and page.
//! - [`catalog`], [`convert`], [`export`], [`telemetry`], [`error`]: the supporting parts.
//!
//! The pedagogy is in `klover_domain` (pure); storage in `klover_store`; the LLM in
//! `klover_llm`. This crate only wires them to the network.

pub mod api;
pub mod auth;
pub mod authoring;
pub mod builtin;
pub mod catalog;
pub mod convert;
pub mod curricula;
pub mod edge;
pub mod error;
pub mod export;
pub mod fault;
pub mod http;
pub mod http_layers;
pub mod hub;
pub mod live;
pub mod protocol;
pub mod relay;
pub mod reply;
pub mod review;
pub mod review_cards;
pub mod revoke;
pub mod server;
pub mod session;
pub mod settings;
pub mod slices;
pub mod speak_llm;
pub mod speculate;
pub mod state;
pub mod telemetry;
pub mod turn;
pub mod voice;
pub mod web;
pub mod ws;

pub use catalog::Catalog;
pub use error::Error;
pub use server::{router, run};
pub use settings::Settings;
pub use state::AppState;
pub use voice::TutorVoice;
