//! One learner turn, as DESIGN.md orders it: persist the learner's text (ack) → assess →
//! update the learner model → aha → choose the move → render (offline text or streamed
//! LLM reply) → persist → progress, aha and concept-advanced events. Starting a session
//! and loading one back for a resume are in [`crate::session`]. An offline reply said
//! whole in the same concept is known as soon as the turn is assessed: `at_once` stores
//! it with the message (one transaction) before anything is acknowledged.
//!
//! Nothing here knows about sockets: results leave through [`LiveSession::emit`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use klover_domain::assess::Assessor;
use klover_domain::engine::{self, SessionState, TurnOutcome};
use klover_domain::learner::LearnerModel;
use klover_domain::policy::TutorPlan;
use klover_store::{PendingReply, ReplyState, TurnRow, TurnStatus};

use crate::error::Error;
use crate::live::{AssessedTurn, LiveSession};
use crate::reply::ReplyGuard;
use crate::speculate::Speculation;
use crate::state::AppState;
use crate::voice::TutorVoice;
use crate::{convert, fault, telemetry};

pub(crate) mod at_once;
mod speak;
mod tail;

pub(crate) use at_once::Worked;
pub(crate) use speak::{Closing, end_cut_reply, speak_offline};
pub(crate) use tail::{Tail, closing_events};
pub use tail::{progress, review_progress};

/// Drives the reply to an acknowledged learner turn from where it stands to its end:
/// assessed if it was not, then answered; a reply a crash cut is ended as partial. Runs
/// under [`crate::reply::spawn`]'s supervision, which fails the turn on an error.
/// `worked`: the engine's turn on the message, when [`at_once`] worked it out.
pub(crate) async fn drive(
    app: &AppState,
    live: &Arc<LiveSession>,
    pending: PendingReply,
    guard: &ReplyGuard,
    worked: Option<Box<Worked>>,
) -> Result<(), Error> {
    let learner_turn = &pending.turn;
    let mut spec = None;
    let mut begun = None;
    let mut deferred = None;
    let mut cards = None;
    let mut learner = None;
    let slots = Slots {
        spec: &mut spec,
        begun: &mut begun,
        deferred: &mut deferred,
        cards: &mut cards,
        learner: &mut learner,
    };
    let (outcome, commit) = match (pending.state, pending.outcome.as_deref()) {
        (ReplyState::Acknowledged, _) => {
            fault::point("after_ack").await;
            assess(app, live, learner_turn, guard, slots, false, worked).await?
        }
        // A crash between the reply's start (begun while the judge thought) and the
        // commit of the turn's assessment: the turn is assessed again (nothing of the
        // first assessment was stored), and the reply is ended below with what it stored.
        (ReplyState::Replying, None) if pending.reply_turn.is_some() => {
            assess(app, live, learner_turn, guard, slots, true, None).await?
        }
        (_, Some(json)) => {
            let outcome = serde_json::from_str::<TurnOutcome>(json)
                .map_err(|e| Error::Internal(format!("stored turn outcome is unreadable: {e}")))?;
            // A crash between the assessment's commit and its concept's review cards
            // (made beside the LLM reply): make them now. Adding cards keeps those that
            // exist, so a second run adds nothing. A review answer's grading was stored
            // with the assessment.
            let state = live.lock_engine().state.clone();
            cards_step(app, live, &state, &outcome).await;
            (outcome, None)
        }
        (state, None) => {
            return Err(Error::Internal(format!(
                "turn {} is {state} without a stored outcome",
                learner_turn.id
            )));
        }
    };
    if commit.is_none() {
        fault::point("after_assess").await;
    }
    let following = tail::Following::of(&outcome);
    let closing = |events| Closing {
        events,
        answers: Some(&learner_turn.id),
        guard,
        following: following.as_ref(),
        assessed: deferred,
    };
    // After a concept's closing the learner answers the next concept's opening, however
    // the closing ended (it is stored with the closing events).
    let opening_said = following.as_ref().map(|f| f.text().to_owned());
    if let (ReplyState::Replying, Some(reply)) = (pending.state, &pending.reply_turn) {
        // Its driver crashed mid-reply: what was said stands, ended as partial.
        let move_ = move_kind(&outcome.plan);
        let cut = end_cut_reply(app, live, reply, TurnStatus::Partial, &move_).await?;
        let status = cut.map_or(TurnStatus::Partial, |t| t.status);
        let events =
            closing_events(app, live, &learner_turn.id, &outcome, following.as_ref()).await?;
        return closing(events).close(app, live, status).await;
    }
    let status = match &app.voice {
        TutorVoice::Offline => {
            let events =
                closing_events(app, live, &learner_turn.id, &outcome, following.as_ref()).await?;
            let text = &outcome.offline_text;
            speak_offline(app, live, &outcome.plan, text, closing(events)).await?
        }
        TutorVoice::Llm(llm) => {
            let learner = learner.unwrap_or_else(|| live.lock_engine().state.learner.clone());
            let spoken = crate::speak_llm::speak(
                app,
                live,
                llm,
                &outcome.plan,
                &learner,
                &outcome.offline_text,
                &learner_turn.id,
                guard,
                spec,
                begun,
            );
            // The assessment's commit, when the reply was begun before it, runs beside
            // the reply (its first token does not wait for it); a failed commit stops the
            // reply, and the turn fails visibly. Then a concept's review cards, made while
            // the reply streams and stored before the closing events go out.
            let stored = async {
                if let Some(commit) = commit
                    && let Err(e) = commit.await
                {
                    guard.cancel.cancel();
                    return Err(e);
                }
                if let Some(state) = &cards {
                    cards_step(app, live, state, &outcome).await;
                }
                Ok(())
            };
            let (spoken, stored) = tokio::join!(spoken, stored);
            stored?;
            let (said, status) = spoken?;
            fault::point("before_close").await;
            let events =
                closing_events(app, live, &learner_turn.id, &outcome, following.as_ref()).await?;
            closing(events).close(app, live, status).await?;
            if let Some(text) = opening_said {
                live.lock_engine().last_tutor = Some(text);
            } else if status == TurnStatus::Complete {
                live.lock_engine().last_tutor = Some(said);
            }
            return Ok(());
        }
    };
    if let Some(text) = opening_said {
        live.lock_engine().last_tutor = Some(text);
    } else if status == TurnStatus::Complete {
        live.lock_engine().last_tutor = Some(outcome.offline_text.clone());
    }
    Ok(())
}

