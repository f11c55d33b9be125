//! Sessions in memory while someone is attached or a reply is running: the engine state,
//! the one-reply-in-flight slot, and the event fan-out.
//!
//! Every event goes through [`LiveSession::emit`]: under one lock per session it is given
//! the next seq and stored in the event log, then broadcast. A socket subscribes first and
//! reads the log second, and drops anything at or below the last seq it sent: so a resume
//! loses nothing and doubles nothing, and a socket that falls behind the broadcast catches
//! up from the log.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use klover_store::{
    AppendedTurn, FollowingTurn, Lease, ReplyEnd, ReplyState, Reserved, TurnId, TurnRow,
};
use std::sync::{Arc, Mutex};

use klover_domain::Curriculum;
use klover_domain::engine::SessionState;
use klover_store::{LearnerId, SessionId, Store};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::protocol::ServerEvent;

/// A frame ready to send: `(seq, JSON text)`; seq 0 marks a transient frame (`seq: null`).
pub type Frame = (u64, Arc<str>);

/// Source of [`ReplySlot::id`].
static NEXT_REPLY: AtomicU64 = AtomicU64::new(1);

/// How many frames a slow socket may fall behind before it re-reads the event log.
const BROADCAST_CAPACITY: usize = 64;

/// The reply being generated for a session.
#[derive(Debug, Clone)]
pub struct ReplySlot {
    /// Cancels the reply (stop, shutdown); what was said so far is kept as partial.
    pub cancel: CancellationToken,
    /// The learner message it answers (a retry of it is acknowledged, not refused).
    pub client_id: String,
    /// Tells this reply from the next one, so ending it twice never frees a later reply.
    pub id: u64,
}

/// A learner turn's assessment and the engine state it led to, not stored yet: they are
/// stored with the turn's offline reply, in its transaction
/// ([`LiveSession::emit_assessed_reply`]).
pub(crate) struct AssessedTurn {
    /// What the turn showed.
    pub(crate) record: klover_store::TurnAssessment,
    /// The engine state after the turn.
    pub(crate) state: SessionState,
    /// `state` as stored (JSON).
    pub(crate) json: String,
    /// The stored state's version the turn started from.
    pub(crate) version: i64,
}

impl AssessedTurn {
    /// What the store records of it (with a reply, in the reply's transaction).
    fn stored(&self) -> klover_store::Assessed<'_> {
        klover_store::Assessed {
            assessment: &self.record,
            concept: &self.state.concept,
            engine_state: &self.json,
            expected: self.version,
        }
    }
}

/// One session in memory.
#[derive(Debug)]
pub struct LiveSession {
    /// Session id.
    pub id: SessionId,
    /// Its owner: the only learner who may attach.
    pub learner: LearnerId,
    /// The curriculum it teaches.
    pub curriculum: Arc<Curriculum>,
    /// `offline` or `llm`, fixed at start.
    pub voice: String,
    /// The engine's state; locked only while a turn is computed (no await inside).
    pub engine: Mutex<EngineSlot>,
    /// Some while a reply is running: at most one per session.
    reply: Mutex<Option<ReplySlot>>,
    /// Serialises seq assignment, storage and broadcast so that frames leave in seq order.
    emit_lock: tokio::sync::Mutex<()>,
    /// Fan-out to attached sockets.
    events: broadcast::Sender<Frame>,
    /// Attached sockets; with no socket and no reply, the session leaves memory.
    pub(crate) attached: AtomicUsize,
    /// The streaming LLM reply's deltas sent and not yet stored ([`crate::slices`]); a
    /// plain mutex: held only to hand out a seq and broadcast, never across an await.
    stream: Mutex<Option<crate::slices::Streaming>>,
    /// The highest seq broadcast here, whoever appended it: events another instance
    /// appends are relayed from the log above it (see [`LiveSession::relay`]).
    relayed: AtomicU64,
}

/// The engine state and the tutor's last words (the assessor reads them for context).
#[derive(Debug, Clone)]
pub struct EngineSlot {
    /// The engine's state.
    pub state: SessionState,
    /// The last tutor reply.
    pub last_tutor: Option<String>,
    /// The version of `state` in the store (saves are compare-and-set on it).
    pub version: i64,
}

