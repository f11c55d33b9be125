//! Plain row types the store reads and writes. The server maps them to engine and protocol
//! types; nothing here knows about the engine.

use chrono::{DateTime, Utc};
use klover_domain::{CheckpointId, ConceptId, CurriculumId, MisconceptionId};

use crate::{LearnerId, SessionId, TurnId};

/// Declares a closed set of values stored as lowercase text.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Parses the stored text.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What an API token may do.
    Role {
        /// Chats as its learner.
        Learner = "learner",
        /// Edits curricula (and may learn).
        Author = "author",
        /// Everything.
        Admin = "admin",
    }
);
text_enum!(
    /// Which voice a session uses.
    Mode {
        /// The authored curriculum through templates.
        Offline = "offline",
        /// An OpenAI-compatible model.
        Llm = "llm",
    }
);
text_enum!(
    /// What a session is for.
    SessionKind {
        /// Working through the curriculum.
        Learn = "learn",
        /// Re-probing due review cards.
        Review = "review",
    }
);
text_enum!(
    /// Who spoke a turn.
    TurnRole {
        /// The learner.
        Learner = "learner",
        /// Klover.
        Tutor = "tutor",
    }
);
text_enum!(
    /// Where a turn is in its life.
    TurnStatus {
        /// Whole.
        Complete = "complete",
        /// Cut by a stop, a disconnect or a crash; the text is what arrived.
        Partial = "partial",
        /// The upstream failed; the text is what arrived, perhaps nothing.
        Failed = "failed",
        /// A tutor reply still arriving.
        Streaming = "streaming",
    }
);
text_enum!(
    /// Where the reply to a learner turn stands (see migration 0006).
    ReplyState {
        /// Stored and acknowledged; not assessed yet.
        Acknowledged = "acknowledged",
        /// Assessed; the engine's decision is stored, the reply not begun.
        Assessed = "assessed",
        /// The tutor turn answering it is being written.
        Replying = "replying",
        /// Answered in full, closing events logged.
        Answered = "answered",
        /// Answered in part (stopped, or cut by a crash), closing events logged.
        Partial = "partial",
        /// Could not be answered; the failure is logged as events.
        Failed = "failed",
    }
);

impl ReplyState {
    /// Whether nothing is left to do for this turn.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Answered | Self::Partial | Self::Failed)
    }
}

/// A learner turn whose reply is not finished, as a claim on it returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingReply {
    /// The learner turn.
    pub turn: TurnRow,
    /// Where its reply stands.
    pub state: ReplyState,
    /// The engine's decision (JSON), once assessed.
    pub outcome: Option<String>,
    /// The tutor turn answering it, once replying.
    pub reply_turn: Option<TurnId>,
}

text_enum!(
    /// Why a review card exists.
    CardSource {
        /// An aha moment worth keeping.
        Aha = "aha",
        /// A checkpoint still weak at the end of a session.
        Weak = "weak",
    }
);

/// A learner.
#[derive(Debug, Clone, PartialEq)]
pub struct Learner {
    /// Its id.
    pub id: LearnerId,
    /// Its unique name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// What a valid API token grants.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenGrant {
    /// The token's role.
    pub role: Role,
    /// The learner it speaks for (always set for [`Role::Learner`]).
    pub learner: Option<LearnerId>,
}

/// One API token as `klover token list` shows it: never the token or its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenInfo {
    /// Row id (not a secret).
    pub id: String,
    /// The token's role.
    pub role: Role,
    /// Name of the learner it speaks for, if any.
    pub learner: Option<String>,
    /// The operator's note.
    pub label: String,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it expires, if it does.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// What the server needs to start a session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Whose session.
    pub learner: LearnerId,
    /// Which curriculum.
    pub curriculum: CurriculumId,
    /// The curriculum's version at the start.
    pub curriculum_version: String,
    /// The concept to start on.
    pub concept: ConceptId,
    /// The voice.
    pub mode: Mode,
    /// Learning or review.
    pub kind: SessionKind,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    /// Its id.
    pub id: SessionId,
    /// Whose session.
    pub learner: LearnerId,
    /// Which curriculum.
    pub curriculum: CurriculumId,
    /// The curriculum's version at the start (the manifest's `version`).
    pub curriculum_version: String,
    /// The stored curriculum version it is pinned to (`None`: taught the latest).
    pub curriculum_number: Option<i64>,
    /// Where the learner is now.
    pub current_concept: ConceptId,
    /// The voice.
    pub mode: Mode,
    /// Learning or review.
    pub kind: SessionKind,
    /// The engine's JSON snapshot, as the server last saved it.
    pub engine_state: Option<String>,
    /// The version of `engine_state`: saves are compare-and-set on it.
    pub state_version: i64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When anything in it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it ended, if it has.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A session in a learner's list.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    /// Its id.
    pub id: SessionId,
    /// Which curriculum.
    pub curriculum: CurriculumId,
    /// Where the learner is now.
    pub current_concept: ConceptId,
    /// The voice.
    pub mode: Mode,
    /// Learning or review.
    pub kind: SessionKind,
    /// How many turns it holds.
    pub turn_count: i64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When anything in it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it ended, if it has.
    pub ended_at: Option<DateTime<Utc>>,
}

