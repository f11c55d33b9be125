//! What each client frame does. A bad frame gets an `error` event and the socket stays
//! open; only a failed `hello` (1008) closes it from here.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::ws::WebSocket;
use klover_store::{PendingReply, ReplyState, SessionId};
use tokio::sync::broadcast;

use super::{Exit, close};
use crate::auth::{self, Identity};
use crate::error::Error;
use crate::live::{Frame, LiveSession};
use crate::protocol::{
    ClientMessage, Envelope, ErrorCode, PROTOCOL_VERSION, ParseError, ServerEvent, parse_client,
};
use crate::reply::{self, ReplyGuard, Start};
use crate::state::AppState;
use crate::{session, telemetry};

/// Longest accepted `client_id`.
const MAX_CLIENT_ID: usize = 128;

/// Refuses what no message may be, before anything is stored: an empty or oversized
/// `client_id`, empty text, and a NUL character (PostgreSQL cannot store it in text, so
/// both backends refuse it alike).
fn check_message(client_id: &str, text: &str) -> Result<(), Error> {
    if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID {
        return Err(Error::BadRequest(format!(
            "client_id must be 1 to {MAX_CLIENT_ID} characters"
        )));
    }
    if client_id.contains('\0') || text.contains('\0') {
        return Err(Error::BadRequest(
            "the message contains a NUL character (\\u0000), which cannot be stored: \
             remove it and send the message again"
                .into(),
        ));
    }
    if text.trim().is_empty() {
        return Err(Error::BadRequest("the message is empty".into()));
    }
    Ok(())
}

/// One websocket connection's state.
pub struct Conn {
    pub(crate) app: AppState,
    /// Who this is; `None` until a `hello` with a token when auth is on.
    who: Option<Identity>,
    pub(crate) socket: WebSocket,
    /// The peer's address, for the failed-token throttle.
    peer: Option<IpAddr>,
    /// The token that authenticated this socket, watched for revocation.
    pub(crate) watched: Option<crate::revoke::Watched>,
    /// The session this socket is attached to.
    pub(crate) live: Option<Arc<LiveSession>>,
    /// Its events; `None` while no session is attached (an idle socket holds no receiver).
    pub(crate) rx: Option<broadcast::Receiver<Frame>>,
    /// The highest seq sent on this socket: lower ones are never sent again.
    pub(crate) last_sent: u64,
}

impl Conn {
    pub(crate) fn new(
        app: AppState,
        who: Option<Identity>,
        peer: Option<IpAddr>,
        socket: WebSocket,
    ) -> Self {
        Self {
            app,
            who,
            peer,
            watched: None,
            socket,
            live: None,
            rx: None,
            last_sent: 0,
        }
    }

    /// Leaves the attached session, if any.
    pub(crate) fn detach(&mut self) {
        self.rx = None;
        if let Some(live) = self.live.take() {
            self.app.hub.detach(&live);
        }
    }

    /// Whether the caller is known (auth off, a token at the handshake, or a `hello`).
    pub(crate) fn authenticated(&self) -> bool {
        self.who.is_some()
    }

    /// Before authentication any frame but a valid `hello` ends the socket (1008), as
    /// `docs/protocol.md` says: an unauthenticated peer gets no error replies to probe.
    pub(crate) async fn refuse_unauthenticated(&mut self) -> Result<(), Exit> {
        telemetry::error("unauthenticated");
        self.error(
            ErrorCode::Unauthorized,
            "this server needs a token: send {\"type\":\"hello\",\"version\":1,\"token\":\"…\"} first",
        )
        .await?;
        Err(Exit::Close(close::POLICY, "token required".into()))
    }

    pub(crate) async fn on_text(&mut self, text: &str) -> Result<(), Exit> {
        if !self.authenticated() {
            return match parse_client(text) {
                Ok(ClientMessage::Hello { version, token }) if version == PROTOCOL_VERSION => {
                    self.hello(version, token).await
                }
                _ => self.refuse_unauthenticated().await,
            };
        }
        if let Some(who) = &self.who
            && self
                .app
                .limiter
                .check_key(&who.learner.to_string())
                .is_err()
        {
            telemetry::error("rate_limited");
            return self
                .error(
                    ErrorCode::RateLimited,
                    "too many messages: slow down and send this again in a few seconds",
                )
                .await;
        }
        let msg = match parse_client(text) {
            Ok(msg) => msg,
            Err(ParseError::BadJson(why)) => {
                telemetry::error("bad_json");
                return self.error(ErrorCode::BadJson, why).await;
            }
            Err(ParseError::UnknownType(t)) => {
                telemetry::error("unknown_type");
                let why = format!(
                    "unknown type `{t}`: use hello, start, resume, message, stop, overrule or ping"
                );
                return self.error(ErrorCode::UnknownType, why).await;
            }
        };
        if let ClientMessage::Hello { version, token } = msg {
            return self.hello(version, token).await;
        }
        let Some(who) = self.who.clone() else {
            return self.refuse_unauthenticated().await;
        };
        let result = match msg {
            ClientMessage::Hello { .. } => Ok(Ok(())),
            ClientMessage::Start {
                curriculum,
                concept,
                mode,
                fresh,
            } => {
                let fresh = fresh.unwrap_or(false);
                self.start(
                    &who,
                    &curriculum,
                    concept.as_deref(),
                    mode.as_deref(),
                    fresh,
                )
                .await
            }
            ClientMessage::Resume {
                session_id,
                last_seq,
            } => self.resume(&who, &session_id, last_seq).await,
            ClientMessage::Message { client_id, text } => self.message(client_id, text).await,
            ClientMessage::Stop {} => match &self.live {
                // Not running here: it may run on another instance, which hears it there.
                Some(live) if !live.stop_reply() => self
                    .app
                    .store
                    .announce_stop(&live.id)
                    .await
                    .map(Ok)
                    .map_err(Error::from),
                _ => Ok(Ok(())),
            },
            ClientMessage::Overrule { review_id, grade } => {
                self.overrule(&who, &review_id, &grade).await
            }
            ClientMessage::Ping { nonce } => {
                let pong = Envelope::unsequenced(ServerEvent::Pong { nonce });
                return self.send_env(&pong).await;
            }
        };
        match result {
            Ok(sent) => sent,
            Err(e) => self.error(e.code(), e.public_message()).await,
        }
    }

