//! The `authorization_codes` table: codes of the authorization-code grant,
//! stored as digests, single-use.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use serde_json::Value as Json;

use super::StoreError;

#[derive(Clone)]
pub struct CodeStore {
    pool: Pool,
}

pub struct NewCode<'a> {
    pub code_hash: &'a [u8],
    pub client_id: &'a str,
    pub user_id: i64,
    pub redirect_uri: &'a str,
    pub scope: &'a str,
    /// What oxide-auth attached to the grant (the PKCE challenge).
    pub extensions: &'a Json,
    pub expires_at: DateTime<Utc>,
}

/// A code claimed for exchange: it can never be claimed again.
pub struct ClaimedCode {
    pub client_id: String,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scope: String,
    pub extensions: Json,
    pub expires_at: DateTime<Utc>,
    /// The token family reserved for what this code issues.
    pub family_id: i64,
    pub user_disabled: bool,
}

/// What presenting a code found.
pub enum Claim {
    Claimed(ClaimedCode),
    /// Used before: a replay. Carries the family the first use issued.
    Replayed {
        family_id: Option<i64>,
    },
    Unknown,
}

impl CodeStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    pub async fn insert(&self, code: &NewCode<'_>) -> Result<(), StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "INSERT INTO authorization_codes \
                     (code_hash, client_id, user_id, redirect_uri, scope, extensions, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .await?;
        conn.execute(
            &stmt,
            &[
                &code.code_hash,
                &code.client_id,
                &code.user_id,
                &code.redirect_uri,
                &code.scope,
                &code.extensions,
                &code.expires_at,
            ],
        )
        .await?;
        Ok(())
    }

    /// Claims a code: marks it used and reserves its token family in one
    /// statement. Of two concurrent claims the row lock lets exactly one
    /// through; the other sees the code used and reports a replay.
    pub async fn claim(&self, code_hash: &[u8]) -> Result<Claim, StoreError> {
        let conn = self.pool.get().await?;
        let claim = conn
            .prepare_cached(
                "UPDATE authorization_codes c \
                 SET used_at = now(), family_id = nextval('token_families') \
                 FROM users u \
                 WHERE c.code_hash = $1 AND c.used_at IS NULL AND u.id = c.user_id \
                 RETURNING c.client_id, c.user_id, c.redirect_uri, c.scope, c.extensions, \
                           c.expires_at, c.family_id, u.disabled_at IS NOT NULL AS user_disabled",
            )
            .await?;
        if let Some(row) = conn.query_opt(&claim, &[&code_hash]).await? {
            return Ok(Claim::Claimed(ClaimedCode {
                client_id: row.get("client_id"),
                user_id: row.get("user_id"),
                redirect_uri: row.get("redirect_uri"),
                scope: row.get("scope"),
                extensions: row.get("extensions"),
                expires_at: row.get("expires_at"),
                family_id: row.get("family_id"),
                user_disabled: row.get("user_disabled"),
            }));
        }

        let used = conn
            .prepare_cached("SELECT family_id FROM authorization_codes WHERE code_hash = $1")
            .await?;
        Ok(match conn.query_opt(&used, &[&code_hash]).await? {
            Some(row) => Claim::Replayed {
                family_id: row.get(0),
            },
            None => Claim::Unknown,
        })
    }
}
