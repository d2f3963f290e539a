//! Public shares: entries whose owner gave them a `uid`.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;

use super::StoreError;

/// What a share page shows of an entry; nothing about its owner.
pub struct SharedEntry {
    pub title: Option<String>,
    pub url: Option<String>,
    pub domain_name: Option<String>,
    pub content: Option<String>,
    pub language: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub published_by: Option<Vec<String>>,
}

#[derive(Clone)]
pub struct ShareStore {
    pool: Pool,
}

impl ShareStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// The entry shared under `uid`; `None` once it is unshared.
    pub async fn find(&self, uid: &str) -> Result<Option<SharedEntry>, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "SELECT title, url, domain_name, content, language, published_at, published_by \
                 FROM entries WHERE uid = $1",
            )
            .await?;
        let row = conn.query_opt(&stmt, &[&uid]).await?;
        Ok(row.map(|row| SharedEntry {
            title: row.get(0),
            url: row.get(1),
            domain_name: row.get(2),
            content: row.get(3),
            language: row.get(4),
            published_at: row.get(5),
            published_by: row.get(6),
        }))
    }
}