impl LiveSession {
    /// A session in memory from its stored or fresh engine state.
    pub fn new(
        id: SessionId,
        learner: LearnerId,
        curriculum: Arc<Curriculum>,
        voice: String,
        slot: EngineSlot,
    ) -> Self {
        Self {
            id,
            learner,
            curriculum,
            voice,
            engine: Mutex::new(slot),
            reply: Mutex::new(None),
            emit_lock: tokio::sync::Mutex::new(()),
            events: broadcast::channel(BROADCAST_CAPACITY).0,
            attached: AtomicUsize::new(0),
            stream: Mutex::new(None),
            relayed: AtomicU64::new(0),
        }
    }

    /// Sets the seq up to which the log is already known here (a session loaded back).
    pub fn relayed_up_to(&self, seq: u64) {
        self.relayed.fetch_max(seq, Ordering::SeqCst);
    }

    /// Broadcasts the events another instance appended, up to `seq` at least, read from
    /// the log above the last seq broadcast here; nothing when `seq` was broadcast already
    /// (this instance's own events come back as notices too).
    pub async fn relay(&self, store: &Store, seq: u64) -> Result<(), Error> {
        if seq <= self.relayed.load(Ordering::SeqCst) {
            return Ok(());
        }
        let _order = self.emit_lock.lock().await;
        let after = self.relayed.load(Ordering::SeqCst);
        if seq <= after {
            return Ok(());
        }
        let events = store
            .events_since(&self.id, i64::try_from(after).unwrap_or(i64::MAX))
            .await?;
        for event in events {
            let seq = u64::try_from(event.seq).unwrap_or_default();
            self.send(seq, &event.payload);
        }
        Ok(())
    }

    /// Broadcasts a payload under its seq (the emit lock or the stream's lock held, so
    /// seqs leave in order), and records it as relayed.
    fn send(&self, seq: u64, payload: &str) {
        if self.relayed.fetch_max(seq, Ordering::SeqCst) < seq {
            let _ = self.events.send((seq, with_seq(seq, payload)));
        }
    }

    /// Stores `event` in the session's log under the next seq and sends it to every
    /// attached socket. Returns the seq.
    pub async fn emit(&self, store: &Store, event: ServerEvent) -> Result<u64, Error> {
        let payload = serde_json::to_string(&event)
            .map_err(|e| Error::BadRequest(format!("cannot encode event: {e}")))?;
        let _order = self.emit_lock.lock().await;
        let seq = store.append_event(&self.id, &payload).await?;
        let seq = u64::try_from(seq).unwrap_or_default();
        self.send(seq, &payload);
        Ok(seq)
    }

    /// Stores a piece of a tutor reply and its `tutor_delta` event in one transaction,
    /// then sends the event.
    pub async fn emit_delta(
        &self,
        store: &Store,
        turn: &klover_store::TurnId,
        text: String,
    ) -> Result<u64, Error> {
        let event = ServerEvent::TutorDelta {
            turn_id: turn.to_string(),
            text: text.clone(),
        };
        let payload = serde_json::to_string(&event)
            .map_err(|e| Error::BadRequest(format!("cannot encode event: {e}")))?;
        let _order = self.emit_lock.lock().await;
        let seq = store
            .append_tutor_delta(&self.id, turn, &text, &payload)
            .await?;
        let seq = u64::try_from(seq).unwrap_or_default();
        self.send(seq, &payload);
        Ok(seq)
    }

    /// Stores `events` in the session's log in one transaction, in order, then calls
    /// `committed` and sends them in seq order (still under the emit lock, so nothing else
    /// is sent in between). Returns their seqs.
    pub async fn emit_all(
        &self,
        store: &Store,
        events: &[ServerEvent],
        committed: impl FnOnce(),
    ) -> Result<Vec<u64>, Error> {
        let payloads = encode_all(events)?;
        let _order = self.emit_lock.lock().await;
        let seqs = store.append_events(&self.id, &payloads).await?;
        committed();
        Ok(self.send_all(&seqs, &payloads))
    }

