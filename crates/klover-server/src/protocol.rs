//! The websocket protocol, version 1: what clients send ([`ClientMessage`]) and what the
//! server sends ([`Envelope`] around a [`ServerEvent`]). JSON text frames tagged by
//! `type`; `docs/protocol.md` documents every message with examples, and this file is
//! the source of truth it must match.

use serde::{Deserialize, Serialize};

/// The protocol version this server speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// A frame from the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Optional first frame; carries the token when it is not in the URL.
    Hello {
        /// Protocol version the client speaks.
        version: u32,
        /// API token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// Start a new session.
    Start {
        /// Curriculum id.
        curriculum: String,
        /// Concept to start at; if absent, the learner's current concept (continue where
        /// they left off: the unfinished one, else the next unlocked one).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        concept: Option<String>,
        /// `learn` (default) or `review`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<String>,
        /// `true`: start from scratch (the first concept, or `concept`, from the prior),
        /// nothing carried from earlier sessions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fresh: Option<bool>,
    },
    /// Reattach to a session and receive every event with `seq > last_seq`.
    Resume {
        /// The session to resume.
        session_id: String,
        /// The last event seq the client saw (0 for none).
        #[serde(default)]
        last_seq: u64,
    },
    /// A learner message, idempotent on `client_id`.
    Message {
        /// Client-chosen id, unique in the session.
        client_id: String,
        /// What the learner wrote.
        text: String,
    },
    /// Stop the reply being generated; what was said so far is kept as partial.
    Stop {},
    /// Overrule the grade of a review (named by a `review_graded` event): the card is
    /// rescheduled as if that review had been graded `grade`.
    Overrule {
        /// The review, as `review_graded.review_id` named it.
        review_id: String,
        /// `again`, `hard`, `good` or `easy`.
        grade: String,
    },
    /// Liveness check, answered by `pong`.
    Ping {
        /// Echoed back.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
}

/// A server frame: the event plus its place in the session's event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Per-session sequence number (1, 2, …, no gaps); `null` for connection-level frames.
    pub seq: Option<u64>,
    /// The event.
    #[serde(flatten)]
    pub event: ServerEvent,
}

