//! The LLM judge: an [`Assessor`] that asks the model for a JSON verdict (under a JSON
//! schema, and also accepting plain JSON text from servers that ignore the schema),
//! validates it against the learner's actual words, and merges it with the rubric's
//! verdict through [`klover_domain::assess::merge`]. Any failure falls back to the rubric
//! with a warning: the learner never sees a judge error.
//!
//! Validation: unknown checkpoint and misconception ids are dropped; an evidence quote
//! must occur verbatim in the learner's text, else it is discarded — with it, a
//! misconception hit, and a checkpoint's credit (its score is capped below
//! [`COVERED`]): no quote, no credit. The learner's turn is sent delimited as data, and a
//! credit from the judge alone must be plausible to the rubric ([`crate::plausible`]).

use std::future::Future;
use std::pin::Pin;

use async_openai::types::chat::{
    CreateChatCompletionRequest, CreateChatCompletionResponse, ResponseFormat,
    ResponseFormatJsonSchema,
};
use klover_domain::assess::{
    AssessRequest, Assessment, AssessmentSource, Assessor, COVERED, CheckpointScore,
    MisconceptionHit, RubricAssessor, Span, merge,
};
use klover_domain::prompt::judge::{VERDICT_SCHEMA_NAME, judge_messages, verdict_schema};
use klover_domain::{CheckpointId, MisconceptionId};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::error::VoiceError;
use crate::voice::{Usage, Voice, record_judge_usage};

/// Score given to a checkpoint the judge credited without a verbatim quote.
pub const UNQUOTED_CAP: f64 = COVERED - 0.1;

/// The verdict as the model writes it (see `verdict_schema`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RawVerdict {
    /// Scores per checkpoint id.
    pub checkpoints: Vec<RawScore>,
    /// Misconceptions shown.
    pub misconceptions: Vec<RawHit>,
    /// The learner asked a question.
    pub asked_question: bool,
    /// The learner asked to be told the answer.
    pub asked_for_answer: bool,
    /// The learner does not know.
    pub dont_know: bool,
    /// The turn is off topic.
    pub off_topic: bool,
}

/// One checkpoint score as written by the model.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RawScore {
    /// Checkpoint id.
    pub id: String,
    /// 0..1.
    pub score: f64,
    /// A quote from the learner.
    pub evidence: Option<String>,
}

/// One misconception hit as written by the model.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RawHit {
    /// Misconception id.
    pub id: String,
    /// A quote from the learner.
    pub evidence: Option<String>,
}

/// The judge; shares the voice's transport, timeouts and retry policy.
#[derive(Debug, Clone)]
pub struct LlmJudge {
    voice: Voice,
    rubric: RubricAssessor,
}

impl LlmJudge {
    /// A judge over this voice's connection.
    pub fn new(voice: Voice) -> Self {
        Self {
            voice,
            rubric: RubricAssessor::new(),
        }
    }

    /// The judge's own validated verdict (no rubric, no fallback).
    #[tracing::instrument(name = "llm_judge", skip_all)]
    pub async fn judge(&self, req: AssessRequest<'_>) -> Result<Assessment, VoiceError> {
        let mut messages = judge_messages(&req).map_err(|e| VoiceError::Invalid(e.to_string()))?;
        crate::plausible::delimit_learner_turn(&mut messages);
        let mut request = self
            .voice
            .request(&messages, self.voice.config.judge_max_tokens, false);
        if let Some(model) = &self.voice.config.judge_model {
            request.model.clone_from(model);
        }
        request.temperature = Some(0.0);
        request.response_format = Some(ResponseFormat::JsonSchema {
            json_schema: ResponseFormatJsonSchema {
                name: VERDICT_SCHEMA_NAME.into(),
                description: Some("Assessment of one learner turn".into()),
                schema: verdict_schema(),
                strict: Some(true),
            },
        });
        let response = match self.call(&request).await {
            // A server that rejects `response_format` still follows the prompt's schema.
            Err(VoiceError::Status {
                status: 400 | 422, ..
            }) => {
                tracing::debug!("judge: the server rejected response_format; asking without it");
                request.response_format = None;
                self.call(&request).await?
            }
            other => other?,
        };
        record_judge_usage(response.usage.map(|u| Usage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
        }));
        let content = response
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .ok_or_else(|| VoiceError::BadVerdict("no content".into()))?;
        Ok(validate(parse_verdict(&content)?, &req))
    }

    async fn call(
        &self,
        request: &CreateChatCompletionRequest,
    ) -> Result<CreateChatCompletionResponse, VoiceError> {
        self.voice
            .with_retries(&CancellationToken::new(), |client| {
                let req = request.clone();
                async move { client.chat().create(req).await }
            })
            .await
    }
}

