//! What the engine reads from the dialogue itself, around the assessment: whether the
//! learner insists on a challenged misconception ("Yes, that's the whole point"), which
//! misconceptions a turn resolves, what the tutor's last turn said (an echo of it is not
//! the learner's insight), and what the learner struggled with before (for ahas).

use super::SessionState;
use crate::aha::Struggle;
use crate::assess::act::{DialogueAct, act_of};
use crate::assess::fold_recent;
use crate::assess::{AssessRequest, Assessment, MisconceptionHit, RubricAssessor};
use crate::curriculum::{Concept, Curriculum};
use crate::ids::{CheckpointId, MisconceptionId};
use crate::policy::{DialogueState, Move};

/// Share of a learner sentence's content words found in the tutor's last turn above
/// which the sentence repeats the tutor rather than says something of its own.
pub const ECHO_OVERLAP: f64 = 0.6;

/// Share of a learner sentence's words from the tutor's last statements at or above
/// which it is a repetition whatever those statements credit on their own ("Four
/// processes, four interpreters." said back after the hint that said it).
pub const VERBATIM: f64 = 0.8;

/// Words too common to show whose words a sentence uses.
const COMMON: &[&str] = &[
    "the", "and", "for", "but", "you", "are", "was", "its", "that", "this", "with", "not", "can",
    "has", "have", "there", "then", "than", "they", "them", "their", "what", "when", "which",
    "will", "would", "could", "should", "from", "into", "just", "like", "some", "all", "one",
    "does", "did", "doe", "your", "our", "out", "any", "also", "too", "very", "yes",
];

/// Words that open an answer agreeing with what was just questioned.
const AFFIRM: &[&str] = &[
    "yes",
    "yeah",
    "yep",
    "yup",
    "exactly",
    "correct",
    "definitely",
    "absolutely",
    "sure",
    "right",
];

/// The misconceptions the last tutor turn challenged: by its question, the contrast or
/// the stated correction.
fn challenged(dialogue: &DialogueState) -> Vec<MisconceptionId> {
    let Some(last) = dialogue.recent.last() else {
        return Vec::new();
    };
    last.moves
        .iter()
        .filter_map(|m| match m {
            Move::Correct { misconception, .. } => Some(misconception.clone()),
            _ => None,
        })
        .collect()
}

/// A learner who answers a challenge with "Yes, …" (and credits nothing) holds the
/// belief still: the challenged misconception is shown again, with the whole turn as
/// evidence.
pub(super) fn insisted(state: &SessionState, text: &str, a: &mut Assessment) {
    let first = text
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .map(str::to_lowercase);
    let affirms = first.is_some_and(|w| AFFIRM.contains(&w.as_str()));
    if !affirms || !a.covered().is_empty() {
        return;
    }
    for id in challenged(&state.dialogue) {
        if !a.misconceptions.iter().any(|h| h.id == id) {
            a.misconceptions
                .push(MisconceptionHit { id, evidence: None });
        }
    }
}

/// Misconceptions this turn resolves: challenged by the last turn, not shown again, and
/// answered with the correcting idea (the turn credits a checkpoint the belief
/// contradicts).
/// "I don't know", "just tell me", a question or an answer that states nothing leaves
/// it open: the policy climbs its ladder.
pub(super) fn resolved(
    concept: &Concept,
    state: &SessionState,
    a: &Assessment,
) -> Vec<MisconceptionId> {
    let answered = matches!(
        act_of(a),
        DialogueAct::Explanation | DialogueAct::TentativeAnswer
    );
    // The correcting idea: a checkpoint the belief contradicts (authored `contradicts`,
    // else any of the concept's).
    let corrects = |id: &MisconceptionId| {
        concept
            .misconception(id)
            .is_some_and(|m| a.covered().iter().any(|cp| m.contradicts(cp)))
    };
    challenged(&state.dialogue)
        .into_iter()
        .filter(|id| answered && corrects(id) && state.learner.is_active(id))
        .filter(|id| !a.misconceptions.iter().any(|h| &h.id == id))
        .collect()
}

/// The tutor's last turn in its offline words.
pub(super) fn last_tutor_text(curriculum: &Curriculum, state: &SessionState) -> String {
    let review = state.mode == super::Mode::Review;
    let reply = (state.dialogue.turns_in_concept > 0).then_some("");
    state.dialogue.recent.last().map_or_else(String::new, |p| {
        crate::voice::render_for(curriculum, p, reply, review)
    })
}

/// The tutor's last turn in this concept, in offline words, without the closing of the
/// concept before it (its summary, the move on, the finish): what the learner may echo.
pub(super) fn echo_source(curriculum: &Curriculum, state: &SessionState) -> String {
    let Some(last) = state.dialogue.recent.last() else {
        return String::new();
    };
    let mut own = last.clone();
    own.moves.retain(|m| {
        !matches!(
            m,
            Move::Summarize { .. } | Move::Advance { .. } | Move::Finish
        )
    });
    let review = state.mode == super::Mode::Review;
    statements(&crate::voice::render_for(
        curriculum,
        &own,
        Some(""),
        review,
    ))
}

/// The tutor's last statements ([`echo_source`]) and what they credit on their own,
/// read when first asked (see [`Said`]).
pub(super) fn said_by_tutor<'a>(
    curriculum: &'a Curriculum,
    concept: &'a Concept,
    state: &SessionState,
) -> Said<'a> {
    Said {
        curriculum,
        concept,
        text: echo_source(curriculum, state),
        read: std::cell::OnceCell::new(),
    }
}

