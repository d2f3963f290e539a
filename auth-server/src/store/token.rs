//! Access tokens, refresh tokens and their families.
//!
//! Every write that touches more than one row is a single statement (a
//! data-modifying CTE) or one transaction, so a crash never leaves half a
//! rotation behind.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;

use super::StoreError;

#[derive(Clone)]
pub struct TokenStore {
    pool: Pool,
}

/// What to store for one grant: an access token and, for a user, a refresh
/// token opening a new family.
pub struct NewTokens<'a> {
    pub client_id: &'a str,
    pub user_id: Option<i64>,
    pub scope: &'a str,
    pub access_hash: &'a [u8],
    pub access_expires_at: DateTime<Utc>,
    pub refresh: Option<(&'a [u8], DateTime<Utc>)>,
    /// The family to open, when one was reserved beforehand (an
    /// authorization code reserves its family so that a replay of the code
    /// can revoke what it issued); otherwise a new one.
    pub family_id: Option<i64>,
}

/// A stored refresh token, whatever its state.
#[derive(Clone, Debug)]
pub struct RefreshRecord {
    pub family_id: i64,
    pub client_id: String,
    pub user_id: i64,
    pub scope: String,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
    pub revoked: bool,
    pub user_disabled: bool,
}

/// A rotation's replacement tokens.
pub struct Rotation<'a> {
    pub old_hash: &'a [u8],
    pub access_hash: &'a [u8],
    pub access_expires_at: DateTime<Utc>,
    pub refresh_hash: &'a [u8],
    pub refresh_expires_at: DateTime<Utc>,
}

/// An access token that is neither expired nor revoked, with its user.
#[derive(Clone, Debug)]
pub struct ActiveAccess {
    pub client_id: String,
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user: Option<TokenOwner>,
}

#[derive(Clone, Debug)]
pub struct TokenOwner {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An introspection caller's stored credentials and what it asked about.
pub struct Introspection {
    pub caller_secret_hash: Option<Vec<u8>>,
    pub caller_can_introspect: bool,
    pub token: Option<ActiveAccess>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

/// Who a token belongs to, for revocation.
pub struct TokenIdentity {
    pub kind: TokenKind,
    pub client_id: String,
    pub family_id: Option<i64>,
}

impl TokenStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Stores a new grant's tokens in one statement.
    pub async fn issue(&self, tokens: &NewTokens<'_>) -> Result<(), StoreError> {
        let conn = self.pool.get().await?;
        match tokens.refresh {
            Some((refresh_hash, refresh_expires_at)) => {
                let stmt = conn
                    .prepare_cached(
                        "WITH family AS ( \
                             SELECT COALESCE($8::bigint, nextval('token_families')) AS id), \
                         refresh AS ( \
                             INSERT INTO refresh_tokens \
                                 (token_hash, family_id, client_id, user_id, scope, expires_at) \
                             SELECT $1, id, $3, $4, $5, $6 FROM family) \
                         INSERT INTO access_tokens \
                             (token_hash, family_id, client_id, user_id, scope, expires_at) \
                         SELECT $2, id, $3, $4, $5, $7 FROM family",
                    )
                    .await?;
                conn.execute(
                    &stmt,
                    &[
                        &refresh_hash,
                        &tokens.access_hash,
                        &tokens.client_id,
                        &tokens.user_id,
                        &tokens.scope,
                        &refresh_expires_at,
                        &tokens.access_expires_at,
                        &tokens.family_id,
                    ],
                )
                .await?;
            }
            None => {
                let stmt = conn
                    .prepare_cached(
                        "INSERT INTO access_tokens \
                             (token_hash, client_id, user_id, scope, expires_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .await?;
                conn.execute(
                    &stmt,
                    &[
                        &tokens.access_hash,
                        &tokens.client_id,
                        &tokens.user_id,
                        &tokens.scope,
                        &tokens.access_expires_at,
                    ],
                )
                .await?;
            }
        }
        Ok(())
    }

    pub async fn find_refresh(&self, hash: &[u8]) -> Result<Option<RefreshRecord>, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "SELECT r.family_id, r.client_id, r.user_id, r.scope, r.expires_at, \
                        r.used_at IS NOT NULL, r.revoked_at IS NOT NULL, \
                        u.disabled_at IS NOT NULL \
                 FROM refresh_tokens r JOIN users u ON u.id = r.user_id \
                 WHERE r.token_hash = $1",
            )
            .await?;
        let row = conn.query_opt(&stmt, &[&hash]).await?;
        Ok(row.map(|row| RefreshRecord {
            family_id: row.get(0),
            client_id: row.get(1),
            user_id: row.get(2),
            scope: row.get(3),
            expires_at: row.get(4),
            used: row.get(5),
            revoked: row.get(6),
            user_disabled: row.get(7),
        }))
    }