/// What the server tells a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// Answer to `hello`: who the server thinks you are.
    Welcome {
        /// Protocol version.
        version: u32,
        /// The learner this connection acts for.
        learner: String,
    },
    /// A session started (first event of every session).
    Session {
        /// Session id.
        session_id: String,
        /// Curriculum id.
        curriculum: String,
        /// Curriculum title.
        curriculum_title: String,
        /// Current concept id.
        concept: String,
        /// Current concept title.
        concept_title: String,
        /// `learn` or `review`.
        mode: String,
        /// `offline` or `llm`.
        voice: String,
    },
    /// The learner's message is stored.
    LearnerAck {
        /// The client's id for it.
        client_id: String,
        /// The stored turn.
        turn_id: String,
        /// The text as stored.
        text: String,
    },
    /// The next piece of the tutor's reply.
    TutorDelta {
        /// The tutor turn.
        turn_id: String,
        /// Text to append.
        text: String,
    },
    /// The tutor's reply ended.
    TutorDone {
        /// The tutor turn.
        turn_id: String,
        /// The whole reply as stored.
        text: String,
        /// The dialogue move (`hint`, `confirm`, …).
        #[serde(rename = "move")]
        move_: String,
        /// `complete`, `partial` (stopped or cut) or `failed`.
        status: String,
    },
    /// Where the learner stands in the current concept.
    Progress(Progress),
    /// The learner just stated, after being probed, something they had missed.
    Aha {
        /// The learner turn.
        turn_id: String,
        /// The checkpoint finally stated, if that is what it was.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checkpoint: Option<String>,
        /// That checkpoint's title (it is reached now, so naming it gives nothing away).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checkpoint_title: Option<String>,
        /// The misconception seen through, if that is what it was.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        misconception: Option<String>,
        /// The learner's words.
        quote: String,
        /// The move that led there.
        #[serde(rename = "move")]
        move_: String,
    },
    /// The session moved to another concept.
    ConceptAdvanced {
        /// Previous concept id.
        from: String,
        /// New concept id.
        to: String,
        /// New concept title.
        title: String,
        /// The tutor had to state part of the concept left: covered, not mastered.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        with_help: bool,
    },
    /// Every concept of the curriculum is mastered (learning sessions only).
    CurriculumComplete {
        /// Curriculum id.
        curriculum: String,
    },
    /// A review answer was graded (`overruled: false`, right after the tutor's verdict),
    /// or the learner overruled that grade (`overruled: true`).
    ReviewGraded {
        /// The review (send it back in `overrule`).
        review_id: String,
        /// The card's checkpoint id.
        checkpoint: String,
        /// Its short label (it was just reviewed, so naming it gives nothing away).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checkpoint_title: Option<String>,
        /// The grader's grade: `again`, `hard`, `good` or `easy`.
        grader_grade: String,
        /// The grade the card is scheduled with (the learner's once overruled).
        grade: String,
        /// Whether the learner overruled the grader.
        overruled: bool,
        /// When the card comes due next (RFC 3339, UTC).
        next_due_at: Option<String>,
        /// When the learner's next card of this curriculum comes due after this grade
        /// (RFC 3339, UTC): what `review_complete`'s `next_due_at` says, so that a page
        /// showing a finished review's ending can update it after an overrule. `null`
        /// when there is no card; absent in events logged before it existed.
        #[serde(default)]
        curriculum_next_due_at: Option<String>,
    },
    /// A review session went over every card it was started with.
    ReviewComplete {
        /// Curriculum id.
        curriculum: String,
        /// Cards of this session rescheduled (from the store).
        reviewed: usize,
        /// When the learner's next card of this curriculum comes due (RFC 3339, UTC);
        /// `None` when there is no card.
        next_due_at: Option<String>,
    },
    /// The session is over: no message will be answered any more; start another one.
    SessionEnded {
        /// Session id.
        session_id: String,
    },
    /// Sent after a resume replay: the client is now live.
    Resumed {
        /// Session id.
        session_id: String,
        /// The latest seq of the session.
        head_seq: u64,
        /// Whether a tutor reply is still streaming.
        reply_in_progress: bool,
        /// Whether the session is over (the path or the review finished).
        #[serde(default)]
        ended: bool,
    },
    /// Something went wrong; the socket stays open unless a close frame follows.
    Error {
        /// Machine-readable code (see [`ErrorCode`]).
        code: ErrorCode,
        /// Human message saying what to do.
        message: String,
    },
    /// Answer to `ping`.
    Pong {
        /// The ping's nonce.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
}

/// Progress in one concept. The text of an unreached checkpoint is never sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Concept id.
    pub concept: String,
    /// Concept mastery in [0, 1].
    pub mastery: f64,
    /// One entry per checkpoint of the concept.
    pub checkpoints: Vec<CheckpointProgress>,
    /// How many checkpoints are still to find.
    pub remaining: usize,
    /// Review sessions only: the checkpoints under review and how many are done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewProgress>,
}

/// Where a review session stands: "`reviewed` of `checkpoints.len()` reviewed".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewProgress {
    /// The checkpoints the session reviews, in order.
    pub checkpoints: Vec<String>,
    /// How many of them are done (shown again, or stated by the tutor after two tries).
    pub reviewed: usize,
}

/// One checkpoint's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointProgress {
    /// Checkpoint id.
    pub id: String,
    /// Its short label, only once reached or stated by the tutor (never before: it would
    /// give the answer away).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Whether the learner has shown it.
    pub reached: bool,
    /// The learner's own words that showed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The tutor stated it after the learner's tries (so it is not the learner's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stated_by_tutor: bool,
}

/// Error codes of `error` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not JSON, or a known type with wrong fields.
    BadJson,
    /// The `type` is not one this server knows.
    UnknownType,
    /// The frame is bigger than the limit (the socket then closes with 1009).
    TooLarge,
    /// Over the per-learner rate limit; the frame was ignored.
    RateLimited,
    /// A reply is streaming; the message was not stored.
    ReplyInProgress,
    /// `message` or `stop` before `start`/`resume`.
    NoSession,
    /// No such curriculum, concept or session.
    NotFound,
    /// Not yours.
    Forbidden,
    /// Missing or wrong token.
    Unauthorized,
    /// The LLM failed; what it said so far is kept.
    UpstreamFailed,
    /// A bug or a database failure on our side.
    Internal,
    /// Binary frames are not part of the protocol.
    BinaryNotSupported,
    /// A well-formed request that cannot be done (empty text, wrong version…).
    BadRequest,
    /// The server is shutting down.
    ShuttingDown,
}

