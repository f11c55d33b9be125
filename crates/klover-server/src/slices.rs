//! An LLM reply's deltas: sent the moment they arrive, stored in slices (issue 17).
//!
//! Each delta is broadcast at once under a seq handed out in memory, and kept as pending
//! in the session's `Streaming` state. A writer beside the relay stores what is pending
//! in one transaction ([`klover_store::Store::store_reply_slice`]) 100 ms after the reply
//! starts, then after twice as long each time up to 1.6 s, and the rest with the reply's
//! end (`tutor_done`): a reply costs a handful of commits however many deltas it has, and
//! the relay never waits for one. Before a seq is sent the store has reserved it, with the
//! previous slice (or the reply's start); the relay only waits for storing when a burst of
//! deltas outruns the reservation (at least 32 seqs ahead, twice the last slice's size
//! when more), and then asks for a slice at once.
//!
//! A crash loses the deltas sent since the last slice (at most 1.6 s of text): recovery
//! ends the turn with what the slices stored, and fills the reserved seqs nobody stored
//! with empty `tutor_delta`s, so no seq a client saw is ever given to another event. A
//! socket that catches up mid-reply reads the log, then the pending deltas
//! ([`LiveSession::unstored_frames`]).

use std::time::Duration;

use klover_store::{ReplySlice, TurnId, TurnRow};
use tokio::sync::{Notify, mpsc, watch};

use crate::error::Error;
use crate::live::{Frame, LiveSession, with_seq};
use crate::protocol::ServerEvent;
use crate::state::AppState;

/// The first slice is stored this long after the reply starts.
const FIRST_SLICE: Duration = Duration::from_millis(100);
/// Each next slice waits twice as long as the last, up to this.
const MAX_SLICE: Duration = Duration::from_millis(1600);
/// Seqs reserved ahead of the stored head, at the least.
pub(crate) const MIN_AHEAD: i64 = 32;

/// A streaming reply's deltas sent and not yet stored, held by its [`LiveSession`].
#[derive(Debug)]
pub(crate) struct Streaming {
    turn: TurnId,
    /// The highest seq stored.
    stored: u64,
    /// The highest seq the store has reserved: nothing is sent beyond it.
    reserved: u64,
    /// Sent, not yet stored, in seq order.
    pending: Vec<Pending>,
}

#[derive(Debug, Clone)]
struct Pending {
    seq: u64,
    text: String,
    payload: String,
}

/// Pending deltas copied out for storing; they stay pending until the commit is done.
pub(crate) struct Draft {
    first: u64,
    last: u64,
    text: String,
    payloads: Vec<String>,
}

impl Draft {
    /// As the store takes it, reserving through `reserve_through`.
    pub(crate) fn slice(&self, reserve_through: u64) -> ReplySlice<'_> {
        ReplySlice {
            first_seq: seq_i64(self.first),
            payloads: &self.payloads,
            text: &self.text,
            reserve_through: seq_i64(reserve_through),
        }
    }

    /// Its last seq.
    pub(crate) fn last(&self) -> u64 {
        self.last
    }
}

