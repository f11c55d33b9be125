//! Curricula as immutable versions (issue 15); authors' drafts are in `drafts.rs`.
//!
//! A version is its folder: the files (relative path → text) exactly as imported or
//! edited, stored as JSON text. Storing the text, not a re-serialised model, makes
//! import → export → import a byte-for-byte fixpoint and keeps comments and layout.
//! Validation is not the store's business: callers store only what `load_sources` accepts
//! as a version (a draft may hold anything).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use klover_domain::CurriculumId;
use klover_domain::curriculum::SourceFile;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;

use crate::store::{col, now_ms, parsed, time};
use crate::{Store, StoreError};

/// One file as stored in a version's or a draft's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// `curriculum.toml` or `concepts/<name>.toml`.
    pub path: String,
    /// The file's text, byte for byte.
    pub text: String,
}

impl From<&SourceFile> for StoredFile {
    fn from(f: &SourceFile) -> Self {
        Self {
            path: f.path.clone(),
            text: f.text.clone(),
        }
    }
}

impl From<StoredFile> for SourceFile {
    fn from(f: StoredFile) -> Self {
        Self {
            path: f.path,
            text: f.text,
        }
    }
}

/// The files sorted by path (the canonical order every version and draft is stored in).
pub fn canonical(files: &[SourceFile]) -> Vec<StoredFile> {
    let mut out: Vec<StoredFile> = files.iter().map(StoredFile::from).collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// sha256 (hex) of the canonical file set: each path and text with its length, so no two
/// different sets hash alike by moving bytes between files.
pub fn content_hash(files: &[SourceFile]) -> String {
    let mut h = Sha256::new();
    for f in canonical(files) {
        for part in [f.path.as_bytes(), f.text.as_bytes()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
    }
    hex::encode(h.finalize())
}

/// What a version says about itself (its files are in [`StoredVersion`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionInfo {
    /// The curriculum.
    pub curriculum: CurriculumId,
    /// 1, 2, 3 … per curriculum.
    pub number: i64,
    /// The version it was made from.
    pub parent: Option<i64>,
    /// Who made it: a learner or token name, or `import`.
    pub author: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Why (the author's message).
    pub message: String,
    /// sha256 of the canonical file set.
    pub content_hash: String,
    /// Taught to new sessions when it is the latest published one.
    pub published: bool,
    /// New id → old id of checkpoints, misconceptions and concepts this version renamed.
    pub renamed_from: BTreeMap<String, String>,
}

/// A version with its files, sorted by path.
#[derive(Debug, Clone)]
pub struct StoredVersion {
    /// Its description.
    pub info: VersionInfo,
    /// Its files.
    pub files: Vec<SourceFile>,
}

/// A version to store.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// The curriculum (the manifest's id).
    pub curriculum: &'a CurriculumId,
    /// The version it was made from (`None` for a first import).
    pub parent: Option<i64>,
    /// Who makes it.
    pub author: &'a str,
    /// Why.
    pub message: &'a str,
    /// Its files (any order: stored sorted).
    pub files: &'a [SourceFile],
    /// New id → old id of what it renames.
    pub renamed_from: &'a BTreeMap<String, String>,
}

/// Learner data to re-key when a version is published: `(old id, new id)` pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rekey {
    /// Renamed checkpoints.
    pub checkpoints: Vec<(String, String)>,
    /// Renamed misconceptions.
    pub misconceptions: Vec<(String, String)>,
}

pub(crate) fn files_json(files: &[SourceFile]) -> Result<String, StoreError> {
    serde_json::to_string(&canonical(files)).map_err(|e| StoreError::Invalid(e.to_string()))
}

pub(crate) fn files_from(
    column: &'static str,
    json: String,
) -> Result<Vec<StoredFile>, StoreError> {
    parsed(column, json, |s| serde_json::from_str::<Vec<StoredFile>>(s))
}

const VERSION_COLUMNS: &str = "curriculum_id, number, parent, author, created_at, message, \
                               content_hash, published, renamed_from";