/// LLM token usage of one tutor turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Tokens sent.
    pub prompt_tokens: i64,
    /// Tokens received.
    pub completion_tokens: i64,
}

/// A stored turn.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnRow {
    /// Its id.
    pub id: TurnId,
    /// Its session.
    pub session: SessionId,
    /// 1, 2, 3 ... within the session.
    pub seq: i64,
    /// Who spoke.
    pub role: TurnRole,
    /// What was said (so far, while streaming).
    pub text: String,
    /// Where it is in its life.
    pub status: TurnStatus,
    /// The tutor's move as JSON (engine-defined), if any.
    pub move_json: Option<String>,
    /// LLM usage, if known.
    pub usage: Option<Usage>,
    /// The client's id for a learner message.
    pub client_message_id: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A tutor turn known in full that is stored inside the transaction closing a reply, right
/// after it: the next concept's opening after a concept's closing, so that the learner
/// is never left without the next question (its events are among the closing payloads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowingTurn<'a> {
    /// Its id (its events name it).
    pub id: &'a TurnId,
    /// Its whole text.
    pub text: &'a str,
    /// Its move as JSON.
    pub move_json: Option<&'a str>,
}

/// The result of appending a learner turn.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendedTurn {
    /// The stored turn (the earlier one when the client id was seen before).
    pub turn: TurnRow,
    /// False when the client message id was already stored: nothing was added.
    pub new: bool,
    /// The version of the session's engine state when the turn was stored (`None` when
    /// not read): equal to the one a server holds, its copy is current.
    pub state_version: Option<i64>,
}

/// One checkpoint's score in a turn's assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointScore {
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// The score in [0, 1].
    pub score: f64,
    /// Byte range `[start, end)` of the learner's words that earned it.
    pub evidence: Option<(i64, i64)>,
}

/// A learner's new mastery of a checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct MasteryUpdate {
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// Mastery in [0, 1].
    pub mastery: f64,
    /// The tutor stated the checkpoint in reply to this turn (the `assert` move). Once
    /// recorded it stays: `false` leaves an earlier statement recorded.
    pub stated_by_tutor: bool,
}

/// An aha moment to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAha {
    /// The checkpoint finally stated, if that is what it was.
    pub checkpoint: Option<CheckpointId>,
    /// The misconception seen through, if that is what it was.
    pub misconception: Option<MisconceptionId>,
    /// The learner's words.
    pub quote: String,
    /// The tutor move that prompted it (engine-defined name or JSON).
    pub trigger_move: String,
}

/// Everything one learner turn changed, recorded in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnAssessment {
    /// Scores per checkpoint of the current concept.
    pub scores: Vec<CheckpointScore>,
    /// Misconceptions the turn showed.
    pub misconceptions_shown: Vec<MisconceptionId>,
    /// Misconceptions the learner no longer holds after this turn.
    pub misconceptions_resolved: Vec<MisconceptionId>,
    /// The learner model's new mastery values.
    pub mastery: Vec<MasteryUpdate>,
    /// Aha moments of this turn.
    pub aha: Vec<NewAha>,
    /// The checkpoints the tutor stated in reply, and why (for the authors' inbox).
    pub stated: Vec<StatedInReply>,
    /// With an LLM judge deciding: the rubric's own score per checkpoint (stored beside
    /// the judge's). Empty when the rubric alone decided.
    pub rubric_scores: Vec<(CheckpointId, f64)>,
}

/// A checkpoint the tutor stated in reply to a learner turn.
#[derive(Debug, Clone, PartialEq)]
pub struct StatedInReply {
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// Stated because the learner could not (the `assert` move), not by an authored
    /// answer or analogy.
    pub asserted: bool,
    /// The learner's turn was an attempt at an answer (an explanation or a guess).
    pub attempt: bool,
}

/// A stored aha moment.
#[derive(Debug, Clone, PartialEq)]
pub struct AhaMoment {
    /// The session it happened in.
    pub session: SessionId,
    /// The learner turn.
    pub turn: TurnId,
    /// The checkpoint, if any.
    pub checkpoint: Option<CheckpointId>,
    /// The misconception, if any.
    pub misconception: Option<MisconceptionId>,
    /// The learner's words.
    pub quote: String,
    /// The tutor move that prompted it.
    pub trigger_move: String,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// A turn with everything recorded about it.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptTurn {
    /// The turn.
    pub turn: TurnRow,
    /// Its checkpoint scores (learner turns).
    pub scores: Vec<CheckpointScore>,
    /// The misconceptions it showed.
    pub misconceptions: Vec<MisconceptionId>,
    /// Its aha moments.
    pub aha: Vec<AhaMoment>,
}

/// A session and its turns in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    /// The session.
    pub session: SessionRow,
    /// Its turns by seq.
    pub turns: Vec<TranscriptTurn>,
}

/// A learner's mastery of one checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct MasteryRow {
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// Mastery in [0, 1].
    pub mastery: f64,
    /// The tutor had to state it in some turn (the learner's mastery may have come later).
    pub stated_by_tutor: bool,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A misconception a learner has shown.
