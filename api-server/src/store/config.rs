//! The `user_configs` table: a user's reading settings.

use deadpool_postgres::Pool;
use serde::Serialize;
use utoipa::ToSchema;

use super::StoreError;

/// wallabag's `Config` as the API shows it (§4.6): keys in its order, unset
/// ones omitted.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserConfig {
    pub id: i64,
    pub items_per_page: i32,
    pub language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed_limit: Option<i32>,
    pub reading_speed: f64,
    pub action_mark_as_read: i32,
    pub list_mode: i32,
    pub display_thumbnails: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub font: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fontsize: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_height: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_width: Option<f64>,
}

#[derive(Clone)]
pub struct ConfigStore {
    pool: Pool,
}

impl ConfigStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// The user's settings, created with the defaults on first use. One
    /// statement: the insert does nothing when the row exists, and the
    /// select then finds it.
    pub async fn find_or_create(&self, user_id: i64) -> Result<UserConfig, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "WITH created AS ( \
                     INSERT INTO user_configs (user_id) VALUES ($1) \
                     ON CONFLICT (user_id) DO NOTHING \
                     RETURNING id, items_per_page, language, feed_token, feed_limit, \
                               reading_speed, action_mark_as_read, list_mode, \
                               display_thumbnails, font, fontsize, line_height, max_width) \
                 SELECT * FROM created \
                 UNION ALL \
                 SELECT id, items_per_page, language, feed_token, feed_limit, reading_speed, \
                        action_mark_as_read, list_mode, display_thumbnails, font, fontsize, \
                        line_height, max_width \
                 FROM user_configs WHERE user_id = $1",
            )
            .await?;
        let row = conn.query_one(&stmt, &[&user_id]).await?;
        Ok(UserConfig {
            id: row.get(0),
            items_per_page: row.get(1),
            language: row.get(2),
            feed_token: row.get(3),
            feed_limit: row.get(4),
            reading_speed: row.get(5),
            action_mark_as_read: row.get(6),
            list_mode: row.get(7),
            display_thumbnails: row.get(8),
            font: row.get(9),
            fontsize: row.get(10),
            line_height: row.get(11),
            max_width: row.get(12),
        })
    }
}
