//! All of api-server's SQL: one file per table or aggregate, each statement
//! beside the function that runs it.

pub mod annotation;
pub mod config;
pub mod entry;
pub mod entry_batch;
pub mod search;
pub mod share;
pub mod tag;

use deadpool_postgres::Pool;

mod embedded {
    refinery::embed_migrations!("migrations");
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no database connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error(transparent)]
    Database(#[from] tokio_postgres::Error),
}

/// Applies the embedded migrations that the database has not seen yet, in
/// a history table of this server's own, one replica at a time.
pub async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    let runner = embedded::migrations::runner();
    shared::db::migrate(pool, runner, "api_schema_history", 0x6170_6900).await?;
    Ok(())
}
