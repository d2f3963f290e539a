//! All of auth-server's SQL: one file per table or aggregate, each statement
//! beside the function that runs it.

pub mod client;
pub mod token;
pub mod user;

use deadpool_postgres::Pool;

pub use client::{Client, ClientStore, NewClient};
pub use token::TokenStore;
pub use user::{NewUser, User, UserStore};

mod embedded {
    refinery::embed_migrations!("migrations");
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no database connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error(transparent)]
    Database(#[from] tokio_postgres::Error),
    /// A unique constraint refused the write; the message names what clashed.
    #[error("{0}")]
    Conflict(&'static str),
}

/// The advisory lock key serialising this server's migrations.
const MIGRATION_LOCK: i64 = 0x6175_7468;

/// Applies the embedded migrations that the database has not seen yet.
pub async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    // Replicas starting together (or a migration job beside new pods) take
    // turns: the lock is held on this connection until it is released.
    conn.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let client: &mut tokio_postgres::Client = &mut conn;
    // A table of its own, so that both servers may share one database.
    let report = embedded::migrations::runner()
        .set_migration_table_name("auth_schema_history")
        .run_async(client)
        .await;
    conn.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    let report = report?;
    for migration in report.applied_migrations() {
        tracing::info!(migration = %migration, "applied migration");
    }
    Ok(())
}

/// Maps a unique violation on `constraint` to a typed conflict.
fn conflict(err: tokio_postgres::Error, constraint: &str, message: &'static str) -> StoreError {
    let clashed = err
        .as_db_error()
        .and_then(|db| db.constraint())
        .is_some_and(|c| c == constraint);
    if clashed {
        StoreError::Conflict(message)
    } else {
        StoreError::Database(err)
    }
}