    /// `overrule`: regrade a review; its `review_graded` goes into the review session's
    /// log when this socket is attached to it (a reload shows it), else to this socket.
    async fn overrule(
        &mut self,
        who: &Identity,
        review_id: &str,
        grade: &str,
    ) -> Result<Result<(), Exit>, Error> {
        let (entry, event) =
            crate::review::overrule(&self.app, &who.learner, review_id, grade).await?;
        match self.live.clone() {
            Some(live) if entry.session.as_ref() == Some(&live.id) => {
                live.emit(&self.app.store, event).await?;
                Ok(Ok(()))
            }
            _ => Ok(self.send_env(&Envelope::unsequenced(event)).await),
        }
    }

    async fn hello(&mut self, version: u32, token: Option<String>) -> Result<(), Exit> {
        if version != PROTOCOL_VERSION {
            let why = format!("this server speaks protocol version {PROTOCOL_VERSION}");
            return self.error(ErrorCode::BadRequest, why).await;
        }
        if self.who.is_none() {
            let app = self.app.clone();
            let blocked = self.peer.is_some_and(|ip| app.edge.failed_auth.blocked(ip));
            let resolved = if blocked {
                Err(Error::Unauthorized)
            } else {
                auth::resolve(&app.settings, &app.store, token.as_deref()).await
            };
            match resolved {
                Ok(Some(who)) => {
                    self.who = Some(who);
                    if let Some(token) = token.as_deref().filter(|_| app.settings.auth) {
                        self.watched = Some(app.revocations.watch(token));
                    }
                }
                Ok(None) | Err(Error::Unauthorized) => {
                    telemetry::error("auth");
                    if let Some(ip) = self.peer.filter(|_| !blocked) {
                        app.edge.failed_auth.record(ip);
                    }
                    self.error(ErrorCode::Unauthorized, "wrong or missing token")
                        .await?;
                    return Err(Exit::Close(close::POLICY, "unauthorized".into()));
                }
                Err(e) => return self.error(e.code(), e.public_message()).await,
            }
        }
        let learner = self
            .who
            .as_ref()
            .map(|w| w.learner.to_string())
            .unwrap_or_default();
        let welcome = ServerEvent::Welcome {
            version: PROTOCOL_VERSION,
            learner,
        };
        self.send_env(&Envelope::unsequenced(welcome)).await
    }

    async fn start(
        &mut self,
        who: &Identity,
        curriculum: &str,
        concept: Option<&str>,
        mode: Option<&str>,
        fresh: bool,
    ) -> Result<Result<(), Exit>, Error> {
        let review = match mode {
            None | Some("learn") => false,
            Some("review") => true,
            Some(other) => {
                return Err(Error::BadRequest(format!(
                    "unknown mode `{other}`: use learn or review"
                )));
            }
        };
        let start = session::Start {
            concept,
            review,
            fresh,
        };
        let (live, opening) = session::create(&self.app, who, curriculum, start).await?;
        self.attach(live.clone());
        session::open(&self.app, &live, opening).await?;
        Ok(Ok(()))
    }

    async fn resume(
        &mut self,
        who: &Identity,
        session_id: &str,
        last_seq: u64,
    ) -> Result<Result<(), Exit>, Error> {
        let id = SessionId::parse(session_id)
            .ok_or_else(|| Error::NotFound(format!("session `{session_id}`")))?;
        if self.live.as_ref().is_some_and(|l| l.id == id) {
            self.detach();
        }
        let live = session::load(&self.app, who, &id).await?;
        self.attach(live.clone());
        // A last_seq beyond the head (a client's bug, or a database restored from a
        // backup) is clamped to the head: the socket then gets every event from there on.
        let head = match live.streaming_head() {
            Some(head) => head,
            None => u64::try_from(self.app.store.head_seq(&live.id).await?).unwrap_or_default(),
        };
        self.last_sent = last_seq.min(head);
        if let Err(exit) = self.catch_up().await {
            return Ok(Err(exit));
        }
        // A message acknowledged before a crash and never answered is answered now.
        reply::recover::recover_session(&self.app, &live).await?;
        // A reply may be running on another instance (followed here live).
        let elsewhere = !live.replying()
            && !self
                .app
                .store
                .unfinished_replies(&live.id)
                .await?
                .is_empty();
        let resumed = ServerEvent::Resumed {
            session_id: live.id.to_string(),
            head_seq: self.last_sent,
            reply_in_progress: live.replying() || elsewhere,
            ended: live.lock_engine().state.finished,
        };
        Ok(self.send_env(&Envelope::unsequenced(resumed)).await)
    }

