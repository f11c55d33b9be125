//! Several instances on one PostgreSQL behind a real load balancer: two `klover serve`
//! processes on a fresh database, HAProxy (Debian's package, installed by
//! `scripts/install-multi-deps.sh` when missing) in front of them as a child process with a
//! generated configuration: round robin, no affinity. Each test reaches a given instance
//! through the balancer (HAProxy names the server that answered the handshake).
//!
//! - [`follow`]: a socket on each instance sees the same live reply; a message for a
//!   session answered elsewhere is not accepted twice; `stop` from the other instance
//!   stops the reply.
//! - [`failover`]: the owner killed with SIGKILL mid-reply: the other instance answers the
//!   acknowledged message and the session carries on there.
//! - [`rolling`]: a rolling restart (SIGTERM, start again) of both instances under 20
//!   chatting learners: every acknowledged message answered once, nothing lost or doubled.
//! - [`sqlite`]: SQLite stays one process: a second instance on the file is refused.
//! - [`docker`]: docker-compose.yml validated by Compose; what the image needs.
//!
//! One test binary with modules: one link step for the area.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../support/mod.rs"]
mod support;

// The fault suite's child process and fresh database, shared (not all of them used here).
#[allow(dead_code)]
#[path = "../faults/child.rs"]
mod child;
#[allow(dead_code)]
#[path = "../faults/db.rs"]
mod db;

mod balancer;
mod cluster;
mod docker;
mod failover;
mod follow;
mod rolling;
mod sqlite;