fn seq_i64(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn seq_u64(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or_default()
}

impl LiveSession {
    /// Starts streaming tutor turn `turn`: `head` is the stored head, `reserved` the
    /// highest seq reserved for it.
    pub(crate) fn start_stream(&self, turn: &TurnId, head: i64, reserved: i64) {
        *self.lock_stream() = Some(Streaming {
            turn: turn.clone(),
            stored: seq_u64(head),
            reserved: seq_u64(reserved),
            pending: Vec::new(),
        });
    }

    /// Sends a delta of the streaming turn at once under the next seq, pending until a
    /// slice stores it. False (nothing sent) when that seq is not reserved yet.
    pub(crate) fn relay_delta(&self, text: &str) -> bool {
        let mut stream = self.lock_stream();
        let Some(s) = stream.as_mut() else {
            return true;
        };
        let seq = s.pending.last().map_or(s.stored, |p| p.seq) + 1;
        if seq > s.reserved {
            return false;
        }
        let event = ServerEvent::TutorDelta {
            turn_id: s.turn.to_string(),
            text: text.to_owned(),
        };
        let payload = serde_json::to_string(&event).unwrap_or_default();
        // Under the stream's lock, so a catch-up's snapshot sees it pending or not sent.
        self.broadcast(seq, &payload);
        s.pending.push(Pending {
            seq,
            text: text.to_owned(),
            payload,
        });
        true
    }

    /// The pending deltas of streaming turn `turn`, if any, to store.
    pub(crate) fn draft(&self, turn: &TurnId) -> Option<Draft> {
        let stream = self.lock_stream();
        let s = stream.as_ref().filter(|s| &s.turn == turn)?;
        let first = s.pending.first()?.seq;
        Some(Draft {
            first,
            last: s.pending.last().map_or(first, |p| p.seq),
            text: s.pending.iter().map(|p| p.text.as_str()).collect(),
            payloads: s.pending.iter().map(|p| p.payload.clone()).collect(),
        })
    }

    /// Whether turn `turn` is the one streaming here.
    pub(crate) fn streams(&self, turn: &TurnId) -> bool {
        self.lock_stream().as_ref().is_some_and(|s| &s.turn == turn)
    }

    /// A slice through `last` is stored, and seqs are reserved through `reserved`.
    pub(crate) fn slice_stored(&self, last: u64, reserved: u64) {
        if let Some(s) = self.lock_stream().as_mut() {
            s.pending.retain(|p| p.seq > last);
            s.stored = s.stored.max(last);
            s.reserved = s.reserved.max(reserved);
        }
    }

    /// The streaming turn `turn` is finished and stored: nothing is pending any more.
    pub(crate) fn end_stream(&self, turn: &TurnId) {
        let mut stream = self.lock_stream();
        if stream.as_ref().is_some_and(|s| &s.turn == turn) {
            *stream = None;
        }
    }

    /// Frames sent but not stored yet, in seq order: a socket catching up sends them
    /// after the stored log. Take them *before* reading the log, so a frame stored in
    /// between is found in one or the other (the socket skips seqs it already sent).
    pub fn unstored_frames(&self) -> Vec<Frame> {
        let stream = self.lock_stream();
        stream.as_ref().map_or_else(Vec::new, |s| {
            s.pending
                .iter()
                .map(|p| (p.seq, with_seq(p.seq, &p.payload)))
                .collect()
        })
    }

    /// The highest seq sent while a reply streams here (`None` when none streams).
    pub fn streaming_head(&self) -> Option<u64> {
        let stream = self.lock_stream();
        stream
            .as_ref()
            .map(|s| s.pending.last().map_or(s.stored, |p| p.seq))
    }
}

/// Relays the voice's deltas to the session's sockets as they arrive (several waiting
/// deltas go out as one) while storing them in slices beside it. Returns when the voice
/// is done and the last slice so far is stored; what is still pending is stored with the
/// reply's end (`LiveSession::emit_finish`).
pub(crate) async fn relay(
    app: &AppState,
    live: &LiveSession,
    turn: &TurnRow,
    mut rx: mpsc::Receiver<String>,
) -> Result<(), Error> {
    let (ended_tx, mut ended_rx) = watch::channel(false);
    let (reserved_tx, mut reserved_rx) = watch::channel(());
    let urgent = Notify::new();
    let urgent = &urgent;
    let send = async move {
        while let Some(mut text) = rx.recv().await {
            while let Ok(more) = rx.try_recv() {
                text.push_str(&more);
            }
            // PostgreSQL refuses NUL in text; SQLite would keep it. Neither is worth a reply.
            text.retain(|c| c != '\0');
            if text.is_empty() {
                continue;
            }
            while !live.relay_delta(&text) {
                urgent.notify_one();
                if reserved_rx.changed().await.is_err() {
                    return; // the writer failed: the reply ends with its error
                }
            }
        }
        let _ = ended_tx.send(true);
    };
    let write = async move {
        let mut wait = FIRST_SLICE;
        let mut first = true;
        loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = urgent.notified() => {}
                _ = ended_rx.changed() => return Ok(()),
            }
            let Some(draft) = live.draft(&turn.id) else {
                continue;
            };
            let size = draft.payloads.len() as u64;
            let reserve = draft.last() + (2 * size).max(seq_u64(MIN_AHEAD));
            app.store
                .store_reply_slice(&live.id, &turn.id, draft.slice(reserve))
                .await?;
            live.slice_stored(draft.last(), reserve);
            let _ = reserved_tx.send(());
            if std::mem::take(&mut first) {
                crate::fault::point("mid_reply").await;
            }
            wait = (wait * 2).min(MAX_SLICE);
        }
    };
    let ((), written) = tokio::join!(send, write);
    written
}
