//! The voice started before the judge answers (issue 17): at most one upstream round trip
//! before the tutor's first word.
//!
//! An LLM turn asks the model twice: the judge (a verdict on the learner's words, merged
//! with the rubric's) decides the plan, and the voice words it. In series that is two
//! round trips before the first token. So as soon as the rubric has assessed the turn,
//! the engine runs on a copy of the session with the rubric's verdict alone, and the
//! voice starts on the plan that implies, beside the judge. Its tokens are held (not sent,
//! not stored) until the judge answers — at most `judge_wait`, after which the rubric's
//! verdict stands. Then the engine runs for real, and the voice prompt for the real plan
//! is rendered: **if it is the prompt the speculative voice was started with** (same
//! moves, same concept context, same draft), the held tokens are released at once and the
//! stream goes on; **otherwise that stream is cancelled** (its HTTP request dropped, not
//! one of its tokens sent) and the voice starts again on the right plan. Comparing whole
//! prompts, not only the move, keeps the rule that a prompt never carries an insight the
//! plan withholds.
//!
//! Both prompts are built from one `Window`, read once when the speculation starts:
//! the same turns, the same count of earlier ones, and the same summary of those
//! ([`Recap`], from the session state *before* this turn, which the judge cannot change).
//! A summary built from each voice's own learner model would differ whenever the judge's
//! verdict moved a mastery the rubric's did not, and cancel the speculation.

use std::sync::Arc;

use klover_domain::learner::LearnerModel;
use klover_domain::policy::TutorPlan;
use klover_domain::prompt::recap::MAX_QUOTES;
use klover_domain::prompt::{
    Message, Persona, Recap, Speaker, TranscriptTurn, VoiceContext, voice_messages,
};
use klover_llm::{Reply, VoiceError};
use klover_store::TurnRole;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::error::Error;
use crate::live::LiveSession;
use crate::state::AppState;
use crate::voice::LlmVoice;

/// Deltas a speculative voice may send before the judge answers (held, not sent); past
/// this it waits for them to be released.
const HELD: usize = 1024;

/// Metric: speculative voices, by `outcome` (`released`: the judge left the prompt
/// unchanged; `cancelled`: it changed it).
pub const SPECULATIONS: &str = "klover_speculative_voice_total";

/// A voice streaming on the rubric's plan while the judge thinks. Dropping it cancels the
/// stream (ownership by type: an early return cannot leave it running).
pub struct Speculation {
    /// The prompt it was started with.
    messages: Vec<Message>,
    /// The context the prompt was built from (the real prompt uses the same).
    pub(crate) window: Window,
    held: Option<mpsc::Receiver<String>>,
    task: Option<JoinHandle<Result<Reply, VoiceError>>>,
    cancel: CancellationToken,
}

/// A released speculation: the held deltas and the rest of the stream, and the voice's end.
pub(crate) struct Released {
    pub(crate) deltas: mpsc::Receiver<String>,
    pub(crate) task: JoinHandle<Result<Reply, VoiceError>>,
}

impl Speculation {
    /// Starts the voice on `plan` (with the learner model and offline draft the rubric's
    /// verdict gives); `stop` cancels it too.
    pub(crate) async fn start(
        app: &AppState,
        live: &LiveSession,
        llm: &Arc<LlmVoice>,
        plan: &TutorPlan,
        learner: &LearnerModel,
        draft: &str,
        stop: &CancellationToken,
    ) -> Result<Self, Error> {
        let window = voice_window(app, live).await?;
        Self::start_on(window, live, llm, plan, learner, draft, stop)
    }

    /// The speculation for `plan` once the judge has answered: this one if it was started
    /// with the very prompt `plan` gives over the same window, else a voice started now on
    /// that prompt (this one cancelled, none of its tokens sent). Called as soon as the
    /// real plan is known, the corrected voice's round trip overlaps the storing of the
    /// turn instead of following it.
    pub(crate) fn redirect(
        self,
        live: &LiveSession,
        llm: &Arc<LlmVoice>,
        plan: &TutorPlan,
        learner: &LearnerModel,
        draft: &str,
        stop: &CancellationToken,
    ) -> Result<Self, Error> {
        let budget = llm.voice.config().context_budget;
        let messages = self
            .window
            .messages(&live.curriculum, plan, learner, draft, budget)?;
        if messages == self.messages {
            return Ok(self);
        }
        metrics::counter!(SPECULATIONS, "outcome" => "cancelled").increment(1);
        let window = self.window.clone();
        drop(self);
        Self::start_on(window, live, llm, plan, learner, draft, stop)
    }