    /// Stores a tutor reply known in full (its turn `turn`, finished as `status`) and
    /// `events` (its deltas, `tutor_done` and what follows) in one transaction, then calls
    /// `committed` and sends the events in seq order. Returns the stored turn.
    #[allow(clippy::too_many_arguments)]
    pub async fn emit_whole_reply(
        &self,
        store: &Store,
        turn: &klover_store::TurnId,
        text: &str,
        status: klover_store::TurnStatus,
        move_json: Option<&str>,
        events: &[ServerEvent],
        answers: Option<(&TurnId, ReplyState)>,
        following: Option<FollowingTurn<'_>>,
        committed: impl FnOnce(),
    ) -> Result<klover_store::TurnRow, Error> {
        let payloads = encode_all(events)?;
        let _order = self.emit_lock.lock().await;
        let (row, seqs) = store
            .append_whole_reply(
                &self.id, turn, text, status, move_json, &payloads, answers, following,
            )
            .await?;
        committed();
        self.send_all(&seqs, &payloads);
        Ok(row)
    }

    /// As [`LiveSession::emit_whole_reply`] answering learner turn `answers`, with that
    /// turn's assessment and engine state stored in the same transaction
    /// ([`Store::append_assessed_reply`]); once it is committed the session in memory
    /// takes the new state and version, then `committed` runs.
    #[allow(clippy::too_many_arguments)] // the reply's columns, and what it records
    pub(crate) async fn emit_assessed_reply(
        &self,
        store: &Store,
        turn: &klover_store::TurnId,
        text: &str,
        status: klover_store::TurnStatus,
        move_json: Option<&str>,
        events: &[ServerEvent],
        answers: (&TurnId, ReplyState),
        assessed: AssessedTurn,
        committed: impl FnOnce(),
    ) -> Result<klover_store::TurnRow, Error> {
        let payloads = encode_all(events)?;
        let stored = assessed.stored();
        let _order = self.emit_lock.lock().await;
        let (row, seqs, version) = store
            .append_assessed_reply(
                &self.id, turn, text, status, move_json, &payloads, answers, stored,
            )
            .await?;
        self.adopt(assessed.state, version);
        committed();
        self.send_all(&seqs, &payloads);
        Ok(row)
    }

    /// Takes `state`, just stored as `version`, as the session's engine state.
    pub(crate) fn adopt(&self, state: SessionState, version: i64) {
        let mut engine = self.lock_engine();
        engine.state = state;
        engine.version = version;
    }

    /// Stores the learner's message (claimed by `lease`) with its `learner_ack` in one
    /// transaction and sends the ack; a retry of a stored `client_id` stores and sends
    /// nothing and returns the first turn (`new: false`).
    pub async fn acknowledge(
        &self,
        store: &Store,
        client_id: &str,
        text: &str,
        lease: Lease<'_>,
    ) -> Result<AppendedTurn, Error> {
        let _order = self.emit_lock.lock().await;
        let (appended, seq) = store
            .acknowledge_learner_turn(&self.id, client_id, text, lease, ack_json(client_id, text))
            .await?;
        Ok(self.send_ack(client_id, appended, seq))
    }

    /// [`LiveSession::acknowledge`], unless an earlier message's reply is unfinished: then
    /// nothing is stored nor sent (`None`; [`Store::acknowledge_next_learner_turn`]).
    pub async fn acknowledge_next(
        &self,
        store: &Store,
        client_id: &str,
        text: &str,
        lease: Lease<'_>,
    ) -> Result<Option<AppendedTurn>, Error> {
        let _order = self.emit_lock.lock().await;
        let ack = ack_json(client_id, text);
        let acked = store.acknowledge_next_learner_turn(&self.id, client_id, text, lease, ack);
        match acked.await? {
            Some((appended, seq)) => Ok(Some(self.send_ack(client_id, appended, seq))),
            None => Ok(None),
        }
    }

