//! `klover chat`: the terminal client. Streams the tutor's words as they arrive, shows
//! progress compactly, reconnects by itself and resumes the session. With stdin not a
//! terminal (or `--plain`) it is scriptable: one line per learner message, plain output,
//! each line sent only once the previous reply has ended.

mod review_due;
mod view;
mod wrap;

use std::collections::VecDeque;
use std::io::{IsTerminal, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use klover_server::protocol::{ClientMessage, Envelope, ErrorCode, ServerEvent};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use view::View;

/// Flags of `klover chat`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  klover chat\n  klover chat --concept event-loop\n  printf 'Async lets the worker do other things while it waits.\\n' | klover chat\n  klover chat --review"
)]
pub struct Args {
    /// The server's address.
    #[arg(long, default_value = "http://127.0.0.1:3000", env = "KLOVER_SERVER")]
    pub server: String,
    /// API token (needed when the server has auth on).
    #[arg(long, env = "KLOVER_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Curriculum id.
    #[arg(long, default_value = "async-python")]
    pub curriculum: String,
    /// Concept to start at (default: the first of the path).
    #[arg(long)]
    pub concept: Option<String>,
    /// Resume this session instead of starting one.
    #[arg(long)]
    pub session: Option<String>,
    /// Review the checkpoints due for review (says so, and when the next is due, if none).
    #[arg(long, conflicts_with_all = ["session", "concept"])]
    pub review: bool,
    /// Plain, line-by-line mode even on a terminal.
    #[arg(long)]
    pub plain: bool,
}

/// Where the conversation stands, kept across reconnects.
struct Chat {
    args: Args,
    view: View,
    session: Option<String>,
    last_seq: u64,
    /// Lines waiting to be sent (piped mode sends one per finished turn).
    queue: VecDeque<String>,
    /// The message sent and not yet acknowledged: resent with the same id after a reconnect.
    in_flight: Option<(String, String)>,
    /// A message to send again, with its original id (idempotent on the server).
    resend: Option<(String, String)>,
    /// A reply is being generated (or the opening has not finished).
    busy: bool,
    next_id: u64,
    stdin_done: bool,
    quit: bool,
}

/// What the loop should do after a step.
enum Flow {
    Continue,
    Reconnect,
    Quit,
}

/// Runs `klover chat`.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let piped = args.plain || !std::io::stdin().is_terminal();
    let (tx, mut lines) = mpsc::channel::<String>(64);
    tokio::spawn(read_stdin(tx));
    if args.review {
        let due = review_due::fetch(&args.server, args.token.as_deref(), &args.curriculum).await?;
        let summary = review_due::summary(&due, &args.curriculum, chrono::Utc::now());
        writeln!(std::io::stdout().lock(), "{summary}")?;
        if due.count == 0 {
            return Ok(ExitCode::SUCCESS);
        }
    }
    let session = args.session.clone();
    let mut chat = Chat {
        args,
        view: View::new(piped),
        session,
        last_seq: 0,
        queue: VecDeque::new(),
        in_flight: None,
        resend: None,
        busy: true,
        next_id: 0,
        stdin_done: false,
        quit: false,
    };
    let mut failures = 0u32;
    let mut refused = false;
    let mut connected_once = false;
    while !chat.quit {
        match chat.connect_and_talk(&mut lines).await {
            Ok(Flow::Quit) => {
                refused = chat.quit && chat.session.is_none();
                break;
            }
            Ok(_) => {
                failures = 0;
                connected_once = true;
            }
            Err(e) => {
                failures += 1;
                // Never connected: the server is not there; do not wait a minute to say so.
                let limit = if connected_once || chat.session.is_some() {
                    8
                } else {
                    2
                };
                if failures > limit {
                    return Err(e.context("cannot reach the server; is `klover serve` running?"));
                }
                chat.view
                    .note(&format!("connection lost ({e:#}); reconnecting…"));
            }
        }
        let backoff = Duration::from_millis(250u64 << failures.min(4));
        tokio::time::sleep(backoff).await;
    }
    Ok(if refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn read_stdin(tx: mpsc::Sender<String>) {
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if tx.send(line).await.is_err() {
            break;
        }
    }
}

impl Chat {
    fn ws_url(&self) -> String {
        let base = self.args.server.trim_end_matches('/');
        let base = base
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        match &self.args.token {
            Some(t) => format!("{base}/ws?token={t}"),
            None => format!("{base}/ws"),
        }
    }

