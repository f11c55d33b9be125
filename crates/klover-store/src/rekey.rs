//! Re-keying learner data when a published version renames a checkpoint or a
//! misconception (issue 15, item 3): mastery, review cards and their log, misconception state,
//! assessments, turn misconceptions, aha moments, the checkpoints stated per turn and the
//! inbox's actions (0012) follow the new id, in the transaction
//! that stores the version, so no learner loses credit to a rename.

use klover_domain::CurriculumId;

use crate::StoreError;
use crate::curricula::Rekey;

/// The learners' tables keyed by a checkpoint id and a curriculum column.
const CHECKPOINT_TABLES: [&str; 3] = ["checkpoint_mastery", "review_cards", "review_log"];

/// Applies `rekey` to every table keyed by those ids, for `curriculum` only.
pub(crate) async fn rekey(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    curriculum: &CurriculumId,
    rekey: &Rekey,
) -> Result<(), StoreError> {
    // Turns belong to sessions of this curriculum: their assessments are renamed too.
    let of_curriculum = "turn_id IN (SELECT t.id FROM turns t JOIN sessions s \
                         ON s.id = t.session_id WHERE s.curriculum_id = $3)";
    for (old, new) in &rekey.checkpoints {
        for table in CHECKPOINT_TABLES {
            let sql = format!(
                "UPDATE {table} SET checkpoint_id = $1 WHERE checkpoint_id = $2 \
                 AND curriculum_id = $3"
            );
            run(tx, sql, new, old, curriculum)
                .await
                .map_err(conflict("checkpoint", old, new))?;
        }
        for table in ["assessments", "aha_moments", "turn_stated", "inbox_actions"] {
            let sql = format!(
                "UPDATE {table} SET checkpoint_id = $1 WHERE checkpoint_id = $2 AND {of_curriculum}"
            );
            run(tx, sql, new, old, curriculum)
                .await
                .map_err(conflict("checkpoint", old, new))?;
        }
    }
    for (old, new) in &rekey.misconceptions {
        let sql = "UPDATE learner_misconceptions SET misconception_id = $1 \
                   WHERE misconception_id = $2 AND curriculum_id = $3"
            .to_owned();
        run(tx, sql, new, old, curriculum)
            .await
            .map_err(conflict("misconception", old, new))?;
        for table in ["turn_misconceptions", "aha_moments"] {
            let sql = format!(
                "UPDATE {table} SET misconception_id = $1 WHERE misconception_id = $2 \
                 AND {of_curriculum}"
            );
            run(tx, sql, new, old, curriculum).await.map_err(conflict(
                "misconception",
                old,
                new,
            ))?;
        }
    }
    Ok(())
}

fn conflict<'a>(
    what: &'a str,
    old: &'a str,
    new: &'a str,
) -> impl FnOnce(sqlx::Error) -> StoreError + 'a {
    move |e| {
        StoreError::unique_as_conflict(
            e,
            format!(
                "cannot rename {what} `{old}` to `{new}`: learners already have data on `{new}`"
            ),
        )
    }
}

async fn run(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    sql: String,
    new: &str,
    old: &str,
    curriculum: &CurriculumId,
) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(new)
        .bind(old)
        .bind(curriculum.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