fn info_from(row: &AnyRow) -> Result<VersionInfo, StoreError> {
    Ok(VersionInfo {
        curriculum: parsed(
            "curriculum_versions.curriculum_id",
            col(row, "curriculum_id")?,
            CurriculumId::parse,
        )?,
        number: col(row, "number")?,
        parent: col(row, "parent")?,
        author: col(row, "author")?,
        created_at: time(col(row, "created_at")?)?,
        message: col(row, "message")?,
        content_hash: col(row, "content_hash")?,
        published: col::<i64>(row, "published")? != 0,
        renamed_from: parsed(
            "curriculum_versions.renamed_from",
            col(row, "renamed_from")?,
            |s| serde_json::from_str(s),
        )?,
    })
}

pub(crate) fn json_map(map: &BTreeMap<String, String>) -> Result<String, StoreError> {
    serde_json::to_string(map).map_err(|e| StoreError::Invalid(e.to_string()))
}

impl Store {
    /// Stores `new` as the next version of its curriculum (published), re-keying learner
    /// data by `rekey` in the same transaction. Two writers racing for one number: the
    /// loser gets [`StoreError::Conflict`].
    pub async fn insert_version(
        &self,
        new: &NewVersion<'_>,
        rekey: &Rekey,
    ) -> Result<VersionInfo, StoreError> {
        let _writing = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let info = insert_version_in(&mut tx, new, rekey).await?;
        tx.commit().await?;
        Ok(info)
    }

    /// Stores `files` as a new published version made by `author` unless they are the
    /// same, byte for byte, as the latest version's. Returns the latest version and
    /// whether it was just created.
    pub async fn import_version(
        &self,
        curriculum: &CurriculumId,
        files: &[SourceFile],
        author: &str,
        message: &str,
    ) -> Result<(VersionInfo, bool), StoreError> {
        let hash = content_hash(files);
        let done = {
            let _writing = self.write_turn().await;
            let mut tx = self.pool.begin().await?;
            // Read in the transaction that inserts: an import that committed meanwhile
            // is seen here, and two at the very same time collide on the number.
            let sql = format!(
                "SELECT {VERSION_COLUMNS} FROM curriculum_versions WHERE curriculum_id = $1 \
                 ORDER BY number DESC LIMIT 1"
            );
            let latest = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(curriculum.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let latest = latest.as_ref().map(info_from).transpose()?;
            if let Some(latest) = latest.as_ref().filter(|v| v.content_hash == hash) {
                return Ok((latest.clone(), false));
            }
            let new = NewVersion {
                curriculum,
                parent: latest.map(|v| v.number),
                author,
                message,
                files,
                renamed_from: &BTreeMap::new(),
            };
            match insert_version_in(&mut tx, &new, &Rekey::default()).await {
                Ok(info) => tx.commit().await.map(|()| info).map_err(StoreError::from),
                Err(e) => Err(e),
            }
        };
        match done {
            Ok(info) => Ok((info, true)),
            // Two instances starting on one PostgreSQL import the same folder at once:
            // the one that lost the race finds the winner's version, the same files.
            Err(StoreError::Conflict(why)) => match self.latest_version(curriculum, false).await? {
                Some(latest) if latest.content_hash == hash => Ok((latest, false)),
                _ => Err(StoreError::Conflict(why)),
            },
            Err(e) => Err(e),
        }
    }

    /// The latest version of `curriculum` (the latest published one when
    /// `published_only`), without its files.
    pub async fn latest_version(
        &self,
        curriculum: &CurriculumId,
        published_only: bool,
    ) -> Result<Option<VersionInfo>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM curriculum_versions WHERE curriculum_id = $1 \
             AND published >= $2 ORDER BY number DESC LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(curriculum.as_str())
            .bind(i64::from(published_only))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(info_from).transpose()
    }