/// The write of a turn's assessment when it runs beside the reply (see [`assess`]).
type Commit<'a> = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;

/// What [`assess`] hands on besides the outcome.
struct Slots<'a> {
    /// The speculative voice (LLM judge).
    spec: &'a mut Option<Speculation>,
    /// The reply's streaming turn, begun in the assessment's transaction (LLM voice).
    begun: &'a mut Option<(TurnRow, i64, i64)>,
    /// The assessment and state, to be stored with the offline reply.
    deferred: &'a mut Option<AssessedTurn>,
    /// The state whose review cards are made beside the streamed reply (LLM voice).
    cards: &'a mut Option<SessionState>,
    /// The turn's learner model, when its commit runs beside the reply (the live
    /// session's copy is updated by that commit).
    learner: &'a mut Option<LearnerModel>,
}

/// Whether a turn's assessment can wait for its reply and share its transaction: an
/// offline reply said whole, in a learning session that goes on in the same concept. Any
/// other turn stores its assessment first: a judge's reply or a streamed one takes time;
/// a concept's closing and a session's end read what the turn recorded (aha moments for
/// review cards, the review log); a review answer reschedules its cards.
fn can_defer(
    app: &AppState,
    already_finished: bool,
    state: &SessionState,
    o: &TurnOutcome,
) -> bool {
    matches!(app.voice, TutorVoice::Offline)
        && app.settings.offline_delta_delay_ms == 0
        && !already_finished
        && state.mode == engine::Mode::Learn
        && o.advanced.is_none()
        && o.next.is_none()
        && !o.finished
}