    /// Stores a new message with its whole offline reply in one transaction
    /// ([`Store::acknowledge_and_answer`]: the message `turn`, its assessment and engine
    /// state, the reply `reply` said as `text` and its `events`); once it is committed the
    /// session in memory takes the new state and version, `committed` runs, and the
    /// `learner_ack` and the reply's events are sent in seq order. `None`, with nothing
    /// stored nor sent, when the message must be acknowledged alone (see there).
    #[allow(clippy::too_many_arguments)] // the message, its reply, and what it records
    pub(crate) async fn emit_answered_at_once(
        &self,
        store: &Store,
        lease: Lease<'_>,
        (turn, client_id, text): (&TurnId, &str, &str),
        (reply, said, move_json): (&TurnId, &str, Option<&str>),
        events: &[ServerEvent],
        assessed: AssessedTurn,
        committed: impl FnOnce(),
    ) -> Result<Option<klover_store::AnsweredAtOnce>, Error> {
        let payloads = encode_all(events)?;
        let answer = klover_store::AnswerAtOnce {
            reply,
            text: said,
            move_json,
            event_payloads: &payloads,
            assessed: assessed.stored(),
        };
        let ack = ack_json(client_id, text)(turn);
        let _order = self.emit_lock.lock().await;
        let stored = store
            .acknowledge_and_answer(&self.id, turn, client_id, text, lease, ack.clone(), answer)
            .await?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        self.adopt(assessed.state, stored.state_version);
        committed();
        let mut all = Vec::with_capacity(1 + payloads.len());
        all.push(ack);
        all.extend(payloads);
        self.send_all(&stored.seqs, &all);
        Ok(Some(stored))
    }

    /// Sends the `learner_ack` stored at `seq` (none for a retry: nothing was stored), the
    /// same payload as the one stored.
    fn send_ack(&self, client_id: &str, appended: AppendedTurn, seq: Option<i64>) -> AppendedTurn {
        if let Some(seq) = seq {
            let payload = ack_json(client_id, &appended.turn.text)(&appended.turn.id);
            self.send_all(&[seq], &[payload]);
        }
        appended
    }

    /// Ends a streaming tutor turn as `status` and logs its `tutor_done` in one
    /// transaction, then sends it. Returns the finished turn. When the turn streams here,
    /// its deltas not stored yet are stored in that transaction and the seqs reserved for it
    /// beyond them are released; otherwise (its driver crashed) every seq reserved and not
    /// stored becomes an empty `tutor_delta`, since a client may have seen it.
    pub async fn emit_finish(
        &self,
        store: &Store,
        turn: &TurnId,
        status: klover_store::TurnStatus,
        move_: &str,
        move_json: Option<&str>,
        usage: Option<klover_store::Usage>,
    ) -> Result<TurnRow, Error> {
        let done =
            |row: &TurnRow| serde_json::to_string(&tutor_done(row, move_)).unwrap_or_default();
        let filler = encode_all(&[ServerEvent::TutorDelta {
            turn_id: turn.to_string(),
            text: String::new(),
        }])?
        .concat();
        let _order = self.emit_lock.lock().await;
        let draft = self.draft(turn);
        let reserved = if self.streams(turn) {
            Reserved::Release
        } else {
            Reserved::Fill(&filler)
        };
        let end = ReplyEnd {
            status,
            move_json,
            usage,
            last_slice: draft.as_ref().map(|d| d.slice(d.last())),
            reserved,
        };
        let (row, seqs) = store.finish_reply_turn(&self.id, turn, end, done).await?;
        self.end_stream(turn);
        let mut payloads = vec![filler; seqs.len().saturating_sub(1)];
        payloads.extend(encode_all(&[tutor_done(&row, move_)])?);
        self.send_all(&seqs, &payloads);
        Ok(row)
    }

    /// Closes the reply to learner turn `answers` as `state` with its closing `events` (and
    /// the `following` tutor turn they carry, if any) in one transaction, then calls
    /// `committed` and sends them. False (nothing stored or
    /// sent) when that reply was already closed.
    pub async fn emit_close(
        &self,
        store: &Store,
        answers: &TurnId,
        state: ReplyState,
        events: &[ServerEvent],
        following: Option<FollowingTurn<'_>>,
        committed: impl FnOnce(),
    ) -> Result<bool, Error> {
        let payloads = encode_all(events)?;
        let _order = self.emit_lock.lock().await;
        let Some(seqs) = store
            .close_reply(&self.id, answers, state, &payloads, following)
            .await?
        else {
            return Ok(false);
        };
        committed();
        self.send_all(&seqs, &payloads);
        Ok(true)
    }

