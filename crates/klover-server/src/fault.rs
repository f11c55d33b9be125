//! Fault points for the fault suite (`tests/faults`), honoured in debug builds only: a
//! release build compiles [`point`] to nothing.
//!
//! - `KLOVER_FAULT_PAUSE=<point>[,<point>…]`: at that point the server prints
//!   `fault point reached: <point>` on stderr and waits forever, so a test can kill it with
//!   SIGKILL exactly there.
//! - `KLOVER_FAULT_PANIC=<point>`: the first time that point is reached, the turn task
//!   panics (the supervision test).
//!
//! The points, in a turn's order: `before_answer` (an offline reply said whole in the same
//! concept, computed, before the one write that stores it with its message:
//! `crate::turn::at_once`; nothing is stored nor acknowledged yet), `after_ack` (the
//! message is stored and acknowledged alone, every other turn),
//! `reply_begun` (with the LLM judge: the reply's streaming turn begun beside the judge,
//! its voice relaying, the assessment's write not yet run),
//! `after_assess` (the turn assessed; assessment and engine state stored, with the LLM
//! voice after the reply began and beside it, except for an
//! offline reply said whole in the same concept, which stores them with the reply),
//! `mid_reply` (a streamed
//! offline reply: its first delta stored and sent; an LLM reply: its first slice stored,
//! `crate::slices`; the relay goes on sending until the reserved seqs run out), `before_close` (`tutor_done` stored, the closing events not).

/// Stops or panics here if the environment asks for it (debug builds).
pub async fn point(name: &'static str) {
    #[cfg(debug_assertions)]
    debug::point(name).await;
    #[cfg(not(debug_assertions))]
    let _ = name;
}

#[cfg(debug_assertions)]
mod debug {
    use std::sync::atomic::{AtomicBool, Ordering};

    static PANICKED: AtomicBool = AtomicBool::new(false);

    fn asked(var: &str, name: &str) -> bool {
        std::env::var(var).is_ok_and(|v| v.split(',').any(|p| p.trim() == name))
    }

    #[allow(clippy::panic)] // the point of a panic-injection hook
    pub(super) async fn point(name: &'static str) {
        if asked("KLOVER_FAULT_PANIC", name) && !PANICKED.swap(true, Ordering::SeqCst) {
            panic!("fault injected at {name}");
        }
        if asked("KLOVER_FAULT_PAUSE", name) {
            eprintln!("fault point reached: {name}");
            std::future::pending::<()>().await;
        }
    }
}
