//! Identifiers of stored things (learners, sessions, turns): UUID v7 as text.
//!
//! Curriculum items use the slug ids of `klover_domain::ids`; these are the store's own.
//! UUID v7 sorts by creation time, so ordering by id is ordering by age.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// Parses an id received from a client; `None` unless it is a UUID.
            pub fn parse(s: &str) -> Option<Self> {
                uuid::Uuid::parse_str(s).ok().map(|u| Self(u.to_string()))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Wraps a value read from the database (already a valid id).
            pub(crate) fn from_db(s: String) -> Self {
                Self(s)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

uuid_id!(
    /// Identifies a learner.
    LearnerId
);
uuid_id!(
    /// Identifies a session.
    SessionId
);
uuid_id!(
    /// Identifies a turn of a session.
    TurnId
);
uuid_id!(
    /// Identifies one review of a card in the review log.
    ReviewId
);

/// A fresh UUID v7 as text, for rows without a typed id (tokens, aha moments).
pub(crate) fn new_row_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids_that_sort_by_creation() {
        let a = SessionId::new();
        let b = SessionId::new();
        assert!(a < b);
        assert_eq!(SessionId::parse(a.as_str()), Some(a));
        assert_eq!(SessionId::parse("not-a-uuid"), None);
    }
}
