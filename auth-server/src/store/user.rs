//! The `users` table.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use serde::Serialize;
use tokio_postgres::Row;

use super::client::insert_client;
use super::{Client, NewClient, StoreError, conflict};

#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub name: Option<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub password_hash: &'a str,
}

/// What a password log-in needs to decide.
pub struct LoginRecord {
    pub id: i64,
    pub password_hash: String,
    pub disabled: bool,
}

/// Which of a new account's unique fields are already taken.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Taken {
    pub username: bool,
    pub email: bool,
}

#[derive(Clone)]
pub struct UserStore {
    pool: Pool,
}

const USER_COLUMNS: &str =
    "id, username, email, name, disabled_at IS NOT NULL AS disabled, created_at, updated_at";

impl UserStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    pub async fn create(&self, user: &NewUser<'_>) -> Result<User, StoreError> {
        let sql = format!(
            "INSERT INTO users (username, email, name, password_hash) \
             VALUES ($1, $2, $3, $4) RETURNING {USER_COLUMNS}"
        );
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(&sql).await?;
        let row = conn
            .query_one(
                &stmt,
                &[&user.username, &user.email, &user.name, &user.password_hash],
            )
            .await
            .map_err(
                |e| match conflict(e, "users_username_key", "username already taken") {
                    StoreError::Database(e) => {
                        conflict(e, "users_email_key", "e-mail address already taken")
                    }
                    other => other,
                },
            )?;
        Ok(user_from_row(&row))
    }

    /// Creates a user and a client of their own in one transaction, for
    /// self-registration. `Err(Ok(taken))` when the username or e-mail is
    /// already used (both are reported, as wallabag does).
    pub async fn register(
        &self,
        user: &NewUser<'_>,
        client: &NewClient<'_>,
    ) -> Result<Result<(User, Client, String), Taken>, StoreError> {
        let mut conn = self.pool.get().await?;
        let tx = conn.transaction().await?;
        let taken = tx
            .query_one(
                "SELECT coalesce(bool_or(lower(username) = lower($1)), false), \
                        coalesce(bool_or(lower(email) = lower($2)), false) \
                 FROM users WHERE lower(username) = lower($1) OR lower(email) = lower($2)",
                &[&user.username, &user.email],
            )
            .await?;
        let taken = Taken {
            username: taken.get(0),
            email: taken.get(1),
        };
        if taken != Taken::default() {
            return Ok(Err(taken));
        }

        let sql = format!(
            "INSERT INTO users (username, email, name, password_hash) \
             VALUES ($1, $2, $3, $4) RETURNING {USER_COLUMNS}"
        );
        let row = tx
            .query_one(
                &sql,
                &[&user.username, &user.email, &user.name, &user.password_hash],
            )
            .await;
        // A concurrent registration of the same name won the race.
        let row = match row {
            Ok(row) => row,
            Err(err) => {
                return match conflict(err, "users_username_key", "username") {
                    StoreError::Conflict(_) => Ok(Err(Taken {
                        username: true,
                        email: false,
                    })),
                    StoreError::Database(err) => match conflict(err, "users_email_key", "email") {
                        StoreError::Conflict(_) => Ok(Err(Taken {
                            username: false,
                            email: true,
                        })),
                        other => Err(other),
                    },
                    other => Err(other),
                };
            }
        };
        let created = user_from_row(&row);
        let (client, secret) = insert_client(&tx, client, Some(created.id), true).await?;
        tx.commit().await?;
        Ok(Ok((created, client, secret.unwrap_or_default())))
    }

    /// Finds the account a log-in names. A value shaped like an e-mail
    /// address is looked up by e-mail only, anything else by username, both
    /// case-insensitively (wallabag-api.md §3.2).
    pub async fn find_for_login(&self, login: &str) -> Result<Option<LoginRecord>, StoreError> {
        let sql = if looks_like_email(login) {
            "SELECT id, password_hash, disabled_at IS NOT NULL \
             FROM users WHERE lower(email) = lower($1)"
        } else {
            "SELECT id, password_hash, disabled_at IS NOT NULL \
             FROM users WHERE lower(username) = lower($1)"
        };
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(sql).await?;
        let row = conn.query_opt(&stmt, &[&login]).await?;
        Ok(row.map(|row| LoginRecord {
            id: row.get(0),
            password_hash: row.get(1),
            disabled: row.get(2),
        }))
    }

    pub async fn list(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(&sql).await?;
        let rows = conn.query(&stmt, &[]).await?;
        Ok(rows.iter().map(user_from_row).collect())
    }

    /// Disables an account and revokes every token it holds, in one
    /// transaction. Returns false when no such user exists.
    pub async fn disable(&self, username: &str) -> Result<bool, StoreError> {
        let mut conn = self.pool.get().await?;
        let tx = conn.transaction().await?;
        let id: Option<i64> = tx
            .query_opt(
                "UPDATE users SET disabled_at = coalesce(disabled_at, now()), updated_at = now() \
                 WHERE lower(username) = lower($1) RETURNING id",
                &[&username],
            )
            .await?
            .map(|row| row.get(0));
        let Some(id) = id else {
            return Ok(false);
        };
        tx.execute(
            "UPDATE access_tokens SET revoked_at = now() \
             WHERE user_id = $1 AND revoked_at IS NULL",
            &[&id],
        )
        .await?;
        tx.execute(
            "UPDATE refresh_tokens SET revoked_at = now() \
             WHERE user_id = $1 AND revoked_at IS NULL",
            &[&id],
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// `x@y.z`: something, an at sign, and a domain with a dot.
pub fn looks_like_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        }
        None => false,
    }
}

fn user_from_row(row: &Row) -> User {
    User {
        id: row.get("id"),
        username: row.get("username"),
        email: row.get("email"),
        name: row.get("name"),
        disabled: row.get("disabled"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_email;

    #[test]
    fn email_shape_decides_the_lookup_column() {
        assert!(looks_like_email("alice@example.com"));
        assert!(!looks_like_email("alice"));
        assert!(!looks_like_email("alice@localhost"));
        assert!(!looks_like_email("@example.com"));
    }
}
