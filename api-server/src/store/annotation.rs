//! The `annotations` table, as the annotation endpoints read and write it
//! (wallabag-api.md §4.3, §5.25).
//!
//! An annotation belongs to its entry's owner: it is created only on an
//! entry of the caller's, with the caller as its user, and every statement
//! is scoped by `user_id`, so another user's entry or annotation is simply
//! not found. Nothing here touches the entry: annotating does not bump its
//! `updated_at` (§5.25). Annotations inside entries are read by
//! `store::entry`'s aggregate; what a request may store is decided in
//! `http::annotations`.

use deadpool_postgres::Pool;
use serde_json::Value;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use super::StoreError;
use super::entry::StoredAnnotation;

/// The fields of an annotation being created.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAnnotation {
    pub text: String,
    pub quote: String,
    /// A JSON array of range objects.
    pub ranges: Value,
}

const RETURNED: &str = "id, text, quote, ranges, created_at, updated_at";

#[derive(Clone)]
pub struct AnnotationStore {
    pool: Pool,
}

impl AnnotationStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// The user's annotations on one of their entries, oldest first; `None`
    /// when the entry is not theirs. One query: the entry's row comes back
    /// even without annotations.
    pub async fn list_for_entry(
        &self,
        user_id: i64,
        entry_id: i64,
    ) -> Result<Option<Vec<StoredAnnotation>>, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "SELECT a.id, a.text, a.quote, a.ranges, a.created_at, a.updated_at \
                 FROM entries e \
                 LEFT JOIN annotations a ON a.entry_id = e.id AND a.user_id = e.user_id \
                 WHERE e.id = $1 AND e.user_id = $2 \
                 ORDER BY a.id",
            )
            .await?;
        let rows = conn.query(&stmt, &[&entry_id, &user_id]).await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut annotations = Vec::with_capacity(rows.len());
        for row in &rows {
            // The LEFT JOIN's lone row for an entry without annotations.
            if row.try_get::<_, Option<i64>>("id")?.is_some() {
                annotations.push(annotation_from_row(row)?);
            }
        }
        Ok(Some(annotations))
    }

    /// Whether the entry exists and is the user's.
    pub async fn owns_entry(&self, user_id: i64, entry_id: i64) -> Result<bool, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM entries WHERE id = $1 AND user_id = $2)")
            .await?;
        Ok(conn.query_one(&stmt, &[&entry_id, &user_id]).await?.get(0))
    }

    /// Whether the annotation exists and is the user's.
    pub async fn owns_annotation(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM annotations WHERE id = $1 AND user_id = $2)",
            )
            .await?;
        Ok(conn.query_one(&stmt, &[&id, &user_id]).await?.get(0))
    }

    /// Annotates one of the user's entries; `None` when the entry is not
    /// theirs, or is deleted meanwhile.
    pub async fn create(
        &self,
        user_id: i64,
        entry_id: i64,
        new: &NewAnnotation,
    ) -> Result<Option<StoredAnnotation>, StoreError> {
        let sql = format!(
            "INSERT INTO annotations (entry_id, user_id, text, quote, ranges) \
             SELECT e.id, e.user_id, $3, $4, $5 FROM entries e \
             WHERE e.id = $1 AND e.user_id = $2 \
             RETURNING {RETURNED}"
        );
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(&sql).await?;
        let params: [&(dyn ToSql + Sync); 5] =
            [&entry_id, &user_id, &new.text, &new.quote, &new.ranges];
        match conn.query_opt(&stmt, &params).await {
            Ok(row) => row.as_ref().map(annotation_from_row).transpose(),
            // The entry went between the SELECT and the foreign-key check:
            // a concurrent delete, so not found rather than a 500.
            Err(err) if err.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// Replaces the text of one of the user's annotations; `None` when it
    /// is not theirs. As with Doctrine, `updated_at` moves only when the
    /// text changes.
    pub async fn update_text(
        &self,
        user_id: i64,
        id: i64,
        text: &str,
    ) -> Result<Option<StoredAnnotation>, StoreError> {
        let sql = format!(
            "UPDATE annotations \
             SET text = $3, updated_at = CASE WHEN text = $3 THEN updated_at ELSE now() END \
             WHERE id = $1 AND user_id = $2 \
             RETURNING {RETURNED}"
        );
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(&sql).await?;
        let row = conn.query_opt(&stmt, &[&id, &user_id, &text]).await?;
        row.as_ref().map(annotation_from_row).transpose()
    }

    /// Deletes one of the user's annotations and returns it as it was;
    /// `None` when it is not theirs.
    pub async fn delete(
        &self,
        user_id: i64,
        id: i64,
    ) -> Result<Option<StoredAnnotation>, StoreError> {
        let sql =
            format!("DELETE FROM annotations WHERE id = $1 AND user_id = $2 RETURNING {RETURNED}");
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(&sql).await?;
        let row = conn.query_opt(&stmt, &[&id, &user_id]).await?;
        row.as_ref().map(annotation_from_row).transpose()
    }
}

fn annotation_from_row(row: &Row) -> Result<StoredAnnotation, StoreError> {
    Ok(StoredAnnotation {
        id: row.try_get("id")?,
        text: row.try_get("text")?,
        quote: row.try_get("quote")?,
        ranges: row.try_get("ranges")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
