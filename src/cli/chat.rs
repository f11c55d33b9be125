//! `klover chat`: the terminal client. Streams the tutor's words as they arrive, shows
//! progress compactly, reconnects by itself and resumes the session. With stdin not a
//! terminal (or `--plain`) it is scriptable: one line per learner message, plain output,
//! each line sent only once the previous reply has ended.
//!
//! On a terminal: Ctrl-C during a reply stops the reply, Ctrl-C at the prompt (or a
//! second one) and Ctrl-D quit; `/quit` quits at once. Start-up names the session and
//! `/help`; exit prints the command that resumes the session.
//!
//! In a review, each graded answer is shown with its grades (one per card the answer
//! settled); `/again`, `/hard`, `/good` or `/easy` then overrules them: every card the last
//! graded answer graded, each review redone by FSRS with the learner's grade.

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
    after_help = "Examples:\n  klover chat\n  klover chat --new\n  klover chat --concept event-loop\n  printf 'Async lets the worker do other things while it waits.\\n' | klover chat\n  klover chat --review"
)]
pub struct Args {
    /// The server's address: a URL or `host:port` [default: the `bind` setting, as
    /// `klover serve` uses it: http://127.0.0.1:3000]. `--bind` is accepted too.
    #[arg(long, alias = "bind", value_name = "URL", env = "KLOVER_SERVER")]
    pub server: Option<String>,
    /// API token (needed when the server has auth on).
    #[arg(long, env = "KLOVER_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Curriculum id.
    #[arg(long, default_value = "async-python")]
    pub curriculum: String,
    /// Concept to start at (default: continue where you left off: your unfinished
    /// concept, else the next unlocked one).
    #[arg(long)]
    pub concept: Option<String>,
    /// Start from scratch: the first concept (or --concept), nothing carried from your
    /// earlier sessions.
    #[arg(long, conflicts_with_all = ["session", "review"])]
    pub new: bool,
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
    /// The server's base URL (`http://…`), resolved from `--server` or the settings.
    server: String,
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
    /// A Ctrl-C asked the running reply to stop: the next one quits.
    stopping: bool,
    /// The session id was shown (once per run, also on a resume).
    announced: bool,
    /// The reviews of the last graded answer not yet overruled (`review_graded`, one per
    /// card it settled): what `/good` regrades, all of them.
    graded: Vec<String>,
    /// Overrules sent and not yet answered (each by `review_graded` or an error).
    overruling: usize,
}

/// What the loop should do after a step.
enum Flow {
    Continue,
    Reconnect,
    Quit,
}

