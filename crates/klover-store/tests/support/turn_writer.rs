//! Test-only helper for `tests/crash.rs`: appends learner turns to one session, printing
//! `ack <client message id>` after each commit, until it is killed. Between learner turns it
//! starts a tutor reply and finishes only every other one, so a kill can land mid-reply.
//!
//! Usage: `klover-store-turn-writer DATABASE_URL SESSION_ID`
// The ack lines on stdout are this program's whole output protocol.
#![allow(clippy::print_stdout)]

use std::io::Write;

use klover_store::{SessionId, Store, TurnStatus};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(session)) = (args.next(), args.next()) else {
        return Err("usage: klover-store-turn-writer DATABASE_URL SESSION_ID".into());
    };
    let session = SessionId::parse(&session).ok_or("SESSION_ID is not a UUID")?;
    let store = Store::connect(&url).await?;
    let mut out = std::io::stdout().lock();
    for i in 1_u64.. {
        let id = format!("m{i}");
        store
            .append_learner_turn(&session, &id, &format!("learner turn {i}"))
            .await?;
        // Only now is the turn committed: acknowledge it.
        writeln!(out, "ack {id}")?;
        out.flush()?;
        let reply = store.begin_tutor_turn(&session).await?;
        store
            .append_tutor_text(&reply.id, "Good instinct. ")
            .await?;
        if i % 2 == 0 {
            store
                .finish_tutor_turn(&reply.id, TurnStatus::Complete, None, None)
                .await?;
        }
    }
    Ok(())
}