    async fn connect_and_talk(
        &mut self,
        lines: &mut mpsc::Receiver<String>,
    ) -> anyhow::Result<Flow> {
        let (mut ws, _) = match tokio_tungstenite::connect_async(self.ws_url()).await {
            Ok(ok) => ok,
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                let why = match resp.status().as_u16() {
                    401 => {
                        "the server refused the token: pass a valid one with --token or KLOVER_TOKEN (`klover token create --learner NAME`)"
                    }
                    403 => "the server refused this client (origin not allowed)",
                    _ => "the server refused the connection",
                };
                self.view.note(why);
                self.quit = true;
                return Ok(Flow::Quit);
            }
            Err(e) => {
                return Err(anyhow::Error::new(e))
                    .with_context(|| format!("connecting to {}", self.args.server));
            }
        };
        let hello = match &self.session {
            Some(id) => ClientMessage::Resume {
                session_id: id.clone(),
                last_seq: self.last_seq,
            },
            None => ClientMessage::Start {
                curriculum: self.args.curriculum.clone(),
                concept: self.args.concept.clone(),
                mode: self.args.review.then(|| "review".to_owned()),
            },
        };
        ws.send(Message::text(serde_json::to_string(&hello)?))
            .await?;
        loop {
            let ready = !self.busy && !self.stdin_done && self.queue.is_empty();
            let flow = tokio::select! {
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(t))) => self.on_event(t.as_str()),
                    Some(Ok(Message::Close(_))) | None => Flow::Reconnect,
                    Some(Ok(_)) => Flow::Continue,
                    Some(Err(e)) => return Err(e.into()),
                },
                line = lines.recv(), if ready || !self.view.piped() => match line {
                    Some(l) => { self.queue.push_back(l); Flow::Continue }
                    None => { self.stdin_done = true; Flow::Continue }
                },
            };
            match flow {
                Flow::Continue => {}
                other => return Ok(other),
            }
            if let Some(msg) = self.next_outgoing().await? {
                ws.send(Message::text(serde_json::to_string(&msg)?)).await?;
            }
            let drained = self.queue.is_empty() && self.resend.is_none();
            if self.quit || (self.stdin_done && drained && !self.busy) {
                let _ = ws.close(None).await;
                return Ok(Flow::Quit);
            }
        }
    }

    /// The next frame to send, from the queue of typed lines.
    async fn next_outgoing(&mut self) -> anyhow::Result<Option<ClientMessage>> {
        if !self.busy
            && let Some((id, text)) = self.resend.take()
        {
            self.in_flight = Some((id.clone(), text.clone()));
            self.busy = true;
            return Ok(Some(ClientMessage::Message {
                client_id: id,
                text,
            }));
        }
        while let Some(line) = self.queue.front().cloned() {
            let line = line.trim().to_owned();
            if line.is_empty() {
                self.queue.pop_front();
                continue;
            }
            if let Some(cmd) = line.strip_prefix('/') {
                self.queue.pop_front();
                return self.command(cmd).await;
            }
            if self.busy {
                if !self.view.piped() {
                    self.queue.pop_front();
                    self.view
                        .note("Klover is still answering: wait for the reply, or /stop");
                }
                return Ok(None);
            }
            self.queue.pop_front();
            self.next_id += 1;
            let id = format!("t-{}-{}", std::process::id(), self.next_id);
            self.view.learner(&line);
            self.in_flight = Some((id.clone(), line.clone()));
            self.busy = true;
            return Ok(Some(ClientMessage::Message {
                client_id: id,
                text: line,
            }));
        }
        Ok(None)
    }

    async fn command(&mut self, cmd: &str) -> anyhow::Result<Option<ClientMessage>> {
        match cmd.split_whitespace().next().unwrap_or("") {
            "stop" => return Ok(Some(ClientMessage::Stop {})),
            "progress" => self.view.show_progress(),
            "export" => match self.export().await {
                Ok(path) => self.view.note(&format!("saved {path}")),
                Err(e) => self.view.note(&format!("export failed: {e:#}")),
            },
            "quit" | "exit" => self.quit = true,
            _ => self.view.help(),
        }
        Ok(None)
    }

    fn on_event(&mut self, text: &str) -> Flow {
        let Ok(env) = serde_json::from_str::<Envelope>(text) else {
            return Flow::Continue;
        };
        if let Some(seq) = env.seq {
            if seq <= self.last_seq {
                return Flow::Continue;
            }
            self.last_seq = seq;
        }
        match &env.event {
            ServerEvent::Session { session_id, .. } => self.session = Some(session_id.clone()),
            ServerEvent::LearnerAck { client_id, .. }
                if self
                    .in_flight
                    .as_ref()
                    .is_some_and(|(id, _)| id == client_id) =>
            {
                self.in_flight = None;
            }
            ServerEvent::Progress(_) => self.busy = false,
            ServerEvent::Resumed {
                reply_in_progress, ..
            } => self.resumed(*reply_in_progress),
            ServerEvent::Error { code, .. } => self.on_error(*code),
            _ => {}
        }
        self.view.event(&env.event);
        if matches!(env.event, ServerEvent::Progress(_)) && !self.busy && self.queue.is_empty() {
            self.view.prompt();
        }
        Flow::Continue
    }

    fn resumed(&mut self, reply_in_progress: bool) {
        self.busy = reply_in_progress;
        // A message the server never acknowledged is sent again with the same id.
        self.resend = self.in_flight.take();
    }

    fn on_error(&mut self, code: ErrorCode) {
        match code {
            // The running reply ends with `progress`, which frees the way for the resend.
            ErrorCode::ReplyInProgress => self.resend = self.in_flight.take(),
            ErrorCode::RateLimited => {
                self.resend = self.in_flight.take();
                self.busy = false;
            }
            ErrorCode::NotFound | ErrorCode::Forbidden | ErrorCode::Unauthorized
                if self.session.is_none() || self.busy =>
            {
                self.quit = true;
            }
            _ => self.busy = false,
        }
    }

    async fn export(&self) -> anyhow::Result<String> {
        let id = self.session.as_deref().context("no session yet")?;
        let url = format!(
            "{}/api/sessions/{id}/export?format=md",
            self.args.server.trim_end_matches('/')
        );
        let mut req = reqwest::Client::new().get(url);
        if let Some(t) = &self.args.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await?.error_for_status()?;
        let body = resp.text().await?;
        let path = format!("klover-{}.md", id.get(..8).unwrap_or(id));
        tokio::fs::write(&path, body).await?;
        Ok(path)
    }
}
