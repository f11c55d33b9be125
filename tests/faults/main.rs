//! The fault suite: a real `klover serve` child process killed with SIGKILL at each phase
//! of a learner turn, on SQLite and PostgreSQL, then restarted and resumed. Whatever the
//! phase, every acknowledged message ends with a `tutor_done`, no learner turn is lost, no
//! tutor text is doubled, and the event log's seqs are contiguous.
//!
//! The phases are hit exactly through the server's fault points (`KLOVER_FAULT_PAUSE`,
//! honoured by debug builds only): the server prints `fault point reached: <point>` and
//! waits there, and the test kills it then. `KLOVER_FAULT_KILLS` sets how many kills each
//! phase gets (default 2; docs/benchmarks.md "Faults" has the longer run).
//!
//! One test binary with modules: one link step for the whole suite.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../support/mod.rs"]
mod support;

mod child;
mod crash;
mod db;
mod edges;
mod group;
mod log;
mod supervise;
