//! All of auth-server's SQL: one file per table or aggregate, each statement
//! beside the function that runs it.

pub mod client;
pub mod code;
pub mod revocation;
pub mod session;
pub mod token;
pub mod user;

use deadpool_postgres::Pool;

pub use client::{Client, ClientStore, NewClient};
pub use code::CodeStore;
pub use session::SessionStore;
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

/// Applies the embedded migrations that the database has not seen yet, in
/// a history table of this server's own, one replica at a time.
pub async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    let runner = embedded::migrations::runner();
    shared::db::migrate(pool, runner, "auth_schema_history", 0x6175_7468).await?;
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