/// Assesses the learner's words, runs the engine, and stores the assessment, the new
/// engine state and the engine's decision in one transaction (the turn is then
/// `assessed`), with a review answer's grading; a learning session's new cards follow
/// (with the LLM voice, beside the reply instead: `cards`).
///
/// With the LLM judge, the voice starts on the rubric's plan while the judge thinks
/// (`spec`, see [`crate::speculate`]), and the reply's streaming turn is begun in a write
/// of its own beside them (`begun`, its seqs reserved): the assessment's write is then
/// returned (the [`Commit`]) to run beside the reply, so neither its statements nor its
/// commit come between the verdict and the first token. A crash before that commit leaves
/// a replying turn without an outcome: `replying` assesses it again, with the judge but
/// without a voice, and stores the assessment for the reply that exists.
///
/// When the offline reply follows at once in the same concept ([`can_defer`]), nothing is
/// stored here: the assessment and state go with the reply, in its transaction
/// (`deferred`), and a crash before it assesses the turn again.
///
/// Without a judge, `worked` (the engine's turn on the same state, text and last tutor
/// words) stands for the rubric's reading and the engine's run.
#[allow(clippy::too_many_arguments)] // the turn, where it stands, and what it hands on
async fn assess<'a>(
    app: &'a AppState,
    live: &'a Arc<LiveSession>,
    learner_turn: &'a TurnRow,
    guard: &ReplyGuard,
    slots: Slots<'_>,
    replying: bool,
    worked: Option<Box<Worked>>,
) -> Result<(TurnOutcome, Option<Commit<'a>>), Error> {
    let Slots {
        spec,
        begun,
        deferred,
        cards,
        learner,
    } = slots;
    let curr = live.curriculum.clone();
    let text = learner_turn.text.as_str();
    let (mut state, last_tutor, version) = {
        let engine = live.lock_engine();
        (
            engine.state.clone(),
            engine.last_tutor.clone(),
            engine.version,
        )
    };
    let before = state.learner.clone();
    // A message after the end only hears the ending again: no judge call, no review work.
    let already_finished = state.finished;
    let judge = match &app.voice {
        TutorVoice::Llm(llm) if !already_finished => Some(llm),
        _ => None,
    };
    // The rubric's verdict when a judge is asked, kept beside the judge's (author inbox).
    let mut rubric_verdict = None;
    // The engine's run on the rubric's verdict alone (the speculative voice's plan): the
    // real run when the judge's verdict is the same (the engine is deterministic).
    let mut speculated = None;
    // Worked out already on this very state (offline: no judge to ask).
    let worked = worked.filter(|w| {
        judge.is_none() && w.version == version && w.text == text && w.last_tutor == last_tutor
    });
    let assessment = if worked.is_some() {
        None
    } else {
        Some({
            let req = engine::assess_request(&curr, &state, text, last_tutor.as_deref())
                .ok_or_else(|| Error::NotFound(format!("concept `{}`", state.concept)))?;
            match judge {
                None => klover_domain::assess::RubricAssessor::new().assess_now(req),
                // The judge is an LLM call: a stop (or shutdown) must not wait for it. The
                // rubric's verdict stands in, as on any judge failure.
                Some(llm) => {
                    let rubric = klover_domain::assess::RubricAssessor::new().assess_now(req);
                    rubric_verdict = Some(rubric.clone());
                    let wait = llm.voice.config().judge_wait;
                    let fallback = rubric.clone();
                    let judged = async {
                        tokio::select! {
                            biased;
                            _ = guard.cancel.cancelled() => fallback,
                            verdict = tokio::time::timeout(wait, llm.judge.assess(req)) => {
                                verdict.unwrap_or_else(|_| {
                                    tracing::warn!(session = %live.id, ?wait, "the judge did not answer in time; using the rubric's assessment");
                                    metrics::counter!("klover_judge_fallbacks_total").increment(1);
                                    fallback
                                })
                            }
                        }
                    };
                    if replying {
                        // The reply exists: nothing to speak ahead of the verdict.
                        judged.await
                    } else {
                        let mut guess = state.clone();
                        let implied = engine::learner_turn(&curr, &mut guess, text, rubric);
                        let started = Speculation::start(
                            app,
                            live,
                            llm,
                            &implied.plan,
                            &guess.learner,
                            &implied.offline_text,
                            &guard.cancel,
                        );
                        let begin = async {
                            let ahead = crate::slices::MIN_AHEAD;
                            Ok::<_, Error>(
                                app.store
                                    .begin_sliced_reply(&live.id, &learner_turn.id, ahead)
                                    .await?,
                            )
                        };
                        // The judge's request goes out while the speculative voice reads its
                        // window and starts, and the reply is begun: none waits for another
                        // (the voice's held tokens wait for the verdict: a judge sent late was
                        // added TTFT). A voice or a reply that cannot start fails the turn at
                        // once (the judge is dropped).
                        let judged = async { Ok::<_, Error>(judged.await) };
                        let (started, verdict, reply) = tokio::try_join!(started, judged, begin)?;
                        *spec = Some(started);
                        *begun = Some(reply);
                        speculated = Some((guess, implied));
                        verdict
                    }
                }
            }
        })
    };
    let outcome = match (worked, assessment) {
        (Some(w), _) => {
            state = w.state;
            w.outcome
        }
        (None, Some(assessment)) => match speculated {
            Some((guess, implied)) if rubric_verdict.as_ref() == Some(&assessment) => {
                state = guess;
                implied
            }
            _ => engine::learner_turn(&curr, &mut state, text, assessment),
        },
        (None, None) => return Err(Error::Internal("a turn without an assessment".into())),
    };
    // The judge changed the plan: the voice restarts on the real one now, while the turn
    // is stored, not after (its tokens are held until `speak` releases them).
    if let (Some(llm), Some(started)) = (judge, spec.take()) {
        let (plan, draft) = (&outcome.plan, &outcome.offline_text);
        let redirected = started.redirect(live, llm, plan, &state.learner, draft, &guard.cancel)?;
        *spec = Some(redirected);
    }
    let mut record = convert::turn_assessment(&curr, &before, &state, &outcome, text);
    if let Some(rubric) = &rubric_verdict {
        record.rubric_scores = convert::rubric_scores(rubric, &outcome.assessment);
    }
    let json = serde_json::to_string(&state)
        .map_err(|e| Error::Internal(format!("cannot encode session state: {e}")))?;
    count_turn(app, &outcome);
    if can_defer(app, already_finished, &state, &outcome) {
        *deferred = Some(AssessedTurn {
            record,
            state,
            json,
            version,
        });
        return Ok((outcome, None));
    }
    let outcome_json = serde_json::to_string(&outcome)
        .map_err(|e| Error::Internal(format!("cannot encode turn outcome: {e}")))?;
    // With the LLM voice the reply begins here unless it already has (beside the judge,
    // or before a crash).
    let begin_reply = match &app.voice {
        TutorVoice::Llm(_) if begun.is_none() && !replying => Some(crate::slices::MIN_AHEAD),
        _ => None,
    };
    // A review answer's grading goes in the assessment's transaction: a crash keeps both
    // or neither, so a recovered turn neither loses the grade nor grades twice.
    let (graded, logged) = if already_finished || state.mode != engine::Mode::Review {
        (Vec::new(), Vec::new())
    } else {
        let at = crate::review::Graded {
            session: &live.id,
            turn: &learner_turn.id,
        };
        crate::review::grade(app, &live.learner, &curr, &state, &outcome, at)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(session = %live.id, error = %e, "review cards not updated");
                (Vec::new(), Vec::new())
            })
    };
    // A concept's closing in a learning session adds its review cards once the turn is
    // stored: with the LLM voice beside the streamed reply (`cards`), so its first token
    // does not wait for them (two reads and a write). Nothing is scheduled after the end
    // (the ending's cards were made when the session finished), nor for a review answer
    // (its grading is stored with the assessment).
    let closing_state =
        (!already_finished && closes_a_concept(&state, &outcome)).then(|| state.clone());
    let ahead = begun.is_some();
    if ahead {
        *learner = Some(state.learner.clone());
    }
    let write = async move {
        if ahead {
            fault::point("reply_begun").await;
        }
        let grading = klover_store::Grading {
            cards: &graded,
            log: &logged,
        };
        let (version, reply) = app
            .store
            .record_assessment_for_reply(
                &live.id,
                &learner_turn.id,
                &record,
                &state.concept,
                &json,
                version,
                &outcome_json,
                begin_reply,
                grading,
            )
            .await?;
        live.adopt(state, version);
        Ok::<_, Error>(reply)
    };
    if ahead {
        *cards = closing_state;
        let commit = async move {
            write.await?;
            fault::point("after_assess").await;
            Ok(())
        };
        return Ok((outcome, Some(Box::pin(commit))));
    }
    if let Some(reply) = write.await? {
        *begun = Some(reply);
    }
    if let Some(state) = &closing_state {
        cards_step(app, live, state, &outcome).await;
    }
    Ok((outcome, None))
}

