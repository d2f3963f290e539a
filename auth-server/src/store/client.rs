//! The `clients` table: registered API clients and their grants.

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use rand::Rng;
use rand::distributions::Alphanumeric;
use serde::Serialize;
use tokio_postgres::Row;

use super::StoreError;
use crate::oauth::opaque;

#[derive(Clone, Debug, Serialize)]
pub struct Client {
    pub client_id: String,
    #[serde(skip)]
    pub secret_hash: Option<Vec<u8>>,
    pub name: String,
    pub grants: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub can_introspect: bool,
    /// A resource server allowed to register users (`/internal/users`).
    pub can_register: bool,
    pub created_at: DateTime<Utc>,
}

impl Client {
    /// Whether the presented secret is this client's. A public client (no
    /// secret) authenticates by id alone; a confidential one must present its
    /// secret, compared in constant time.
    pub fn verify_secret(&self, presented: Option<&str>) -> bool {
        match (&self.secret_hash, presented) {
            (None, None) => true,
            (Some(stored), Some(presented)) => opaque::matches(stored, presented),
            _ => false,
        }
    }

    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grants.iter().any(|g| g == grant)
    }

    /// A client without a secret, such as a mobile or browser app.
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }

    /// The row number at the front of the public id ("<number>_<random>"),
    /// which the developer page shows as "#<number>".
    pub fn number(&self) -> &str {
        self.client_id
            .split_once('_')
            .map_or(self.client_id.as_str(), |(number, _)| number)
    }
}

pub struct NewClient<'a> {
    pub name: &'a str,
    pub grants: &'a [String],
    pub redirect_uris: &'a [String],
    pub can_introspect: bool,
    pub can_register: bool,
}

#[derive(Clone)]
pub struct ClientStore {
    pool: Pool,
}

const CLIENT_COLUMNS: &str = "client_id, secret_hash, name, grants, redirect_uris, can_introspect, \
                              can_register, created_at";

impl ClientStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Registers a confidential client. Returns it with its secret, which is
    /// stored only as a digest: this is the one time anyone sees it.
    pub async fn create(&self, client: &NewClient<'_>) -> Result<(Client, String), StoreError> {
        let conn = self.pool.get().await?;
        let (client, secret) = insert_client(&conn, client, None, true).await?;
        Ok((client, secret.unwrap_or_default()))
    }

    /// Registers a client, owned by a user (the developer page) or not (the
    /// admin CLI): public (no secret) or confidential, in which case the
    /// secret is returned this one time.
    pub async fn create_owned(
        &self,
        client: &NewClient<'_>,
        owner_id: Option<i64>,
        public: bool,
    ) -> Result<(Client, Option<String>), StoreError> {
        let conn = self.pool.get().await?;
        insert_client(&conn, client, owner_id, !public).await
    }

    /// A user's own clients, oldest first.
    pub async fn list_owned(&self, owner_id: i64) -> Result<Vec<Client>, StoreError> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE owner_id = $1 ORDER BY id");
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(&sql).await?;
        let rows = conn.query(&stmt, &[&owner_id]).await?;
        Ok(rows.iter().map(client_from_row).collect())
    }

    /// Deletes a client by its row number, only if `owner_id` owns it; its
    /// tokens and codes go with it. False when there is no such client of
    /// that user.
    pub async fn delete_owned(&self, owner_id: i64, number: i64) -> Result<bool, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached("DELETE FROM clients WHERE id = $1 AND owner_id = $2")
            .await?;
        Ok(conn.execute(&stmt, &[&number, &owner_id]).await? == 1)
    }

    pub async fn find(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE client_id = $1");
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(&sql).await?;
        let row = conn.query_opt(&stmt, &[&client_id]).await?;
        Ok(row.as_ref().map(client_from_row))
    }

    pub async fn list(&self) -> Result<Vec<Client>, StoreError> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients ORDER BY id");
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(&sql).await?;
        let rows = conn.query(&stmt, &[]).await?;
        Ok(rows.iter().map(client_from_row).collect())
    }

    /// Deletes a client; its tokens and codes go with it (foreign keys
    /// cascade). Returns false when no such client exists.
    pub async fn delete(&self, client_id: &str) -> Result<bool, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached("DELETE FROM clients WHERE client_id = $1")
            .await?;
        Ok(conn.execute(&stmt, &[&client_id]).await? == 1)
    }
}

/// Inserts a client, on a connection or inside a caller's transaction;
/// `owner_id` is the user it belongs to, if any. A confidential client gets
/// a secret, returned here and stored only as a digest.
pub(super) async fn insert_client(
    conn: &impl GenericClient,
    client: &NewClient<'_>,
    owner_id: Option<i64>,
    confidential: bool,
) -> Result<(Client, Option<String>), StoreError> {
    // wallabag's public ids read "<row id>_<random>"; clients treat them as
    // opaque, but people recognise the shape.
    let random: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(|c| char::from(c).to_ascii_lowercase())
        .collect();
    let secret = confidential.then(opaque::generate);
    let sql = format!(
        "WITH next AS (SELECT nextval('clients_id_seq') AS id) \
         INSERT INTO clients (id, client_id, secret_hash, name, grants, redirect_uris, \
                              can_introspect, can_register, owner_id) \
         SELECT id, id || '_' || $1, $2, $3, $4, $5, $6, $7, $8 FROM next \
         RETURNING {CLIENT_COLUMNS}"
    );
    let stmt = conn.prepare_cached(&sql).await?;
    let row = conn
        .query_one(
            &stmt,
            &[
                &random,
                &secret.as_deref().map(opaque::digest),
                &client.name,
                &client.grants,
                &client.redirect_uris,
                &client.can_introspect,
                &client.can_register,
                &owner_id,
            ],
        )
        .await?;
    Ok((client_from_row(&row), secret))
}

fn client_from_row(row: &Row) -> Client {
    Client {
        client_id: row.get("client_id"),
        secret_hash: row.get("secret_hash"),
        name: row.get("name"),
        grants: row.get("grants"),
        redirect_uris: row.get("redirect_uris"),
        can_introspect: row.get("can_introspect"),
        can_register: row.get("can_register"),
        created_at: row.get("created_at"),
    }
}
