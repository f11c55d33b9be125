//! The LLM voice for one turn: builds the prompt from the plan and the transcript, streams
//! the reply, sends each delta as it arrives (stored in slices, [`crate::slices`]), and
//! ends the turn as complete, partial (stopped, cut) or failed. The learner gets a clear
//! `upstream_failed` message when the model fails; what it said so far is kept.

use std::sync::Arc;
use std::time::Instant;

use klover_domain::learner::LearnerModel;
use klover_domain::policy::TutorPlan;
use klover_domain::prompt::Persona;
use klover_llm::VoiceError;
use klover_store::{TurnId, TurnRow, TurnStatus, Usage};
use tokio::sync::mpsc;

use crate::error::Error;
use crate::live::{LiveSession, ReplySlot};
use crate::protocol::{ErrorCode, ServerEvent};
use crate::speculate::Speculation;
use crate::state::AppState;
use crate::telemetry;
use crate::voice::{LlmVoice, Rendered};

/// Streams the LLM's wording of `plan` as the tutor turn answering learner turn
/// `answers`, ended with its `tutor_done`. Returns the stored text and how it ended. A
/// voice started on the rubric's plan (`spec`) is taken over when it was asked for this
/// very prompt, and cancelled otherwise ([`crate::speculate`]). The reply's streaming
/// turn is `begun` when the assessment's transaction began it, and begun here otherwise.
#[allow(clippy::too_many_arguments)]
pub async fn speak(
    app: &AppState,
    live: &Arc<LiveSession>,
    llm: &LlmVoice,
    plan: &TutorPlan,
    learner: &LearnerModel,
    draft: &str,
    answers: &TurnId,
    slot: &ReplySlot,
    spec: Option<Speculation>,
    begun: Option<(TurnRow, i64, i64)>,
) -> Result<(String, TurnStatus), Error> {
    // The speculation's window, when there is one: the same turns and the same summary
    // of the earlier ones, so that an unchanged plan gives the very same prompt.
    let window = match &spec {
        Some(s) => s.window.clone(),
        None => crate::speculate::voice_window(app, live).await?,
    };
    let budget = llm.voice.config().context_budget;
    let messages = window.messages(&live.curriculum, plan, learner, draft, budget)?;
    let (turn, head, reserved) = match begun {
        Some(begun) => begun,
        None => {
            app.store
                .begin_sliced_reply(&live.id, answers, crate::slices::MIN_AHEAD)
                .await?
        }
    };
    live.start_stream(&turn.id, head, reserved);
    let started = Instant::now();
    // A stop that came while the judge was thinking: the learner has seen nothing of the
    // held reply (even one the speculative voice finished), so none of it is released and
    // the turn ends as stopped, as without speculation.
    let released = spec
        .filter(|_| !slot.cancel.is_cancelled())
        .and_then(|s| s.release_for(&messages));
    let (result, relayed) = match released {
        Some(released) => {
            let voice = async {
                released.task.await.unwrap_or_else(|e| {
                    Err(VoiceError::Invalid(format!("the voice task ended: {e}")))
                })
            };
            tokio::join!(
                voice,
                crate::slices::relay(app, live, &turn, released.deltas)
            )
        }
        None => {
            let persona = Persona::default();
            let ctx = window.context(&persona, &live.curriculum, plan, learner, draft, budget);
            let (tx, rx) = mpsc::channel::<String>(64);
            tokio::join!(
                llm.voice
                    .stream_voice_reply(&ctx, &messages, tx, slot.cancel.clone()),
                crate::slices::relay(app, live, &turn, rx)
            )
        }
    };
    metrics::histogram!(telemetry::UPSTREAM_LATENCY).record(started.elapsed().as_secs_f64());
    relayed?;
    let rendered = match &result {
        Ok(reply) => {
            let usage = reply.usage.map(|u| Usage {
                prompt_tokens: i64::from(u.prompt_tokens),
                completion_tokens: i64::from(u.completion_tokens),
            });
            if let Some(u) = usage {
                metrics::counter!(telemetry::TOKENS, "kind" => "prompt")
                    .increment(u64::try_from(u.prompt_tokens).unwrap_or_default());
                metrics::counter!(telemetry::TOKENS, "kind" => "completion")
                    .increment(u64::try_from(u.completion_tokens).unwrap_or_default());
            }
            klover_llm::guard::check_leaks(&live.curriculum, plan, &reply.text);
            Rendered {
                status: TurnStatus::Complete,
                usage,
            }
        }
        Err(e) => {
            // A cut reply reached the learner too: it gets the same leak check.
            klover_llm::guard::check_leaks(&live.curriculum, plan, e.partial());
            failed(live, e)
        }
    };
    let move_json = serde_json::to_string(&plan.primary()).ok();
    let done = live
        .emit_finish(
            &app.store,
            &turn.id,
            rendered.status,
            &crate::turn::move_kind(plan),
            move_json.as_deref(),
            rendered.usage,
        )
        .await?;
    Ok((done.text, done.status))
}

/// A cut reply: partial when stopped or when some text arrived, failed otherwise; the
/// learner is told what happened unless they stopped it themselves.
fn failed(live: &LiveSession, e: &VoiceError) -> Rendered {
    let status = match e {
        VoiceError::Cancelled { .. } => TurnStatus::Partial,
        _ if !e.partial().is_empty() => TurnStatus::Partial,
        _ => TurnStatus::Failed,
    };
    if !matches!(e, VoiceError::Cancelled { .. }) {
        tracing::warn!(session = %live.id, error = %e, "LLM reply failed");
        telemetry::error("upstream");
        live.broadcast_transient(ServerEvent::Error {
            code: ErrorCode::UpstreamFailed,
            message: e.learner_message().into(),
        });
    }
    Rendered {
        status,
        usage: None,
    }
}