    /// The number of the latest published version of `curriculum` (a cheap query: every
    /// session start asks it, so an instance learns of a version another one published).
    pub async fn latest_published_number(
        &self,
        curriculum: &CurriculumId,
    ) -> Result<Option<i64>, StoreError> {
        let n: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(number) FROM curriculum_versions \
             WHERE curriculum_id = $1 AND published = 1",
        )
        .bind(curriculum.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    /// Version `number` of `curriculum` with its files.
    pub async fn version(
        &self,
        curriculum: &CurriculumId,
        number: i64,
    ) -> Result<Option<StoredVersion>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS}, files FROM curriculum_versions \
             WHERE curriculum_id = $1 AND number = $2"
        );
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(curriculum.as_str())
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let files = files_from("curriculum_versions.files", col(&row, "files")?)?;
        Ok(Some(StoredVersion {
            info: info_from(&row)?,
            files: files.into_iter().map(SourceFile::from).collect(),
        }))
    }

    /// Every version of `curriculum`, oldest first, without files.
    pub async fn versions(
        &self,
        curriculum: &CurriculumId,
    ) -> Result<Vec<VersionInfo>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM curriculum_versions WHERE curriculum_id = $1 \
             ORDER BY number"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(curriculum.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(info_from).collect()
    }

    /// The curricula with at least one published version.
    pub async fn stored_curricula(&self) -> Result<Vec<CurriculumId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT curriculum_id FROM curriculum_versions WHERE published = 1 \
             ORDER BY curriculum_id",
        )
        .fetch_all(&self.pool)
        .await?;
        ids.into_iter()
            .map(|id| parsed("curriculum_versions.curriculum_id", id, CurriculumId::parse))
            .collect()
    }

    /// How many learners have data (mastery, review cards, or a misconception) on
    /// checkpoint or misconception `id` of `curriculum`.
    pub async fn learners_with_data(
        &self,
        curriculum: &CurriculumId,
        id: &str,
    ) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (\
               SELECT learner_id FROM checkpoint_mastery WHERE curriculum_id = $1 AND checkpoint_id = $2 \
               UNION SELECT learner_id FROM review_cards WHERE curriculum_id = $1 AND checkpoint_id = $2 \
               UNION SELECT learner_id FROM learner_misconceptions \
                     WHERE curriculum_id = $1 AND misconception_id = $2) AS who",
        )
        .bind(curriculum.as_str())
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }
}

pub(crate) async fn insert_version_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    new: &NewVersion<'_>,
    rekey: &Rekey,
) -> Result<VersionInfo, StoreError> {
    let latest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(number) FROM curriculum_versions WHERE curriculum_id = $1")
            .bind(new.curriculum.as_str())
            .fetch_one(&mut **tx)
            .await?;
    let number = latest.unwrap_or(0) + 1;
    let now = now_ms();
    let hash = content_hash(new.files);
    let renamed = json_map(new.renamed_from)?;
    sqlx::query(
        "INSERT INTO curriculum_versions (curriculum_id, number, parent, author, created_at, \
         message, content_hash, files, published, renamed_from) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9)",
    )
    .bind(new.curriculum.as_str())
    .bind(number)
    .bind(new.parent)
    .bind(new.author)
    .bind(now)
    .bind(new.message)
    .bind(hash.as_str())
    .bind(files_json(new.files)?)
    .bind(renamed.as_str())
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        StoreError::unique_as_conflict(
            e,
            format!(
                "version {number} of `{}` was just stored by someone else: try again",
                new.curriculum
            ),
        )
    })?;
    crate::rekey::rekey(tx, new.curriculum, rekey).await?;
    Ok(VersionInfo {
        curriculum: new.curriculum.clone(),
        number,
        parent: new.parent,
        author: new.author.to_owned(),
        created_at: time(now)?,
        message: new.message.to_owned(),
        content_hash: hash,
        published: true,
        renamed_from: new.renamed_from.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.into(),
            text: text.into(),
        }
    }

    #[test]
    fn the_hash_ignores_file_order_and_sees_every_byte() {
        let a = [file("b.toml", "x = 1\n"), file("a.toml", "# c\n")];
        let b = [file("a.toml", "# c\n"), file("b.toml", "x = 1\n")];
        assert_eq!(content_hash(&a), content_hash(&b));
        let moved = [file("a.toml", "# c\nx"), file("b.toml", " = 1\n")];
        assert_ne!(content_hash(&a), content_hash(&moved));
        let spaced = [file("a.toml", "# c \n"), file("b.toml", "x = 1\n")];
        assert_ne!(content_hash(&a), content_hash(&spaced));
    }
}
