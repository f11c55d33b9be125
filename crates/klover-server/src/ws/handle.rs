//! What each client frame does. A bad frame gets an `error` event and the socket stays
//! open; only a failed `hello` (1008) closes it from here.

use std::sync::Arc;

use axum::extract::ws::WebSocket;
use klover_store::SessionId;
use tokio::sync::broadcast;

use super::{Exit, close};
use crate::auth::{self, Identity};
use crate::error::Error;
use crate::live::{Frame, LiveSession};
use crate::protocol::{
    ClientMessage, Envelope, ErrorCode, PROTOCOL_VERSION, ParseError, ServerEvent, parse_client,
};
use crate::state::AppState;
use crate::{session, telemetry, turn};

/// Longest accepted `client_id`.
const MAX_CLIENT_ID: usize = 128;

/// One websocket connection's state.
pub struct Conn {
    pub(crate) app: AppState,
    /// Who this is; `None` until a `hello` with a token when auth is on.
    who: Option<Identity>,
    pub(crate) socket: WebSocket,
    /// The session this socket is attached to.
    pub(crate) live: Option<Arc<LiveSession>>,
    /// Its events; `None` while no session is attached (an idle socket holds no receiver).
    pub(crate) rx: Option<broadcast::Receiver<Frame>>,
    /// The highest seq sent on this socket: lower ones are never sent again.
    pub(crate) last_sent: u64,
}

impl Conn {
    pub(crate) fn new(app: AppState, who: Option<Identity>, socket: WebSocket) -> Self {
        Self {
            app,
            who,
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

    pub(crate) async fn on_text(&mut self, text: &str) -> Result<(), Exit> {
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
                let why =
                    format!("unknown type `{t}`: use hello, start, resume, message, stop or ping");
                return self.error(ErrorCode::UnknownType, why).await;
            }
        };
        if let ClientMessage::Hello { version, token } = msg {
            return self.hello(version, token).await;
        }
        let Some(who) = self.who.clone() else {
            self.error(
                ErrorCode::Unauthorized,
                "this server needs a token: send {\"type\":\"hello\",\"version\":1,\"token\":\"…\"} first",
            )
            .await?;
            return Err(Exit::Close(close::POLICY, "token required".into()));
        };
        let result = match msg {
            ClientMessage::Hello { .. } => Ok(Ok(())),
            ClientMessage::Start {
                curriculum,
                concept,
                mode,
            } => {
                self.start(&who, &curriculum, concept.as_deref(), mode.as_deref())
                    .await
            }
            ClientMessage::Resume {
                session_id,
                last_seq,
            } => self.resume(&who, &session_id, last_seq).await,
            ClientMessage::Message { client_id, text } => self.message(client_id, text).await,
            ClientMessage::Stop {} => {
                if let Some(live) = &self.live {
                    live.stop_reply();
                }
                Ok(Ok(()))
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

    async fn hello(&mut self, version: u32, token: Option<String>) -> Result<(), Exit> {
        if version != PROTOCOL_VERSION {
            let why = format!("this server speaks protocol version {PROTOCOL_VERSION}");
            return self.error(ErrorCode::BadRequest, why).await;
        }
        if self.who.is_none() {
            let app = self.app.clone();
            match auth::resolve(&app.settings, &app.store, token.as_deref()).await {
                Ok(Some(who)) => self.who = Some(who),
                Ok(None) | Err(Error::Unauthorized) => {
                    telemetry::error("auth");
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
        let (live, opening) = session::create(&self.app, who, curriculum, concept, review).await?;
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
        self.last_sent = last_seq;
        if let Err(exit) = self.catch_up().await {
            return Ok(Err(exit));
        }
        let resumed = ServerEvent::Resumed {
            session_id: live.id.to_string(),
            head_seq: self.last_sent,
            reply_in_progress: live.replying(),
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
        if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID {
            return Err(Error::BadRequest(format!(
                "client_id must be 1 to {MAX_CLIENT_ID} characters"
            )));
        }
        if text.trim().is_empty() {
            return Err(Error::BadRequest("the message is empty".into()));
        }
        let slot = match live.begin_reply(&client_id) {
            Ok(slot) => slot,
            Err(running) if running.client_id == client_id => {
                // A retry of the message being answered: acknowledge it again, add nothing.
                let appended = self
                    .app
                    .store
                    .append_learner_turn(&live.id, &client_id, &text)
                    .await?;
                return Ok(self.ack_again(&client_id, appended.turn).await);
            }
            Err(_) => {
                return Ok(self
                    .error(
                        ErrorCode::ReplyInProgress,
                        "Klover is still answering: wait for the reply (or send stop), then send this again",
                    )
                    .await);
            }
        };
        let appended = match self
            .app
            .store
            .append_learner_turn(&live.id, &client_id, &text)
            .await
        {
            Ok(a) => a,
            Err(e) => {
                self.app.hub.reply_ended(&live, &slot);
                return Err(e.into());
            }
        };
        if !appended.new {
            self.app.hub.reply_ended(&live, &slot);
            return Ok(self.ack_again(&client_id, appended.turn).await);
        }
        let ack = ServerEvent::LearnerAck {
            client_id,
            turn_id: appended.turn.id.to_string(),
            text: appended.turn.text.clone(),
        };
        if let Err(e) = live.emit(&self.app.store, ack).await {
            self.app.hub.reply_ended(&live, &slot);
            return Err(e);
        }
        let app = self.app.clone();
        self.app
            .replies
            .spawn(turn::run(app, live, appended.turn, slot));
        Ok(Ok(()))
    }

    async fn ack_again(
        &mut self,
        client_id: &str,
        turn: klover_store::TurnRow,
    ) -> Result<(), Exit> {
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
