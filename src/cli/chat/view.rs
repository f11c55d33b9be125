//! What `klover chat` prints: the tutor's words as they stream, a compact progress line
//! (concept, checkpoints ✓/·, aha marks), notes on stderr. Piped mode prints the same
//! words as plain lines, with the learner's own lines echoed as `Me:`.

use std::io::Write;

use klover_server::protocol::{Progress, ServerEvent};

/// The terminal view.
pub struct View {
    piped: bool,
    /// The tutor's current line is open (deltas are being printed).
    tutor_open: bool,
    progress: Option<Progress>,
    concept_title: String,
    ahas: usize,
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
        }
    }

    /// Whether output is plain, line by line.
    pub fn piped(&self) -> bool {
        self.piped
    }

    /// Shows one server event.
    pub fn event(&mut self, event: &ServerEvent) {
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
                    let _ = write!(o, "Klover: ");
                    self.tutor_open = true;
                }
                let _ = write!(o, "{text}");
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
            ServerEvent::ConceptAdvanced { to, title, .. } => {
                self.concept_title = title.clone();
                out(&format!("── next concept: {title} ({to}) ──"));
            }
            ServerEvent::CurriculumComplete { curriculum } => {
                out(&format!(
                    "★ You have worked through the whole {curriculum} curriculum."
                ));
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
            out(mark);
        } else {
            out(&format!("Klover: {text}{mark}"));
        }
        self.tutor_open = false;
    }

    /// Echoes a learner line (piped mode only: a terminal already shows it).
    pub fn learner(&mut self, line: &str) {
        if self.piped {
            out(&format!("Me: {line}"));
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
            "Commands: /stop (stop the reply), /progress, /export (save the session as Markdown), /quit, /help",
        );
    }
}

fn out(line: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{line}");
    let _ = o.flush();
}