    async fn message(
        &mut self,
        client_id: String,
        text: String,
    ) -> Result<Result<(), Exit>, Error> {
        let Some(live) = self.live.clone() else {
            return Ok(self
                .error(
                    ErrorCode::NoSession,
                    "send start or resume before a message",
                )
                .await);
        };
        check_message(&client_id, &text)?;
        let app = self.app.clone();
        // Shutting down: no new reply starts here (one would hold the shutdown open while
        // the learner keeps chatting). Nothing is stored; the client sends it again after
        // reconnecting, to another instance or this one restarted.
        if app.replies.is_closed() {
            return Ok(self
                .error(
                    ErrorCode::ShuttingDown,
                    "the server is shutting down: reconnect and send this again",
                )
                .await);
        }
        let guard = match ReplyGuard::claim(&app, &live, &client_id) {
            Ok(guard) => Some(guard),
            // A retry of the message being answered: acknowledge it again, add nothing.
            Err(running) if running.client_id == client_id => None,
            Err(_) => return Ok(self.reply_in_progress().await),
        };
        if let Some(guard) = guard {
            // A reply known at once (offline, same concept) is stored with the message;
            // otherwise the engine's turn worked out for it is handed to the reply.
            let worked =
                match crate::turn::at_once::answer(&app, &live, &client_id, &text, &guard).await {
                    crate::turn::at_once::Answer::Stored => return Ok(Ok(())),
                    crate::turn::at_once::Answer::Not(worked) => worked,
                };
            let acked = live
                .acknowledge_next(&app.store, &client_id, &text, app.lease())
                .await?;
            let Some(appended) = acked else {
                // An earlier message a crash left unanswered goes first (the check is in
                // the acknowledging write: nothing was stored).
                let older = app.store.unfinished_replies(&live.id).await?;
                let first = older
                    .into_iter()
                    .find(|p| p.turn.client_message_id.as_deref() != Some(client_id.as_str()));
                if let Some(first) = first {
                    // Claimed here, not in the task: when another live instance is
                    // answering it, the slot is free again before the client hears "in
                    // progress".
                    match app.store.claim_reply(&first.turn.id, app.lease()).await? {
                        Some(pending) => {
                            reply::spawn(&app, live, Start::Claimed(pending), guard);
                        }
                        None => drop(guard),
                    }
                }
                return Ok(self.reply_in_progress().await);
            };
            if appended.new {
                let current = appended.state_version == Some(live.lock_engine().version);
                let pending = PendingReply {
                    turn: appended.turn,
                    state: ReplyState::Acknowledged,
                    outcome: None,
                    reply_turn: None,
                };
                let start = if current {
                    Start::Current(pending, worked)
                } else {
                    Start::Claimed(pending)
                };
                reply::spawn(&app, live, start, guard);
                return Ok(Ok(()));
            }
            // Sent again after a reconnect: if its reply never finished, finish it now.
            let turn = appended.turn;
            reply::spawn(&app, live, Start::Claim(turn.id.clone()), guard);
            return Ok(self.ack_again(&client_id, turn).await);
        }
        let appended = live
            .acknowledge(&app.store, &client_id, &text, app.lease())
            .await?;
        if appended.new {
            return Ok(Ok(()));
        }
        Ok(self.ack_again(&client_id, appended.turn).await)
    }

    async fn reply_in_progress(&mut self) -> Result<(), Exit> {
        self.error(
            ErrorCode::ReplyInProgress,
            "Klover is still answering: wait for the reply (or send stop), then send this again",
        )
        .await
    }

    /// Acknowledges a message already stored, after everything logged before (the first
    /// acknowledgement included), so the client sees them in order.
    async fn ack_again(
        &mut self,
        client_id: &str,
        turn: klover_store::TurnRow,
    ) -> Result<(), Exit> {
        self.catch_up().await?;
        let ack = ServerEvent::LearnerAck {
            client_id: client_id.to_owned(),
            turn_id: turn.id.to_string(),
            text: turn.text,
        };
        self.send_env(&Envelope::unsequenced(ack)).await
    }

    fn attach(&mut self, live: Arc<LiveSession>) {
        self.detach();
        self.rx = Some(live.subscribe());
        self.live = Some(live);
        self.last_sent = 0;
    }

    async fn error(&mut self, code: ErrorCode, message: impl Into<String>) -> Result<(), Exit> {
        self.send_env(&Envelope::error(code, message)).await
    }
}
