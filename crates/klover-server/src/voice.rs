//! How the tutor's chosen move becomes words on the learner's screen: the offline voice
//! (the engine's authored text, one delta when said whole, a few with a pause between) or an
//! LLM voice streaming deltas. Either way each delta is stored before it is sent, so a cut
//! reply keeps its text.

use std::sync::Arc;

use klover_store::{TurnStatus, Usage};
use tokio_util::sync::CancellationToken;

/// Which voice the server speaks with.
#[derive(Clone, Default)]
pub enum TutorVoice {
    /// The authored curriculum through the engine's templates.
    #[default]
    Offline,
    /// An OpenAI-compatible model.
    Llm(Arc<LlmVoice>),
}

/// The LLM voice and judge (configured from [`crate::settings::LlmSettings`]).
pub struct LlmVoice {
    /// Streams the tutor's words.
    pub voice: klover_llm::Voice,
    /// Assesses learner turns (falls back to the rubric on any failure).
    pub judge: klover_llm::LlmJudge,
}

impl TutorVoice {
    /// The voice the settings ask for: offline unless an LLM is configured.
    pub fn from_settings(llm: &crate::settings::LlmSettings) -> Result<Self, crate::Error> {
        let config = llm.config();
        match config {
            Some(config) => Self::llm(config),
            None => Ok(TutorVoice::Offline),
        }
    }

    /// An LLM voice and judge for this configuration.
    pub fn llm(config: klover_llm::LlmConfig) -> Result<Self, crate::Error> {
        let voice = klover_llm::Voice::new(config)
            .map_err(|e| {
            crate::Error::Config(format!(
                "LLM: {e} (settings `llm.base_url`, `llm.api_key`: KLOVER_LLM_BASE_URL, KLOVER_LLM_API_KEY)"
            ))
        })?;
        let judge = klover_llm::LlmJudge::new(voice.clone());
        Ok(TutorVoice::Llm(Arc::new(LlmVoice { voice, judge })))
    }

    /// `offline` or `llm`, as stored with the session.
    pub fn name(&self) -> &'static str {
        match self {
            TutorVoice::Offline => "offline",
            TutorVoice::Llm(_) => "llm",
        }
    }
}

/// How a rendering ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rendered {
    /// Complete, partial (stopped or cut) or failed.
    pub status: TurnStatus,
    /// LLM usage, when known.
    pub usage: Option<Usage>,
}

/// The deltas of an offline reply said whole: its text as one `tutor_delta` (none when
/// empty). Every frame of a reply stored at once leaves in one socket write, so more
/// deltas would show the learner nothing more, and cost a stored event and a frame each.
pub fn whole_delta(text: &str) -> Vec<String> {
    if text.is_empty() {
        Vec::new()
    } else {
        vec![text.to_owned()]
    }
}

/// Splits the offline text into a few deltas on word boundaries (about 40 bytes each), for
/// an offline reply streamed with a pause between deltas (`offline_delta_delay_ms`).
pub fn offline_chunks(text: &str) -> Vec<String> {
    const TARGET: usize = 40;
    let mut chunks = Vec::new();
    let mut current = String::new();
    for word in text.split_inclusive(' ') {
        current.push_str(word);
        if current.len() >= TARGET {
            chunks.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// Whether a cancellation came before the reply was complete.
pub fn cut_status(cancel: &CancellationToken) -> TurnStatus {
    if cancel.is_cancelled() {
        TurnStatus::Partial
    } else {
        TurnStatus::Complete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_chunks_rebuild_the_text_exactly() {
        let text = "Solid foundation. But what is that \"worker\" in practice? When you write \
                    async Python, what is actually doing the work?";
        let chunks = offline_chunks(text);
        assert!(chunks.len() >= 3, "{chunks:?}");
        assert_eq!(chunks.concat(), text);
        assert!(offline_chunks("").is_empty());
    }

    #[test]
    fn a_reply_said_whole_is_one_delta() {
        assert_eq!(whole_delta("What runs them?"), ["What runs them?"]);
        assert!(whole_delta("").is_empty());
    }
}