    /// Starts the voice on `plan` over `window`.
    fn start_on(
        window: Window,
        live: &LiveSession,
        llm: &Arc<LlmVoice>,
        plan: &TutorPlan,
        learner: &LearnerModel,
        draft: &str,
        stop: &CancellationToken,
    ) -> Result<Self, Error> {
        let budget = llm.voice.config().context_budget;
        let messages = window.messages(&live.curriculum, plan, learner, draft, budget)?;
        let (tx, rx) = mpsc::channel(HELD);
        let cancel = stop.child_token();
        let task = {
            let (voice, curriculum) = (llm.voice.clone(), live.curriculum.clone());
            let (plan, learner, draft) = (plan.clone(), learner.clone(), draft.to_owned());
            let (window, messages, cancel) = (window.clone(), messages.clone(), cancel.clone());
            tokio::spawn(
                async move {
                    let persona = Persona::default();
                    let ctx =
                        window.context(&persona, &curriculum, &plan, &learner, &draft, budget);
                    voice.stream_voice_reply(&ctx, &messages, tx, cancel).await
                }
                .in_current_span(),
            )
        };
        Ok(Self {
            messages,
            window,
            held: Some(rx),
            task: Some(task),
            cancel,
        })
    }

    /// Releases the stream if it was started with exactly `messages`; else cancels it.
    pub(crate) fn release_for(mut self, messages: &[Message]) -> Option<Released> {
        if self.messages != messages {
            metrics::counter!(SPECULATIONS, "outcome" => "cancelled").increment(1);
            return None; // dropped: cancelled
        }
        metrics::counter!(SPECULATIONS, "outcome" => "released").increment(1);
        Some(Released {
            deltas: self.held.take()?,
            task: self.task.take()?,
        })
    }
}

impl Drop for Speculation {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            self.cancel.cancel();
            task.abort();
        }
    }
}

/// The most turns the voice's context is built from (its token budget may keep fewer):
/// the store loads this many at most, never the whole transcript.
pub(crate) const CONTEXT_TURNS: i64 = 40;

/// What the voice's prompt is built from besides the plan: the session's latest turns,
/// how many earlier ones were not loaded, and the material of the summary of the turns
/// the prompt leaves out.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    /// The latest turns (at most [`CONTEXT_TURNS`]), oldest first.
    pub(crate) transcript: Vec<TranscriptTurn>,
    /// Turns before `transcript`, counted, not loaded.
    pub(crate) earlier: usize,
    /// The summary's material (rendered only when the prompt leaves turns out).
    pub(crate) recap: Recap,
}

impl Window {
    /// The voice context for `plan` over this window.
    pub(crate) fn context<'a>(
        &'a self,
        persona: &'a Persona,
        curriculum: &'a klover_domain::Curriculum,
        plan: &'a TutorPlan,
        learner: &'a LearnerModel,
        draft: &'a str,
        budget_tokens: usize,
    ) -> VoiceContext<'a> {
        VoiceContext {
            persona,
            curriculum,
            plan,
            learner,
            transcript: &self.transcript,
            earlier: self.earlier,
            recap: Some(&self.recap),
            draft: Some(draft),
            budget_tokens,
        }
    }
}

impl Window {
    /// The voice prompt for `plan` over this window (the default persona): the one the
    /// speculative voice is started with and the one a release is compared against.
    pub(crate) fn messages(
        &self,
        curriculum: &klover_domain::Curriculum,
        plan: &TutorPlan,
        learner: &LearnerModel,
        draft: &str,
        budget_tokens: usize,
    ) -> Result<Vec<Message>, Error> {
        let persona = Persona::default();
        let ctx = self.context(&persona, curriculum, plan, learner, draft, budget_tokens);
        voice_messages(&ctx).map_err(|e| Error::Internal(e.to_string()))
    }
}

/// The voice's [`Window`]: the latest turns (one bounded read) and the summary's
/// material — the session state as it stands (before the turn being answered, when
/// called at a speculation's start) and, when earlier turns were left unloaded, the
/// learner's words at the latest aha moments before the window (a second bounded read,
/// at most [`MAX_QUOTES`] rows).
pub(crate) async fn voice_window(app: &AppState, live: &LiveSession) -> Result<Window, Error> {
    let (turns, earlier) = app.store.recent_turns(&live.id, CONTEXT_TURNS).await?;
    let first_seq = turns.first().map(|t| t.seq);
    let transcript = turns
        .into_iter()
        .map(|t| TranscriptTurn {
            speaker: match t.role {
                TurnRole::Learner => Speaker::Learner,
                TurnRole::Tutor => Speaker::Tutor,
            },
            text: t.text,
        })
        .collect();
    let earlier = usize::try_from(earlier).unwrap_or_default();
    // The state is in memory: the summary's material costs no read, and the token budget
    // may drop loaded turns too. The quotes are read only for turns left unloaded.
    let mut recap = Recap::of(&live.lock_engine().state, Vec::new());
    if let Some(before) = first_seq.filter(|_| earlier > 0) {
        let limit = i64::try_from(MAX_QUOTES).unwrap_or(3);
        recap.quotes = app
            .store
            .recent_aha_quotes(&live.learner, &live.id, before, limit)
            .await?;
    }
    Ok(Window {
        transcript,
        earlier,
        recap,
    })
}