impl Envelope {
    /// A connection-level frame (no seq).
    pub fn unsequenced(event: ServerEvent) -> Self {
        Self { seq: None, event }
    }

    /// An error frame.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::unsequenced(ServerEvent::Error {
            code,
            message: message.into(),
        })
    }

    /// The frame as JSON text.
    pub fn to_json(&self) -> String {
        // Serializing these plain structs cannot fail: no maps with non-string keys.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// Why a client frame could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not JSON or wrong fields.
    BadJson(String),
    /// JSON with an unknown `type`.
    UnknownType(String),
}

/// Parses a client text frame, telling an unknown `type` apart from bad JSON.
pub fn parse_client(text: &str) -> Result<ClientMessage, ParseError> {
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(msg) => Ok(msg),
        Err(e) => {
            let value: serde_json::Value = serde_json::from_str(text)
                .map_err(|_| ParseError::BadJson(format!("not JSON: {e}")))?;
            match value.get("type").and_then(|t| t.as_str()) {
                None => Err(ParseError::BadJson(
                    "every frame needs a string `type` field".into(),
                )),
                Some(t) if !KNOWN_TYPES.contains(&t) => Err(ParseError::UnknownType(t.to_owned())),
                Some(t) => Err(ParseError::BadJson(format!("bad `{t}` frame: {e}"))),
            }
        }
    }
}

const KNOWN_TYPES: &[&str] = &[
    "hello", "start", "resume", "message", "stop", "overrule", "ping",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_parse_by_type() {
        let m = parse_client(r#"{"type":"message","client_id":"c-1","text":"hi"}"#).unwrap();
        assert_eq!(
            m,
            ClientMessage::Message {
                client_id: "c-1".into(),
                text: "hi".into()
            }
        );
        assert_eq!(
            parse_client(r#"{"type":"stop"}"#).unwrap(),
            ClientMessage::Stop {}
        );
        assert!(matches!(
            parse_client(r#"{"type":"dance"}"#),
            Err(ParseError::UnknownType(t)) if t == "dance"
        ));
        assert!(matches!(parse_client("{nope"), Err(ParseError::BadJson(_))));
        assert_eq!(
            parse_client(r#"{"type":"overrule","review_id":"r","grade":"good"}"#).unwrap(),
            ClientMessage::Overrule {
                review_id: "r".into(),
                grade: "good".into()
            }
        );
        assert!(matches!(
            parse_client(r#"{"type":"overrule","grade":"good"}"#),
            Err(ParseError::BadJson(_))
        ));
        assert!(matches!(
            parse_client(r#"{"type":"message"}"#),
            Err(ParseError::BadJson(_))
        ));
    }

    #[test]
    fn events_serialize_flat_with_seq_and_type() {
        let e = Envelope {
            seq: Some(3),
            event: ServerEvent::TutorDone {
                turn_id: "t".into(),
                text: "Exactly.".into(),
                move_: "confirm".into(),
                status: "complete".into(),
            },
        };
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(v["seq"], 3);
        assert_eq!(v["type"], "tutor_done");
        assert_eq!(v["move"], "confirm");
        let back: Envelope = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(back, e);
        let end = Envelope {
            seq: Some(9),
            event: ServerEvent::ReviewComplete {
                curriculum: "async-python".into(),
                reviewed: 2,
                next_due_at: None,
            },
        };
        let v: serde_json::Value = serde_json::from_str(&end.to_json()).unwrap();
        assert_eq!(v["type"], "review_complete");
        assert_eq!(v["reviewed"], 2);
        assert!(v["next_due_at"].is_null(), "{v}");
        let old: Envelope = serde_json::from_str(
            r#"{"seq":null,"type":"resumed","session_id":"s","head_seq":3,"reply_in_progress":false}"#,
        )
        .unwrap();
        assert!(matches!(
            old.event,
            ServerEvent::Resumed { ended: false, .. }
        ));
        let err = Envelope::error(ErrorCode::ReplyInProgress, "wait").to_json();
        assert!(err.contains(r#""code":"reply_in_progress""#), "{err}");
        assert!(err.contains(r#""seq":null"#), "{err}");
    }
}