    /// Broadcasts one payload under its seq.
    pub(crate) fn broadcast(&self, seq: u64, payload: &str) {
        self.send(seq, payload);
    }

    /// The streaming reply's state; never held across an await.
    pub(crate) fn lock_stream(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<crate::slices::Streaming>> {
        self.stream.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Broadcasts stored payloads with their seqs; the emit lock must be held.
    fn send_all(&self, seqs: &[i64], payloads: &[String]) -> Vec<u64> {
        seqs.iter()
            .zip(payloads)
            .map(|(seq, payload)| {
                let seq = u64::try_from(*seq).unwrap_or_default();
                self.send(seq, payload);
                seq
            })
            .collect()
    }

    /// Sends a frame that is not part of the session's log (an error during a turn) to
    /// the sockets attached now; it carries `seq: null` and is not replayed.
    pub fn broadcast_transient(&self, event: ServerEvent) {
        let frame = crate::protocol::Envelope::unsequenced(event).to_json();
        let _ = self.events.send((0, Arc::from(frame)));
    }

    /// The engine state; hold the guard only for synchronous work.
    pub fn lock_engine(&self) -> std::sync::MutexGuard<'_, EngineSlot> {
        self.engine.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Subscribes to frames emitted from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Frame> {
        self.events.subscribe()
    }

    /// Claims the reply slot; `Err` with the running reply when one is in flight.
    pub fn begin_reply(&self, client_id: &str) -> Result<ReplySlot, ReplySlot> {
        let mut slot = self.reply.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(running) = slot.as_ref() {
            return Err(running.clone());
        }
        let new = ReplySlot {
            cancel: CancellationToken::new(),
            client_id: client_id.to_owned(),
            id: NEXT_REPLY.fetch_add(1, Ordering::Relaxed),
        };
        *slot = Some(new.clone());
        Ok(new)
    }

    /// Frees the reply slot if `reply` still holds it.
    pub fn end_reply(&self, reply: &ReplySlot) {
        let mut slot = self.reply.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|r| r.id == reply.id) {
            *slot = None;
        }
    }

    /// Cancels the running reply; false if none was running.
    pub fn stop_reply(&self) -> bool {
        let slot = self.reply.lock().unwrap_or_else(|p| p.into_inner());
        match slot.as_ref() {
            Some(r) => {
                r.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Whether a reply is running.
    pub fn replying(&self) -> bool {
        self.reply
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }
}

/// The `tutor_done` of a finished tutor turn.
pub fn tutor_done(row: &TurnRow, move_: &str) -> ServerEvent {
    ServerEvent::TutorDone {
        turn_id: row.id.to_string(),
        text: row.text.clone(),
        move_: move_.to_owned(),
        status: row.status.as_str().to_owned(),
    }
}

/// The `learner_ack` of `text` as stored, once its turn id is known.
fn ack_json<'a>(client_id: &'a str, text: &'a str) -> impl FnOnce(&TurnId) -> String + 'a {
    move |turn: &TurnId| {
        let event = ServerEvent::LearnerAck {
            client_id: client_id.to_owned(),
            turn_id: turn.to_string(),
            text: text.to_owned(),
        };
        serde_json::to_string(&event).unwrap_or_default()
    }
}

/// Events as the JSON payloads the log stores.
fn encode_all(events: &[ServerEvent]) -> Result<Vec<String>, Error> {
    events
        .iter()
        .map(|e| {
            serde_json::to_string(e)
                .map_err(|e| Error::BadRequest(format!("cannot encode event: {e}")))
        })
        .collect()
}

/// A stored payload (an event without seq) as a frame with its seq in front.
pub fn with_seq(seq: u64, payload: &str) -> Arc<str> {
    let body = payload.strip_prefix('{').unwrap_or(payload);
    let sep = if body.starts_with('}') { "" } else { "," };
    Arc::from(format!("{{\"seq\":{seq}{sep}{body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_payloads_get_their_seq_in_front() {
        let f = with_seq(7, r#"{"type":"pong"}"#);
        let v: serde_json::Value = serde_json::from_str(&f).unwrap();
        assert_eq!(v["seq"], 7);
        assert_eq!(v["type"], "pong");
        assert_eq!(&*with_seq(1, "{}"), r#"{"seq":1}"#);
    }
}