/// The tutor's last statements, and the checkpoints of the concept they credit on their
/// own. That reading is a whole rubric pass, and [`echoes`] needs it only for a credited
/// quote that shares enough words with the tutor: it is made on the first such call and
/// only then (most turns, never).
pub(super) struct Said<'a> {
    curriculum: &'a Curriculum,
    concept: &'a Concept,
    text: String,
    read: std::cell::OnceCell<Vec<CheckpointId>>,
}

impl Said<'_> {
    /// The tutor's statements.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// The checkpoints the tutor's statements credit on their own.
    fn credited(&self) -> &[CheckpointId] {
        self.read.get_or_init(|| {
            if self.text.trim().is_empty() {
                return Vec::new();
            }
            RubricAssessor::new().covered_now(AssessRequest {
                curriculum: self.curriculum,
                concept: self.concept,
                text: &self.text,
                last_tutor: None,
            })
        })
    }
}

/// Share of a learner sentence's content words from the tutor's last turn at or above
/// which a checkpoint the tutor said is not the learner's aha (their words lean on the
/// tutor's): below [`ECHO_OVERLAP`] it is still credited.
pub const LEANS_ON_TUTOR: f64 = 0.3;

/// The sentences of a tutor turn that state something (a question states nothing: a
/// learner answering it in its words does not echo it).
fn statements(text: &str) -> String {
    let mut out = String::new();
    let mut sentence = String::new();
    for c in text.chars() {
        sentence.push(c);
        if matches!(c, '.' | '!' | '?' | '\n') {
            if c != '?' {
                out.push_str(&sentence);
            }
            sentence.clear();
        }
    }
    if !sentence.trim_end().ends_with('?') {
        out.push_str(&sentence);
    }
    out
}

/// Checkpoints this turn credits in words taken from the tutor's last statements: at
/// least `share` of the content words of the learner's sentence that earned it are the
/// tutor's ([`ECHO_OVERLAP`]: a mere repetition, whatever the tutor's words credit on
/// their own), and, when `said` is given, the tutor's words credit it. `tutor`: the stems
/// of the tutor's statements ([`stems`], worked out once for the turn's several reads).
pub(super) fn echoes(
    text: &str,
    a: &Assessment,
    said: Option<&Said<'_>>,
    tutor: &[String],
    share: f64,
) -> Vec<CheckpointId> {
    let near = |id: &CheckpointId| {
        let quote = a
            .scores
            .get(id)
            .and_then(|s| s.evidence)
            .and_then(|span| span.quote(text))
            .unwrap_or(text);
        let (shared, total) = overlap(quote, tutor);
        total > 0 && shared as f64 / total as f64 >= share
    };
    let covered = a.covered();
    match said {
        None => covered.into_iter().filter(|id| near(id)).collect(),
        // Read already (an earlier call): the cheaper test first.
        Some(said) if said.read.get().is_some() => {
            let said = said.credited();
            covered
                .into_iter()
                .filter(|id| said.contains(id) && near(id))
                .collect()
        }
        // Read only when a quote is near enough to the tutor's words to count.
        Some(said) => {
            let near: Vec<CheckpointId> = covered.into_iter().filter(|id| near(id)).collect();
            if near.is_empty() {
                return near;
            }
            let said = said.credited();
            near.into_iter().filter(|id| said.contains(id)).collect()
        }
    }
}

/// The stems of `text`'s words, as [`echoes`] compares them.
pub(super) fn stems(text: &str) -> Vec<String> {
    fold_recent(text)
        .tokens
        .iter()
        .map(|t| t.stem.clone())
        .collect()
}

/// Content words (three letters or more) of `quote`, and how many of them are in
/// `tutor` (stems).
fn overlap(quote: &str, tutor: &[String]) -> (usize, usize) {
    let folded = fold_recent(quote);
    // A token's stem is the Snowball stem of its folded form, worked out when folded.
    let words = folded
        .tokens
        .iter()
        .filter(|t| t.folded.len() >= 3 && !COMMON.contains(&t.folded.as_str()));
    let (mut shared, mut total) = (0, 0);
    for t in words {
        total += 1;
        shared += usize::from(tutor.contains(&t.stem));
    }
    (shared, total)
}

/// Checkpoints this turn states as a consequence worked out, not recalled: credited in
/// a turn that shares no content word with the tutor's last turn ("Everything else
/// pauses." to "what happens if one task is CPU-bound?"). Such an inference counts as
/// the struggle before an aha (the learner had to think it through); a first answer
/// that reuses the question's words is a plain answer.
pub(super) fn inferred(text: &str, a: &Assessment, tutor_text: &str) -> Vec<CheckpointId> {
    let tutor: Vec<String> = fold_recent(tutor_text)
        .tokens
        .iter()
        .map(|t| t.stem.clone())
        .collect();
    let (shared, total) = overlap(text, &tutor);
    if total == 0 || shared > 0 {
        return Vec::new();
    }
    a.covered()
}

/// Per checkpoint of `concept`, what the learner struggled with before this turn: a
/// missed try on it, a hint at it, else a struggle in the concept (a misconception of
/// it shown, "I don't know", a question answered).
pub(super) fn struggles(concept: &Concept, state: &SessionState) -> Vec<(CheckpointId, Struggle)> {
    let d = &state.dialogue;
    let held = concept
        .misconceptions
        .iter()
        .find(|m| state.learner.misconceptions.contains_key(&m.id))
        .map(|m| Struggle::Misconception { id: m.id.clone() });
    let in_concept = held.or_else(|| d.concept_struggle.clone());
    concept
        .checkpoints
        .iter()
        .filter_map(|c| {
            let s = if d.tries.get(&c.id).copied().unwrap_or(0) > 0 {
                Struggle::MissedTry
            } else if d.probes.get(&c.id).copied().unwrap_or(0) > 0 {
                Struggle::Hinted
            } else {
                in_concept.clone()?
            };
            Some((c.id.clone(), s))
        })
        .collect()
}
