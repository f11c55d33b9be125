//! What `klover chat` prints: the tutor's words as they stream, a compact progress line
//! (concept, checkpoints ✓/·, aha marks), notes on stderr. Piped mode prints the same
//! words as plain lines, with the learner's own lines echoed as `Me:`.

use std::io::Write;

use klover_server::protocol::{Progress, ServerEvent};

use super::wrap::{Wrapper, terminal_width};

/// What the tutor's lines start with.
const TUTOR: &str = "Klover: ";

/// Shown on a terminal when Klover waits for the learner.
const PROMPT: &str = "› ";

/// The terminal view.
pub struct View {
    piped: bool,
    /// The tutor's current line is open (deltas are being printed).
    tutor_open: bool,
    progress: Option<Progress>,
    concept_title: String,
    ahas: usize,
    /// On a terminal: wraps the tutor's streamed words at word boundaries.
    wrap: Option<Wrapper>,
    /// On a terminal: the `› ` prompt is on screen and nothing was typed after it yet.
    prompt_open: bool,
    /// The regrade hint was shown for the current answer (once, however many cards it
    /// graded).
    regrade_hinted: bool,
}

impl View {
    /// A view for a terminal (`piped == false`) or for plain output.
    pub fn new(piped: bool) -> Self {
        Self {
            piped,
            tutor_open: false,
            progress: None,
            concept_title: String::new(),
            ahas: 0,
            wrap: None,
            prompt_open: false,
            regrade_hinted: false,
        }
    }

    /// Whether output is plain, line by line.
    pub fn piped(&self) -> bool {
        self.piped
    }