/// Whether the turn closed a concept (or the path) in a learning session: the turns that
/// add review cards.
fn closes_a_concept(state: &SessionState, outcome: &TurnOutcome) -> bool {
    state.mode == engine::Mode::Learn && (outcome.advanced.is_some() || outcome.finished)
}

/// [`add_cards`], a failure logged: the turn's reply does not depend on it.
async fn cards_step(
    app: &AppState,
    live: &Arc<LiveSession>,
    state: &SessionState,
    outcome: &TurnOutcome,
) {
    if let Err(e) = add_cards(app, live, state, outcome).await {
        tracing::warn!(session = %live.id, error = %e, "review cards not updated");
    }
}

/// A learning session's new review cards when the turn finished a concept (or the
/// path); nothing otherwise. Idempotent: existing cards are kept.
async fn add_cards(
    app: &AppState,
    live: &Arc<LiveSession>,
    state: &SessionState,
    outcome: &TurnOutcome,
) -> Result<(), Error> {
    let curr = &live.curriculum;
    if !closes_a_concept(state, outcome) {
        return Ok(());
    }
    let aha: Vec<_> = app
        .store
        .session_aha_moments(&live.learner, &live.id)
        .await?
        .into_iter()
        .filter_map(|a| a.checkpoint)
        .collect();
    crate::review::add_cards(app, &live.id, &live.learner, curr, state, &aha).await
}

