//! Identifiers of curriculum items: newtypes parsed once, at the edge.
//!
//! An id is a lowercase slug (`a-z`, `0-9`, `-`, starting with a letter or digit), so
//! it is safe in file names, URLs, JSON keys and SQL text columns alike.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The string was empty.
    #[error("an id may not be empty")]
    Empty,
    /// The string held a character outside `a-z`, `0-9` and `-`.
    #[error(
        "`{0}` is not a valid id: use lowercase letters, digits and `-` (for example `event-loop`)"
    )]
    Invalid(String),
}

fn check_slug(s: &str) -> Result<(), IdError> {
    let first_ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if !first_ok
        || !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(IdError::Invalid(s.to_owned()));
    }
    Ok(())
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses a slug into an id.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                check_slug(s)?;
                Ok(Self(s.to_owned()))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                check_slug(&s)?;
                Ok(Self(s))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
    };
}

slug_id!(
    /// Identifies a concept within a curriculum (`event-loop`).
    ConceptId
);
slug_id!(
    /// Identifies a checkpoint: unique across its whole curriculum (`io-leaves-cpu-idle`).
    CheckpointId
);
slug_id!(
    /// Identifies a misconception: unique across its whole curriculum (`async-always-faster`).
    MisconceptionId
);
slug_id!(
    /// Identifies a curriculum (`async-python`).
    CurriculumId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_slugs_and_rejects_everything_else() {
        assert!(ConceptId::parse("event-loop").is_ok());
        assert!(ConceptId::parse("gil2").is_ok());
        assert_eq!(ConceptId::parse(""), Err(IdError::Empty));
        assert!(ConceptId::parse("Event-Loop").is_err());
        assert!(ConceptId::parse("-loop").is_err());
        assert!(ConceptId::parse("event loop").is_err());
    }

    #[test]
    fn ids_round_trip_through_json() {
        let id = CheckpointId::parse("cpu-idle").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"cpu-idle\"");
        let back: CheckpointId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<CheckpointId>("\"Bad Id\"").is_err());
    }
}