    /// Shows one server event.
    pub fn event(&mut self, event: &ServerEvent) {
        if !matches!(
            event,
            ServerEvent::LearnerAck { .. } | ServerEvent::Welcome { .. } | ServerEvent::Pong { .. }
        ) {
            self.clear_prompt();
        }
        if matches!(event, ServerEvent::LearnerAck { .. }) {
            self.regrade_hinted = false;
        }
        match event {
            ServerEvent::Session {
                curriculum_title,
                concept_title,
                ..
            } => {
                self.concept_title = concept_title.clone();
                out(&format!("{curriculum_title} — {concept_title}"));
            }
            ServerEvent::TutorDelta { text, .. } => {
                let mut o = std::io::stdout().lock();
                if !self.tutor_open {
                    let _ = write!(o, "{TUTOR}");
                    self.tutor_open = true;
                    if !self.piped {
                        self.wrap = Some(Wrapper::new(terminal_width(), TUTOR.len()));
                    }
                }
                let shown = match self.wrap.as_mut() {
                    Some(w) => w.push(text),
                    None => text.clone(),
                };
                let _ = write!(o, "{shown}");
                let _ = o.flush();
            }
            ServerEvent::TutorDone { text, status, .. } => self.tutor_done(text, status),
            ServerEvent::Progress(p) => {
                self.progress = Some(p.clone());
                self.show_progress();
            }
            ServerEvent::Aha { quote, .. } => {
                self.ahas += 1;
                out(&format!("  ★ aha: \"{quote}\""));
            }
            ServerEvent::ConceptAdvanced {
                to,
                title,
                with_help,
                ..
            } => {
                self.concept_title = title.clone();
                let helped = if *with_help {
                    " · the last one was covered with some help: explain it again later to master it"
                } else {
                    ""
                };
                out(&format!("── next concept: {title} ({to}){helped} ──"));
            }
            ServerEvent::CurriculumComplete { curriculum } => {
                out(&format!(
                    "★ You have worked through the whole {curriculum} curriculum."
                ));
            }
            ServerEvent::ReviewGraded {
                checkpoint,
                checkpoint_title,
                grader_grade,
                grade,
                overruled,
                next_due_at,
                ..
            } => {
                let what = checkpoint_title.as_deref().unwrap_or(checkpoint);
                let next = next_due_at
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| format!(" · next review {}", t.format("%b %-d, %H:%M UTC")))
                    .unwrap_or_default();
                if *overruled {
                    out(&format!(
                        "  ↻ regraded {grade} (the grader said {grader_grade}): {what}{next}"
                    ));
                } else {
                    out(&format!("  ✓ graded {grade}: {what}{next}"));
                    if !std::mem::replace(&mut self.regrade_hinted, true) {
                        self.note("disagree? /again, /hard, /good or /easy regrades it");
                    }
                }
            }
            ServerEvent::ReviewComplete { reviewed, .. } => {
                out(&format!("★ Review done: {reviewed} card(s) rescheduled."));
            }
            ServerEvent::SessionEnded { .. } => self.note("(this session is finished)"),
            ServerEvent::Error { message, .. } => self.note(message),
            ServerEvent::Resumed { .. } => self.note("(resumed)"),
            ServerEvent::LearnerAck { .. }
            | ServerEvent::Welcome { .. }
            | ServerEvent::Pong { .. } => {}
        }
    }

    fn tutor_done(&mut self, text: &str, status: &str) {
        let mark = match status {
            "partial" => " [stopped]",
            "failed" => " [failed]",
            _ => "",
        };
        if self.tutor_open {
            let rest = self.wrap.take().map(|mut w| w.finish()).unwrap_or_default();
            out(&format!("{rest}{mark}"));
        } else if self.piped {
            out(&format!("{TUTOR}{text}{mark}"));
        } else {
            let mut w = Wrapper::new(terminal_width(), TUTOR.len());
            let body = w.push(text) + &w.finish();
            out(&format!("{TUTOR}{body}{mark}"));
        }
        self.tutor_open = false;
    }

    /// On a terminal, shows the `› ` prompt: Klover waits for the learner.
    pub fn prompt(&mut self) {
        if self.piped || self.prompt_open {
            return;
        }
        let mut o = std::io::stdout().lock();
        let _ = write!(o, "{PROMPT}");
        let _ = o.flush();
        self.prompt_open = true;
    }

    /// Takes the prompt off the line before printing something else there.
    fn clear_prompt(&mut self) {
        if self.prompt_open {
            let mut o = std::io::stdout().lock();
            let _ = write!(o, "\r\x1b[2K");
            let _ = o.flush();
            self.prompt_open = false;
        }
    }

    /// Echoes a learner line (piped mode only: a terminal already shows it).
    pub fn learner(&mut self, line: &str) {
        // The learner typed after the prompt: the line is theirs now.
        self.prompt_open = false;
        if self.piped {
            out(&format!("Me: {line}"));
        }
    }

    /// A learner line the server sent back (a resumed session's transcript).
    pub fn replayed_learner(&mut self, text: &str) {
        self.clear_prompt();
        if self.piped {
            out(&format!("Me: {text}"));
        } else {
            out(&format!("{PROMPT}{text}"));
        }
    }

    /// Ends a half-written line (a reply cut by quitting, or the prompt) before leaving.
    pub fn end_line(&mut self) {
        if self.tutor_open || self.prompt_open {
            out("");
            self.tutor_open = false;
            self.prompt_open = false;
        }
    }

    /// The compact progress line.
    pub fn show_progress(&self) {
        let Some(p) = &self.progress else {
            return self.note("no progress yet");
        };
        let marks: Vec<&str> = p
            .checkpoints
            .iter()
            .map(|c| if c.reached { "✓" } else { "·" })
            .collect();
        let reached = p.checkpoints.iter().filter(|c| c.reached).count();
        let aha = if self.ahas > 0 {
            format!("  ★×{}", self.ahas)
        } else {
            String::new()
        };
        out(&format!(
            "  [{} · {}] {} {reached}/{} mastery {:.0}%{aha}",
            p.concept,
            self.concept_title,
            marks.join(" "),
            p.checkpoints.len(),
            p.mastery * 100.0
        ));
    }

    /// A note for the human, on stderr.
    pub fn note(&self, msg: &str) {
        let _ = writeln!(std::io::stderr(), "klover: {msg}");
    }

    /// The command list.
    pub fn help(&self) {
        out(
            "Commands: /stop (stop the reply), /progress, /export (save the session as Markdown), \
             /again /hard /good /easy (in a review: overrule the grades of your last answer, every card it graded), /quit, /help",
        );
    }
}

fn out(line: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{line}");
    let _ = o.flush();
}