#[derive(Debug, Clone, PartialEq)]
pub struct MisconceptionRow {
    /// The misconception.
    pub misconception: MisconceptionId,
    /// How many turns showed it.
    pub times_seen: i64,
    /// Whether the learner still holds it.
    pub active: bool,
}

/// What the store remembers of a learner on one curriculum, across sessions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LearnerModelRows {
    /// Mastery per checkpoint.
    pub mastery: Vec<MasteryRow>,
    /// Misconceptions shown.
    pub misconceptions: Vec<MisconceptionRow>,
}

/// FSRS memory state of a card that has been reviewed at least once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CardMemory {
    /// Stability in days.
    pub stability: f64,
    /// Difficulty, 1 to 10.
    pub difficulty: f64,
}

/// A spaced-review card: one per learner and checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewCard {
    /// Whose card.
    pub learner: LearnerId,
    /// The checkpoint's curriculum.
    pub curriculum: CurriculumId,
    /// The checkpoint to re-probe.
    pub checkpoint: CheckpointId,
    /// FSRS memory state; `None` before the first review.
    pub memory: Option<CardMemory>,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// When it was last reviewed.
    pub last_review_at: Option<DateTime<Utc>>,
    /// Reviews so far.
    pub reps: i64,
    /// Times forgotten.
    pub lapses: i64,
    /// Why it exists.
    pub source: CardSource,
    /// Set aside by the learner: never due. Kept as it is by [`crate::Store::upsert_review_card`]
    /// (only [`crate::Store::set_card_suspended`] changes it).
    pub suspended: bool,
}

text_enum!(
    /// A review's grade (FSRS's four).
    Grade {
        /// Not recalled.
        Again = "again",
        /// Recalled with difficulty.
        Hard = "hard",
        /// Recalled.
        Good = "good",
        /// Recalled at once.
        Easy = "easy",
    }
);

/// One review of a card, as the review log keeps it (one row per review; an overrule
/// replaces the row's grade and state after, it adds no row).
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewEntry {
    /// Its id (sent to the client so the learner can overrule it).
    pub id: crate::ReviewId,
    /// Whose review.
    pub learner: LearnerId,
    /// The card's curriculum.
    pub curriculum: CurriculumId,
    /// The card's checkpoint.
    pub checkpoint: CheckpointId,
    /// The review session it happened in, if any.
    pub session: Option<SessionId>,
    /// The learner turn whose answer was graded, if any.
    pub turn: Option<TurnId>,
    /// When.
    pub reviewed_at: DateTime<Utc>,
    /// The grader's grade.
    pub grader_grade: Grade,
    /// The grade FSRS scheduled with (the learner's when overruled).
    pub grade: Grade,
    /// Whether the learner overruled the grader.
    pub overruled: bool,
    /// Whole days since the card's review before.
    pub elapsed_days: i64,
    /// Memory state before (`None` for a card's first review).
    pub before: Option<CardMemory>,
    /// Memory state after.
    pub after: CardMemory,
}

/// An event the websocket server sent, kept for replay on resume.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// 1, 2, 3 ... within the session.
    pub seq: i64,
    /// The event frame as JSON.
    pub payload: String,
}

/// A learner turn's assessment and the engine state it led to, stored with the reply to
/// it ([`Store::append_assessed_reply`](crate::Store::append_assessed_reply)).
#[derive(Debug, Clone, Copy)]
pub struct Assessed<'a> {
    /// What the turn showed (as [`Store::record_assessment`](crate::Store::record_assessment) stores it).
    pub assessment: &'a TurnAssessment,
    /// The session's current concept after the turn.
    pub concept: &'a klover_domain::ConceptId,
    /// The engine state after the turn (JSON).
    pub engine_state: &'a str,
    /// The stored engine state's version the turn started from (compare-and-set).
    pub expected: i64,
}

/// The reply stored with a learner's message by [`Store::acknowledge_and_answer`](crate::Store::acknowledge_and_answer): a
/// tutor reply known in full as soon as the message is assessed (the offline voice).
#[derive(Debug, Clone, Copy)]
pub struct AnswerAtOnce<'a> {
    /// The reply's tutor turn id.
    pub reply: &'a TurnId,
    /// Its whole text.
    pub text: &'a str,
    /// Its move (JSON).
    pub move_json: Option<&'a str>,
    /// The events after the message's `learner_ack` (JSON: the reply's delta, its
    /// `tutor_done`, the closing events), in order.
    pub event_payloads: &'a [String],
    /// The message's assessment and the engine state it led to.
    pub assessed: Assessed<'a>,
}

/// What [`Store::acknowledge_and_answer`](crate::Store::acknowledge_and_answer) stored.
#[derive(Debug, Clone)]
pub struct AnsweredAtOnce {
    /// The learner's turn.
    pub learner_turn: TurnRow,
    /// The tutor's reply.
    pub reply: TurnRow,
    /// The seqs of the `learner_ack` and then of the reply's events.
    pub seqs: Vec<i64>,
    /// The engine state's new version.
    pub state_version: i64,
}