/// Runs `klover chat`.
pub async fn run(args: Args, global: &super::config::Global) -> anyhow::Result<ExitCode> {
    let piped = args.plain || !std::io::stdin().is_terminal();
    let server = server_url(args.server.as_deref(), global)?;
    let (tx, mut lines) = mpsc::channel::<String>(64);
    tokio::spawn(read_stdin(tx));
    // On a terminal Ctrl-C is a key of the client (stop the reply, then quit), not a kill.
    let mut interrupts = if piped { None } else { Some(interrupts()?) };
    if args.review {
        let due = review_due::fetch(&server, args.token.as_deref(), &args.curriculum).await?;
        let summary = review_due::summary(&due, &args.curriculum, chrono::Utc::now());
        writeln!(std::io::stdout().lock(), "{summary}")?;
        if due.count == 0 {
            return Ok(ExitCode::SUCCESS);
        }
    }
    let session = args.session.clone();
    let mut chat = Chat {
        args,
        server,
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
        stopping: false,
        announced: false,
        graded: Vec::new(),
        overruling: 0,
    };
    let mut failures = 0u32;
    let mut refused = false;
    let mut connected_once = false;
    while !chat.quit {
        match chat.connect_and_talk(&mut lines, interrupts.as_mut()).await {
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
    if let Some(id) = &chat.session {
        chat.view
            .note(&format!("resume with: {}", chat.resume_command(id)));
    }
    Ok(if refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `--server`, or the address `klover serve` listens on according to the same settings
/// (`bind`, a wildcard address meaning this machine); a bare `host:port` gets `http://`.
fn server_url(flag: Option<&str>, global: &super::config::Global) -> anyhow::Result<String> {
    let given = match flag {
        Some(s) => s.trim().to_owned(),
        None => {
            let bind = super::config::load(global.sources())?.settings.bind;
            let host = if bind.ip().is_unspecified() {
                std::net::SocketAddr::from(([127, 0, 0, 1], bind.port()))
            } else {
                bind
            };
            host.to_string()
        }
    };
    Ok(if given.contains("://") {
        given.trim_end_matches('/').to_owned()
    } else {
        format!("http://{}", given.trim_end_matches('/'))
    })
}

/// Ctrl-C presses, as a stream (a handler installed once, for the whole chat).
fn interrupts() -> anyhow::Result<mpsc::Receiver<()>> {
    let (tx, rx) = mpsc::channel(4);
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .context("cannot listen for Ctrl-C")?;
    tokio::spawn(async move {
        loop {
            #[cfg(unix)]
            let pressed = int.recv().await.is_some();
            #[cfg(not(unix))]
            let pressed = tokio::signal::ctrl_c().await.is_ok();
            if !pressed || tx.send(()).await.is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

/// What to tell a learner whose connection was refused for want of a (valid) token.
pub fn token_hint(token: Option<&str>) -> &'static str {
    match token {
        Some(_) => {
            "the server refused the token: pass a valid one with --token or KLOVER_TOKEN \
             (`klover token create --learner NAME`)"
        }
        None => {
            "this server needs a token: pass one with --token or KLOVER_TOKEN (whoever runs \
             the server creates it with `klover token create --learner NAME`)"
        }
    }
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
    /// The command that takes this session up again.
    fn resume_command(&self, id: &str) -> String {
        let mut cmd = format!("klover chat --session {id}");
        if self.args.server.is_some() {
            cmd.push_str(&format!(" --server {}", self.server));
        }
        cmd
    }

    fn ws_url(&self) -> String {
        let base = self.server.trim_end_matches('/');
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
        mut interrupts: Option<&mut mpsc::Receiver<()>>,
    ) -> anyhow::Result<Flow> {
        let (mut ws, _) = match tokio_tungstenite::connect_async(self.ws_url()).await {
            Ok(ok) => ok,
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                let why = match resp.status().as_u16() {
                    401 => token_hint(self.args.token.as_deref()),
                    403 => "the server refused this client (origin not allowed)",
                    _ => "the server refused the connection",
                };
                self.view.note(why);
                self.quit = true;
                return Ok(Flow::Quit);
            }
            Err(e) => {
                return Err(anyhow::Error::new(e))
                    .with_context(|| format!("connecting to {}", self.server));
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
                fresh: self.args.new.then_some(true),
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
                    None => {
                        self.stdin_done = true;
                        // Ctrl-D on a terminal quits at once; a pipe's end waits for the replies.
                        self.quit = !self.view.piped();
                        Flow::Continue
                    }
                },
                Some(()) = next_interrupt(interrupts.as_deref_mut()) => self.interrupt(),
            };
            match flow {
                Flow::Continue => {}
                other => return Ok(other),
            }
            for msg in self.next_outgoing().await? {
                ws.send(Message::text(serde_json::to_string(&msg)?)).await?;
            }
            let drained = self.queue.is_empty() && self.resend.is_none();
            if self.quit || (self.stdin_done && drained && !self.busy) {
                let _ = ws.close(None).await;
                return Ok(Flow::Quit);
            }
        }
    }

    /// Ctrl-C: stops the running reply the first time, quits otherwise.
    fn interrupt(&mut self) -> Flow {
        if self.busy && !self.stopping {
            self.stopping = true;
            self.queue.push_front("/stop".to_owned());
            self.view.note("stopping the reply (Ctrl-C again quits)");
        } else {
            self.view.end_line();
            self.quit = true;
        }
        Flow::Continue
    }

    /// The next frames to send, from the queue of typed lines (several for a regrade of
    /// an answer that graded several cards).
    async fn next_outgoing(&mut self) -> anyhow::Result<Vec<ClientMessage>> {
        if !self.busy
            && let Some((id, text)) = self.resend.take()
        {
            self.in_flight = Some((id.clone(), text.clone()));
            self.busy = true;
            return Ok(vec![ClientMessage::Message {
                client_id: id,
                text,
            }]);
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
                return Ok(Vec::new());
            }
            self.queue.pop_front();
            self.next_id += 1;
            let id = format!("t-{}-{}", std::process::id(), self.next_id);
            self.view.learner(&line);
            self.in_flight = Some((id.clone(), line.clone()));
            self.busy = true;
            return Ok(vec![ClientMessage::Message {
                client_id: id,
                text: line,
            }]);
        }
        Ok(Vec::new())
    }

    async fn command(&mut self, cmd: &str) -> anyhow::Result<Vec<ClientMessage>> {
        match cmd.split_whitespace().next().unwrap_or("") {
            "stop" => return Ok(vec![ClientMessage::Stop {}]),
            "progress" => self.view.show_progress(),
            "export" => match self.export().await {
                Ok(path) => self.view.note(&format!("saved {path}")),
                Err(e) => self.view.note(&format!("export failed: {e:#}")),
            },
            "quit" | "exit" => self.quit = true,
            grade @ ("again" | "hard" | "good" | "easy") => {
                if self.graded.is_empty() {
                    self.view.note(
                        "nothing to regrade: /again, /hard, /good or /easy overrule the grades \
                         of your last review answer, after the tutor's verdict",
                    );
                } else if self.busy {
                    self.view
                        .note("wait for the reply to end, then regrade the answer");
                } else {
                    // Every card the answer graded: FSRS schedules each card on its own,
                    // and the learner's grade is about the answer that settled them all.
                    // Each is answered by `review_graded` (or an error): the loop waits.
                    self.busy = true;
                    self.overruling = self.graded.len();
                    return Ok(self
                        .graded
                        .iter()
                        .map(|review_id| ClientMessage::Overrule {
                            review_id: review_id.clone(),
                            grade: grade.to_owned(),
                        })
                        .collect());
                }
            }
            _ => self.view.help(),
        }
        Ok(Vec::new())
    }

    /// One overrule was answered (regraded, or refused): the chat waits for the others.
    fn overrule_answered(&mut self) {
        self.overruling = self.overruling.saturating_sub(1);
        self.busy = self.overruling > 0;
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
        if matches!(env.event, ServerEvent::LearnerAck { .. }) {
            // A new answer: the grades to regrade are the ones it brings.
            self.graded.clear();
        }
        match &env.event {
            ServerEvent::Session { session_id, .. } => {
                if !self.announced {
                    self.announced = true;
                    self.view.note(&format!(
                        "session {session_id} · type /help for the commands"
                    ));
                }
                self.session = Some(session_id.clone());
            }
            ServerEvent::LearnerAck { client_id, .. }
                if self
                    .in_flight
                    .as_ref()
                    .is_some_and(|(id, _)| id == client_id) =>
            {
                self.in_flight = None;
            }
            // A learner turn this client did not just send: the transcript of a resumed
            // session, or a line typed in another window.
            ServerEvent::LearnerAck { text, .. } => self.view.replayed_learner(text),
            ServerEvent::Progress(_) => {
                self.busy = false;
                self.stopping = false;
            }
            ServerEvent::ReviewGraded {
                review_id,
                overruled,
                ..
            } => {
                if *overruled {
                    // The answer to an overrule (a review is overruled once).
                    self.graded.retain(|id| id != review_id);
                    if self.overruling > 0 {
                        self.overrule_answered();
                    }
                } else if !self.graded.contains(review_id) {
                    self.graded.push(review_id.clone());
                }
            }
            ServerEvent::Error {
                code: ErrorCode::Unauthorized,
                ..
            } => {
                self.view.note(token_hint(self.args.token.as_deref()));
                self.quit = true;
                return Flow::Quit;
            }
            ServerEvent::Resumed {
                reply_in_progress, ..
            } => self.resumed(*reply_in_progress),
            ServerEvent::Error { code, .. } => self.on_error(*code),
            _ => {}
        }
        self.view.event(&env.event);
        let waits = matches!(
            env.event,
            ServerEvent::Progress(_)
                | ServerEvent::ReviewGraded {
                    overruled: true,
                    ..
                }
        );
        if waits && !self.busy && self.queue.is_empty() {
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
            _ if self.overruling > 0 => self.overrule_answered(),
            _ => self.busy = false,
        }
    }

    async fn export(&self) -> anyhow::Result<String> {
        let id = self.session.as_deref().context("no session yet")?;
        let url = format!(
            "{}/api/sessions/{id}/export?format=md",
            self.server.trim_end_matches('/')
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

/// The next Ctrl-C, or never when the chat does not catch them (piped mode).
async fn next_interrupt(interrupts: Option<&mut mpsc::Receiver<()>>) -> Option<()> {
    match interrupts {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
