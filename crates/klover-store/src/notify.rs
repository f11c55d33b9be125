//! Live fan-out between instances on PostgreSQL: `LISTEN`/`NOTIFY`.
//!
//! Every appended event is announced on channel `klover_events` as `<session> <seq>` by a
//! trigger, in the transaction that appends it (migration 0009): PostgreSQL delivers it when
//! that transaction commits, never for one rolled back. A `stop` for a session whose reply
//! runs on another instance goes out on `klover_stop` (payload: the session id). Each
//! instance holds one [`Listener`] (one connection) and reads the events themselves from the
//! log, so a payload stays a few dozen bytes (NOTIFY's limit is 8000).
//!
//! SQLite serves one process: there is nothing to announce, and [`Store::listen`] is `None`.

use sqlx::postgres::PgListener;

use crate::store::Backend;
use crate::{SessionId, Store, StoreError};

/// The channel events are announced on (see migration 0009's trigger).
const EVENTS: &str = "klover_events";
/// The channel stops are asked on.
const STOPS: &str = "klover_stop";

/// What another instance (or this one) announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Event `seq` of `session` is in the log.
    Event {
        /// The session.
        session: SessionId,
        /// The event's seq.
        seq: i64,
    },
    /// Someone asked to stop the reply running for `session`.
    Stop {
        /// The session.
        session: SessionId,
    },
    /// The listening connection was lost and is back: notices in between are lost, so the
    /// caller catches up from the log.
    Reconnected,
}

/// This instance's one listening connection.
pub struct Listener(PgListener);

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Listener")
    }
}

impl Store {
    /// Opens this instance's listening connection (PostgreSQL); `None` on SQLite.
    pub async fn listen(&self) -> Result<Option<Listener>, StoreError> {
        if self.backend() != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = PgListener::connect(self.url()).await?;
        listener.listen_all([EVENTS, STOPS]).await?;
        Ok(Some(Listener(listener)))
    }

    /// Asks whichever instance runs `session`'s reply to stop it (PostgreSQL; nothing to
    /// do on SQLite, where the reply runs in this process).
    pub async fn announce_stop(&self, session: &SessionId) -> Result<(), StoreError> {
        if self.backend() != Backend::Postgres {
            return Ok(());
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(STOPS)
            .bind(session.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Listener {
    /// The next notice; reconnects by itself when the connection drops (then
    /// [`Notice::Reconnected`]). Malformed payloads are skipped.
    pub async fn next(&mut self) -> Result<Notice, StoreError> {
        loop {
            let Some(n) = self.0.try_recv().await? else {
                return Ok(Notice::Reconnected);
            };
            if let Some(notice) = parse(n.channel(), n.payload()) {
                return Ok(notice);
            }
            tracing::warn!(channel = n.channel(), "ignoring a malformed notification");
        }
    }
}

fn parse(channel: &str, payload: &str) -> Option<Notice> {
    match channel {
        EVENTS => {
            let (session, seq) = payload.split_once(' ')?;
            Some(Notice::Event {
                session: SessionId::parse(session)?,
                seq: seq.parse().ok()?,
            })
        }
        STOPS => Some(Notice::Stop {
            session: SessionId::parse(payload)?,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_the_session_and_the_seq() {
        let id = SessionId::new();
        let event = parse(EVENTS, &format!("{id} 42"));
        assert_eq!(
            event,
            Some(Notice::Event {
                session: id.clone(),
                seq: 42
            })
        );
        assert_eq!(
            parse(STOPS, id.as_str()),
            Some(Notice::Stop { session: id })
        );
        assert_eq!(parse(EVENTS, "not-a-session 1"), None);
        assert_eq!(parse("other", "x"), None);
    }
}
