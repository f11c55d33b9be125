//! The hardened edge against a hostile client, over real sockets: DNS rebinding refused,
//! idle and slowloris connections closed while a learner keeps chatting, connection caps,
//! pre-auth garbage closed with 1008 and wrong tokens throttled per address.
//!
//! One test binary with modules: one link step for the whole area.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../support/mod.rs"]
mod support;

mod conns;
mod export;
mod host;
mod judge;
mod leak;
mod preauth;
mod secrets;
mod tokens;
