//! Who may use the authoring routes: the [`Author`] extractor. With auth on, a token
//! (`Authorization: Bearer` or `?token=`) with role `author` or `admin`, with or without a
//! learner (a learner token gets 403, no or a wrong token 401). With auth off the server
//! only listens on loopback ([`crate::Settings::check`]) and its one local user owns the
//! curriculum folder, so the local user counts as an author.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use klover_store::{LearnerId, Role};

use crate::auth;
use crate::error::Error;
use crate::state::AppState;

/// A caller allowed to read, check, edit and publish curricula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// `Author` or `Admin` (the local user of a server without auth is an `Author`).
    pub role: Role,
    /// The learner the token speaks for, if any (names the author in a version's history).
    pub learner: Option<LearnerId>,
}

impl Author {
    /// The caller with this token role, if that role may author.
    pub fn from_role(role: Role) -> Result<Self, Error> {
        match role {
            Role::Author | Role::Admin => Ok(Self {
                role,
                learner: None,
            }),
            Role::Learner => Err(Error::RoleNeeded {
                needed: "author (or admin)",
                has: role,
                how: "--learner NAME --role author",
            }),
        }
    }
}

impl Author {
    /// The name a version or draft records as its author: the token's learner, else the
    /// role (`local` for the local user of a server without auth).
    pub async fn name(&self, app: &AppState) -> Result<String, Error> {
        if !app.settings.auth {
            return Ok(auth::LOCAL_LEARNER.to_owned());
        }
        let learner = match &self.learner {
            Some(id) => app.store.get_learner(id).await?,
            None => None,
        };
        Ok(learner.map_or_else(|| self.role.as_str().to_owned(), |l| l.name))
    }
}

impl FromRequestParts<AppState> for Author {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Error> {
        if !app.settings.auth {
            return Ok(Self {
                role: Role::Author,
                learner: None,
            });
        }
        let token = auth::bearer(&parts.headers)
            .or_else(|| query_token(parts.uri.query()))
            .ok_or(Error::Unauthorized)?;
        let grant = app
            .store
            .verify_api_token(&token)
            .await?
            .ok_or(Error::Unauthorized)?;
        let mut author = Self::from_role(grant.role)?;
        author.learner = grant.learner;
        Ok(author)
    }
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authors_and_admins_may_author_learners_may_not() {
        assert_eq!(Author::from_role(Role::Author).unwrap().role, Role::Author);
        assert_eq!(Author::from_role(Role::Admin).unwrap().role, Role::Admin);
        let refused = Author::from_role(Role::Learner).unwrap_err();
        assert_eq!(refused.status_code(), 403);
        let said = refused.public_message();
        assert!(
            said.contains("author") && said.contains("--role author"),
            "{said}"
        );
    }

    #[test]
    fn the_token_is_read_from_the_query() {
        assert_eq!(
            query_token(Some("a=1&token=klv_x")).as_deref(),
            Some("klv_x")
        );
        assert_eq!(query_token(Some("token=")), None);
        assert_eq!(query_token(None), None);
    }
}
