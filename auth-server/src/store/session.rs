//! The `web_sessions` and `sign_in_failures` tables: who is signed in to
//! the web pages, and who has been failing to.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;

use super::StoreError;

#[derive(Clone)]
pub struct SessionStore {
    pool: Pool,
}

/// A live session and its user.
#[derive(Clone, Debug)]
pub struct Session {
    pub user_id: i64,
    pub username: String,
    pub csrf_token: String,
}

/// How many failures each throttling key has in the current window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    pub account: u32,
    pub address: u32,
}

impl SessionStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    pub async fn create(
        &self,
        id_hash: &[u8],
        user_id: i64,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "INSERT INTO web_sessions (id_hash, user_id, csrf_token, expires_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .await?;
        conn.execute(&stmt, &[&id_hash, &user_id, &csrf_token, &expires_at])
            .await?;
        Ok(())
    }

    /// The session with this id, if it is unexpired and its user enabled.
    pub async fn find(&self, id_hash: &[u8]) -> Result<Option<Session>, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "SELECT s.user_id, u.username, s.csrf_token \
                 FROM web_sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.id_hash = $1 AND s.expires_at > now() AND u.disabled_at IS NULL",
            )
            .await?;
        let row = conn.query_opt(&stmt, &[&id_hash]).await?;
        Ok(row.map(|row| Session {
            user_id: row.get(0),
            username: row.get(1),
            csrf_token: row.get(2),
        }))
    }

    pub async fn delete(&self, id_hash: &[u8]) -> Result<(), StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached("DELETE FROM web_sessions WHERE id_hash = $1")
            .await?;
        conn.execute(&stmt, &[&id_hash]).await?;
        Ok(())
    }

    /// Failures recorded for an account key and an address key within the
    /// last `window_secs`.
    pub async fn failures(
        &self,
        account_key: &str,
        address_key: &str,
        window_secs: u32,
    ) -> Result<Failures, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "SELECT \
                     COALESCE(max(failures) FILTER (WHERE key = $1), 0), \
                     COALESCE(max(failures) FILTER (WHERE key = $2), 0) \
                 FROM sign_in_failures \
                 WHERE key IN ($1, $2) \
                   AND window_started_at > now() - make_interval(secs => $3)",
            )
            .await?;
        let row = conn
            .query_one(
                &stmt,
                &[&account_key, &address_key, &f64::from(window_secs)],
            )
            .await?;
        let count = |i: usize| u32::try_from(row.get::<_, i32>(i)).unwrap_or(0);
        Ok(Failures {
            account: count(0),
            address: count(1),
        })
    }

    /// Counts one failure against both keys; a key whose window has passed
    /// starts a new one.
    pub async fn record_failure(
        &self,
        account_key: &str,
        address_key: &str,
        window_secs: u32,
    ) -> Result<(), StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "INSERT INTO sign_in_failures AS f (key, failures, window_started_at) \
                 SELECT key, 1, now() FROM unnest(ARRAY[$1, $2]::text[]) AS key \
                 ON CONFLICT (key) DO UPDATE SET \
                     failures = CASE \
                         WHEN f.window_started_at > now() - make_interval(secs => $3) \
                         THEN f.failures + 1 ELSE 1 END, \
                     window_started_at = CASE \
                         WHEN f.window_started_at > now() - make_interval(secs => $3) \
                         THEN f.window_started_at ELSE now() END",
            )
            .await?;
        conn.execute(
            &stmt,
            &[&account_key, &address_key, &f64::from(window_secs)],
        )
        .await?;
        Ok(())
    }

    /// Forgets an account's failures after it signs in.
    pub async fn clear_failures(&self, account_key: &str) -> Result<(), StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached("DELETE FROM sign_in_failures WHERE key = $1")
            .await?;
        conn.execute(&stmt, &[&account_key]).await?;
        Ok(())
    }
}
