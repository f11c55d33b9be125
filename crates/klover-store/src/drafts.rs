//! Authors' drafts of a curriculum (issue 15): a version's files being edited, with a
//! revision that every write must name (optimistic concurrency: two authors cannot
//! overwrite each other), published into a new version in one transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use klover_domain::CurriculumId;
use klover_domain::curriculum::SourceFile;
use sqlx::any::AnyRow;

use crate::curricula::{
    NewVersion, Rekey, StoredFile, VersionInfo, canonical, files_from, files_json,
    insert_version_in, json_map,
};
use crate::ids::new_row_id;
use crate::store::{col, now_ms, parsed, time};
use crate::{Store, StoreError};

/// An author's work in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// UUID v7.
    pub id: String,
    /// The curriculum.
    pub curriculum: CurriculumId,
    /// The version it was made from.
    pub base: i64,
    /// Its files, sorted by path.
    pub files: Vec<StoredFile>,
    /// Grows by one on every write: the ETag.
    pub revision: i64,
    /// Who made it.
    pub author: String,
    /// Last write.
    pub updated_at: DateTime<Utc>,
    /// The version it was published as, if it was.
    pub published_as: Option<i64>,
    /// New id → old id of the renames its edits made so far.
    pub renamed_from: BTreeMap<String, String>,
}

fn draft_from(row: &AnyRow) -> Result<Draft, StoreError> {
    Ok(Draft {
        id: col(row, "id")?,
        curriculum: parsed(
            "curriculum_drafts.curriculum_id",
            col(row, "curriculum_id")?,
            CurriculumId::parse,
        )?,
        base: col(row, "base")?,
        files: files_from("curriculum_drafts.files", col(row, "files")?)?,
        revision: col(row, "revision")?,
        author: col(row, "author")?,
        updated_at: time(col(row, "updated_at")?)?,
        published_as: col(row, "published_as")?,
        renamed_from: parsed(
            "curriculum_drafts.renamed_from",
            col(row, "renamed_from")?,
            |s| serde_json::from_str(s),
        )?,
    })
}

impl Store {
    /// A new draft of `curriculum` from version `base` holding `files`, revision 1.
    pub async fn create_draft(
        &self,
        curriculum: &CurriculumId,
        base: i64,
        files: &[SourceFile],
        author: &str,
    ) -> Result<Draft, StoreError> {
        let _writing = self.write_turn().await;
        let id = new_row_id();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO curriculum_drafts (id, curriculum_id, base, files, revision, author, \
             updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6)",
        )
        .bind(id.as_str())
        .bind(curriculum.as_str())
        .bind(base)
        .bind(files_json(files)?)
        .bind(author)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(Draft {
            id,
            curriculum: curriculum.clone(),
            base,
            files: canonical(files),
            revision: 1,
            author: author.to_owned(),
            updated_at: time(now)?,
            published_as: None,
            renamed_from: BTreeMap::new(),
        })
    }

    /// The draft `id`.
    pub async fn draft(&self, id: &str) -> Result<Option<Draft>, StoreError> {
        let row = sqlx::query(
            "SELECT id, curriculum_id, base, files, revision, author, updated_at, published_as, \
             renamed_from FROM curriculum_drafts WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(draft_from).transpose()
    }

    /// Replaces the files (and the renames so far) of draft `id` if its revision is still
    /// `expected` (and it is not published); returns the new revision.
    /// [`StoreError::StaleRevision`] otherwise.
    pub async fn save_draft(
        &self,
        id: &str,
        expected: i64,
        files: &[SourceFile],
        renamed_from: &BTreeMap<String, String>,
    ) -> Result<i64, StoreError> {
        let _writing = self.write_turn().await;
        let done = sqlx::query(
            "UPDATE curriculum_drafts SET files = $1, revision = revision + 1, updated_at = $2, \
             renamed_from = $5 WHERE id = $3 AND revision = $4 AND published_as IS NULL",
        )
        .bind(files_json(files)?)
        .bind(now_ms())
        .bind(id)
        .bind(expected)
        .bind(json_map(renamed_from)?)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(expected + 1);
        }
        Err(self.why_not_saved(id).await)
    }

    /// Publishes draft `id` (still at revision `expected`) as the next version, re-keying
    /// learner data by `rekey`, all in one transaction.
    pub async fn publish_draft(
        &self,
        id: &str,
        expected: i64,
        new: &NewVersion<'_>,
        rekey: &Rekey,
    ) -> Result<VersionInfo, StoreError> {
        let _writing = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let info = insert_version_in(&mut tx, new, rekey).await?;
        let done = sqlx::query(
            "UPDATE curriculum_drafts SET published_as = $1, revision = revision + 1, \
             updated_at = $2 WHERE id = $3 AND revision = $4 AND published_as IS NULL",
        )
        .bind(info.number)
        .bind(now_ms())
        .bind(id)
        .bind(expected)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            drop(tx);
            return Err(self.why_not_saved(id).await);
        }
        tx.commit().await?;
        Ok(info)
    }

    async fn why_not_saved(&self, id: &str) -> StoreError {
        match self.draft(id).await {
            Ok(Some(d)) => StoreError::StaleRevision {
                current: d.revision,
                published_as: d.published_as,
            },
            Ok(None) => StoreError::NotFound("draft"),
            Err(e) => e,
        }
    }
}