impl Assessor for LlmJudge {
    fn assess<'a>(
        &'a self,
        req: AssessRequest<'a>,
    ) -> Pin<Box<dyn Future<Output = Assessment> + Send + 'a>> {
        Box::pin(async move {
            let rubric = self.rubric.assess_now(req);
            match self.judge(req).await {
                Ok(judge) => {
                    let merged = merge(rubric.clone(), judge);
                    crate::plausible::restrict(merged, &rubric, &req)
                }
                Err(e) => {
                    tracing::warn!(error = %e, concept = %req.concept.id, "LLM judge failed; using the rubric's assessment");
                    metrics::counter!("klover_judge_fallbacks_total").increment(1);
                    rubric
                }
            }
        })
    }
}

/// Parses a verdict: the whole text as JSON, else the outermost `{...}` in it (servers
/// that ignore the schema wrap JSON in prose or code fences).
pub fn parse_verdict(content: &str) -> Result<RawVerdict, VoiceError> {
    if let Ok(v) = serde_json::from_str(content.trim()) {
        return Ok(v);
    }
    let start = content.find('{');
    let end = content.rfind('}');
    match (start, end) {
        (Some(s), Some(e)) if s < e => serde_json::from_str(&content[s..=e])
            .map_err(|err| VoiceError::BadVerdict(format!("not a verdict: {err}"))),
        _ => Err(VoiceError::BadVerdict("no JSON object in the reply".into())),
    }
}

/// Turns a raw verdict into an [`Assessment`] of `req`'s concept, keeping only what the
/// learner's text supports (see the module docs).
pub fn validate(raw: RawVerdict, req: &AssessRequest<'_>) -> Assessment {
    let mut a = Assessment::empty(req.concept);
    a.source = AssessmentSource::Judge;
    for s in raw.checkpoints {
        let Some(id) = CheckpointId::parse(&s.id)
            .ok()
            .filter(|id| a.scores.contains_key(id))
        else {
            tracing::debug!(id = %s.id, "judge: unknown checkpoint id dropped");
            continue;
        };
        let evidence = s.evidence.as_deref().and_then(|q| find_quote(req.text, q));
        let mut score = if s.score.is_finite() {
            s.score.clamp(0.0, 1.0)
        } else {
            0.0
        };
        if evidence.is_none() && score >= COVERED {
            tracing::debug!(checkpoint = %id, "judge: credit without a verbatim quote capped");
            score = UNQUOTED_CAP;
        }
        a.scores.insert(id, CheckpointScore { score, evidence });
    }
    for h in raw.misconceptions {
        let known = MisconceptionId::parse(&h.id)
            .ok()
            .filter(|id| req.concept.misconception(id).is_some());
        let evidence = h.evidence.as_deref().and_then(|q| find_quote(req.text, q));
        if let (Some(id), Some(span)) = (known, evidence)
            && !a.misconceptions.iter().any(|m| m.id == id)
        {
            a.misconceptions.push(MisconceptionHit {
                id,
                evidence: Some(span),
            });
        }
    }
    a.asked_question = raw.asked_question;
    a.asked_for_answer = raw.asked_for_answer;
    a.dont_know = raw.dont_know;
    a.off_topic = raw.off_topic;
    a
}

/// Where `quote` occurs verbatim in `text` (surrounding whitespace and quotation marks of
/// the quote ignored); `None` for an empty quote or one the learner never wrote.
pub fn find_quote(text: &str, quote: &str) -> Option<Span> {
    let q = quote
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’'))
        .trim();
    if q.is_empty() {
        return None;
    }
    text.find(q).map(|start| Span {
        start,
        end: start + q.len(),
    })
}