pub(crate) fn mode_name(live: &LiveSession) -> String {
    match live.lock_engine().state.mode {
        engine::Mode::Learn => "learn".into(),
        engine::Mode::Review => "review".into(),
    }
}

pub(crate) fn move_kind(plan: &TutorPlan) -> String {
    plan.primary().map(|m| m.kind()).unwrap_or("ask").to_owned()
}

/// Counts a turn once it is worked out, with its moves and its aha moment (not when its
/// closing events are built: a turn whose answer falls back to another path builds
/// them twice).
fn count_turn(app: &AppState, outcome: &TurnOutcome) {
    metrics::counter!(telemetry::TURNS, "voice" => app.voice.name()).increment(1);
    if outcome.aha.is_some() {
        metrics::counter!(telemetry::AHAS).increment(1);
    }
    for m in &outcome.plan.moves {
        metrics::counter!(telemetry::MOVES, "move" => m.kind()).increment(1);
    }
}

/// Saves `state` over stored version `expected`; returns the new version.
pub(crate) async fn save_state(
    app: &AppState,
    session: &klover_store::SessionId,
    state: &SessionState,
    expected: i64,
) -> Result<i64, Error> {
    let json = serde_json::to_string(state)
        .map_err(|e| Error::Internal(format!("cannot encode session state: {e}")))?;
    Ok(app
        .store
        .save_engine_state(session, &state.concept, &json, expected)
        .await?)
}