    /// Rotates a refresh token: marks it used and stores its replacements in
    /// the same family, in one statement. Returns `None` when the token was
    /// no longer usable, e.g. because a concurrent request rotated it first.
    pub async fn rotate(&self, rotation: &Rotation<'_>) -> Result<Option<i64>, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "WITH old AS ( \
                     UPDATE refresh_tokens SET used_at = now() \
                     WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL \
                       AND expires_at >= now() \
                     RETURNING family_id, client_id, user_id, scope), \
                 refresh AS ( \
                     INSERT INTO refresh_tokens \
                         (token_hash, family_id, client_id, user_id, scope, expires_at) \
                     SELECT $2, family_id, client_id, user_id, scope, $3 FROM old), \
                 access AS ( \
                     INSERT INTO access_tokens \
                         (token_hash, family_id, client_id, user_id, scope, expires_at) \
                     SELECT $4, family_id, client_id, user_id, scope, $5 FROM old) \
                 SELECT family_id FROM old",
            )
            .await?;
        let row = conn
            .query_opt(
                &stmt,
                &[
                    &rotation.old_hash,
                    &rotation.refresh_hash,
                    &rotation.refresh_expires_at,
                    &rotation.access_hash,
                    &rotation.access_expires_at,
                ],
            )
            .await?;
        Ok(row.map(|row| row.get(0)))
    }

    /// Revokes every refresh and access token of a family, in one statement.
    pub async fn revoke_family(&self, family_id: i64) -> Result<(), StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "WITH refresh AS ( \
                     UPDATE refresh_tokens SET revoked_at = now() \
                     WHERE family_id = $1 AND revoked_at IS NULL) \
                 UPDATE access_tokens SET revoked_at = now() \
                 WHERE family_id = $1 AND revoked_at IS NULL",
            )
            .await?;
        conn.execute(&stmt, &[&family_id]).await?;
        Ok(())
    }

    /// Finds an access token that may be used now: not expired (wallabag
    /// expires a token when now > expires_at), not revoked, its user not
    /// disabled.
    pub async fn find_active_access(
        &self,
        hash: &[u8],
    ) -> Result<Option<ActiveAccess>, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "SELECT t.client_id, t.scope, t.created_at, t.expires_at, \
                        u.id, u.username, u.email, u.name, u.created_at, u.updated_at \
                 FROM access_tokens t LEFT JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL \
                   AND t.expires_at >= now() AND u.disabled_at IS NULL",
            )
            .await?;
        let row = conn.query_opt(&stmt, &[&hash]).await?;
        Ok(row.map(|row| {
            let user_id: Option<i64> = row.get(4);
            ActiveAccess {
                client_id: row.get(0),
                scope: row.get(1),
                created_at: row.get(2),
                expires_at: row.get(3),
                user: user_id.map(|id| TokenOwner {
                    id,
                    username: row.get(5),
                    email: row.get(6),
                    name: row.get(7),
                    created_at: row.get(8),
                    updated_at: row.get(9),
                }),
            }
        }))
    }

    /// Introspection's one round trip: the caller's credentials and the
    /// active access token (see `find_active_access`), or `None` when no such
    /// caller exists. The caller is verified by the handler, in constant
    /// time, before anything about the token is used.
    pub async fn introspect(
        &self,
        caller_id: &str,
        hash: &[u8],
    ) -> Result<Option<Introspection>, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "SELECT c.secret_hash, c.can_introspect, \
                        t.client_id, t.scope, t.created_at, t.expires_at, \
                        t.user_id, t.username, t.email, t.name, t.user_created_at, \
                        t.user_updated_at \
                 FROM clients c \
                 LEFT JOIN ( \
                     SELECT t.client_id, t.scope, t.created_at, t.expires_at, \
                            u.id AS user_id, u.username, u.email, u.name, \
                            u.created_at AS user_created_at, u.updated_at AS user_updated_at \
                     FROM access_tokens t LEFT JOIN users u ON u.id = t.user_id \
                     WHERE t.token_hash = $2 AND t.revoked_at IS NULL \
                       AND t.expires_at >= now() AND u.disabled_at IS NULL \
                 ) t ON true \
                 WHERE c.client_id = $1",
            )
            .await?;
        let row = conn.query_opt(&stmt, &[&caller_id, &hash]).await?;
        Ok(row.map(|row| {
            let token_client: Option<String> = row.get(2);
            let user_id: Option<i64> = row.get(6);
            Introspection {
                caller_secret_hash: row.get(0),
                caller_can_introspect: row.get(1),
                token: token_client.map(|client_id| ActiveAccess {
                    client_id,
                    scope: row.get(3),
                    created_at: row.get(4),
                    expires_at: row.get(5),
                    user: user_id.map(|id| TokenOwner {
                        id,
                        username: row.get(7),
                        email: row.get(8),
                        name: row.get(9),
                        created_at: row.get(10),
                        updated_at: row.get(11),
                    }),
                }),
            }
        }))
    }

    /// Finds which client a token of either kind was issued to.
    pub async fn find_identity(&self, hash: &[u8]) -> Result<Option<TokenIdentity>, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "SELECT true, client_id, family_id FROM access_tokens WHERE token_hash = $1 \
                 UNION ALL \
                 SELECT false, client_id, family_id FROM refresh_tokens WHERE token_hash = $1",
            )
            .await?;
        let row = conn.query_opt(&stmt, &[&hash]).await?;
        Ok(row.map(|row| TokenIdentity {
            kind: if row.get(0) {
                TokenKind::Access
            } else {
                TokenKind::Refresh
            },
            client_id: row.get(1),
            family_id: row.get(2),
        }))
    }

    pub async fn revoke_access(&self, hash: &[u8]) -> Result<(), StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "UPDATE access_tokens SET revoked_at = now() \
                 WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .await?;
        conn.execute(&stmt, &[&hash]).await?;
        Ok(())
    }

    /// Deletes tokens and codes past their expiry. A used refresh token is
    /// kept until then, so reuse can still be detected while it could work.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let conn = self.pool.get().await?;
        let mut purged = 0;
        for sql in [
            "DELETE FROM access_tokens WHERE expires_at < now()",
            "DELETE FROM refresh_tokens WHERE expires_at < now()",
            // Used codes stay a day past expiry, so a late replay still
            // finds what it issued and revokes it.
            "DELETE FROM authorization_codes WHERE expires_at < now() - interval '1 day'",
            "DELETE FROM web_sessions WHERE expires_at < now()",
            "DELETE FROM sign_in_failures WHERE window_started_at < now() - interval '1 day'",
        ] {
            let stmt = conn.prepare_cached(sql).await?;
            purged += conn.execute(&stmt, &[]).await?;
        }
        Ok(purged)
    }
}
