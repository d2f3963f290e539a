//! All of api-server's SQL: one file per table or aggregate, each statement
//! beside the function that runs it.

pub mod config;
pub mod entry;
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

/// Applies the embedded migrations that the database has not seen yet.
pub async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let client: &mut tokio_postgres::Client = &mut conn;
    // A table of its own, so that both servers may share one database.
    let report = embedded::migrations::runner()
        .set_migration_table_name("api_schema_history")
        .run_async(client)
        .await?;
    for migration in report.applied_migrations() {
        tracing::info!(migration = %migration, "applied migration");
    }
    Ok(())
}
