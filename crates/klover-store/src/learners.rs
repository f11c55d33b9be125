//! Learners, and the API tokens that say who is calling (only their SHA-256 is stored).

use sha2::{Digest, Sha256};

use crate::ids::new_row_id;
use crate::store::{col, now_ms, opt_time, parsed_enum, time};
use crate::{Learner, LearnerId, Role, Store, StoreError, TokenGrant, TokenInfo};

/// Tokens start with this so they are recognisable in configs and secret scanners.
const TOKEN_PREFIX: &str = "klv_";

/// Lowercase hex SHA-256 of a token, as the store keeps it (the revocation watcher
/// matches open sockets by it).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn learner_from(row: &sqlx::any::AnyRow) -> Result<Learner, StoreError> {
    Ok(Learner {
        id: LearnerId::from_db(col(row, "id")?),
        name: col(row, "name")?,
        created_at: time(col(row, "created_at")?)?,
    })
}

impl Store {
    /// Creates a learner; [`StoreError::Conflict`] when the name is taken.
    pub async fn create_learner(&self, name: &str) -> Result<Learner, StoreError> {
        let _writing = self.write_turn().await;
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid(
                "a learner's name may not be empty".into(),
            ));
        }
        let id = LearnerId::new();
        let now = now_ms();
        sqlx::query("INSERT INTO learners (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id.as_str())
            .bind(name)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(|e| {
                StoreError::unique_as_conflict(e, format!("the name `{name}` is taken"))
            })?;
        Ok(Learner {
            id,
            name: name.to_owned(),
            created_at: time(now)?,
        })
    }

    /// The learner called `name`, if any.
    pub async fn find_learner_by_name(&self, name: &str) -> Result<Option<Learner>, StoreError> {
        let row = sqlx::query("SELECT id, name, created_at FROM learners WHERE name = $1")
            .bind(name.trim())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(learner_from).transpose()
    }

    /// The learner with this id, if any.
    pub async fn get_learner(&self, id: &LearnerId) -> Result<Option<Learner>, StoreError> {
        let row = sqlx::query("SELECT id, name, created_at FROM learners WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(learner_from).transpose()
    }

    /// Creates an API token and returns it: the only time the token itself is seen.
    /// A [`Role::Learner`] token must name its learner.
    pub async fn create_api_token(
        &self,
        role: Role,
        learner: Option<&LearnerId>,
        label: &str,
    ) -> Result<String, StoreError> {
        self.create_api_token_expiring(role, learner, label, None)
            .await
    }

    /// [`Store::create_api_token`] with an optional expiry: after `expires_at` the token no
    /// longer verifies.
    pub async fn create_api_token_expiring(
        &self,
        role: Role,
        learner: Option<&LearnerId>,
        label: &str,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<String, StoreError> {
        let _writing = self.write_turn().await;
        if role == Role::Learner && learner.is_none() {
            return Err(StoreError::Invalid(
                "a learner token must name its learner".into(),
            ));
        }
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(rand::random::<[u8; 32]>()));
        // A typed NULL cannot be bound through `Any` on both backends: two statements.
        let insert = match expires_at {
            Some(_) => {
                "INSERT INTO api_tokens (id, token_sha256, role, learner_id, label, created_at, \
                 expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            }
            None => {
                "INSERT INTO api_tokens (id, token_sha256, role, learner_id, label, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)"
            }
        };
        let mut query = sqlx::query(insert)
            .bind(new_row_id())
            .bind(token_hash(&token))
            .bind(role.as_str())
            .bind(learner.map(LearnerId::as_str))
            .bind(label)
            .bind(now_ms());
        if let Some(t) = expires_at {
            query = query.bind(t.timestamp_millis());
        }
        query.execute(&self.pool).await.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound("learner")
            }
            _ => StoreError::Database(e),
        })?;
        Ok(token)
    }

    /// What `token` grants, or `None` when it is unknown or revoked.
    pub async fn verify_api_token(&self, token: &str) -> Result<Option<TokenGrant>, StoreError> {
        let row = sqlx::query(
            "SELECT role, learner_id FROM api_tokens WHERE token_sha256 = $1 \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(token_hash(token.trim()))
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(TokenGrant {
            role: parsed_enum("api_tokens.role", col(&row, "role")?, Role::parse)?,
            learner: col::<Option<String>>(&row, "learner_id")?.map(LearnerId::from_db),
        }))
    }

    /// Revokes `token`; false when it was unknown or already revoked.
    pub async fn revoke_api_token(&self, token: &str) -> Result<bool, StoreError> {
        let _writing = self.write_turn().await;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE token_sha256 = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(token_hash(token.trim()))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// SHA-256 hashes (lowercase hex) of tokens revoked at or after `since_ms` (unix
    /// milliseconds): the server closes the sockets those tokens opened.
    pub async fn tokens_revoked_since(&self, since_ms: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT token_sha256 FROM api_tokens WHERE revoked_at >= $1")
            .bind(since_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| col(r, "token_sha256")).collect()
    }

    /// Every token, oldest first, without secrets.
    pub async fn list_api_tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.role, l.name, t.label, t.created_at, t.revoked_at, t.expires_at \
             FROM api_tokens t LEFT JOIN learners l ON l.id = t.learner_id \
             ORDER BY t.created_at, t.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: col(r, "id")?,
                    role: parsed_enum("api_tokens.role", col(r, "role")?, Role::parse)?,
                    learner: col(r, "name")?,
                    label: col(r, "label")?,
                    created_at: time(col(r, "created_at")?)?,
                    revoked_at: opt_time(col(r, "revoked_at")?)?,
                    expires_at: opt_time(col(r, "expires_at")?)?,
                })
            })
            .collect()
    }
}
