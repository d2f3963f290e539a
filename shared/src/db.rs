//! The Postgres connection pool both servers use, and how each applies its
//! embedded migrations.

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

pub use deadpool_postgres::Pool as PgPool;

/// Builds a pool from a `postgres://` URL. No connection is opened until the
/// first query, so this only fails on a malformed URL.
///
/// Keep `max_size` small: on a 2-core machine 4–16 connections serve the most
/// queries per second, and more only lengthen the tail.
pub fn pool(database_url: &str, max_size: usize) -> Result<Pool, tokio_postgres::Error> {
    let mut pg_config = tokio_postgres::Config::from_str(database_url)?;
    // Every query here is short and indexed. PostgreSQL's JIT kicks in on
    // estimated cost, not on real cost, and spent half a second compiling
    // for a list query that runs in milliseconds.
    pg_config.options("-c jit=off");
    let manager = Manager::from_config(
        pg_config,
        NoTls,
        ManagerConfig {
            // A cheap check that catches connections the server closed.
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Ok(Pool::builder(manager)
        .max_size(max_size)
        .build()
        .expect("a pool without runtime-specific hooks always builds"))
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("no database connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error(transparent)]
    Database(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Migration(#[from] refinery::Error),
}

/// Applies the migrations of `runner` that the database has not seen yet,
/// recording them in `history_table`, so that two servers with their own
/// histories can share one database.
///
/// Replicas starting together (or a migration job beside new pods) take
/// turns through the advisory lock `lock_key`, held on one connection until
/// it is released.
pub async fn migrate(
    pool: &Pool,
    mut runner: refinery::Runner,
    history_table: &str,
    lock_key: i64,
) -> Result<(), MigrationError> {
    let mut conn = pool.get().await?;
    conn.execute("SELECT pg_advisory_lock($1)", &[&lock_key])
        .await?;
    let client: &mut tokio_postgres::Client = &mut conn;
    let report = runner
        .set_migration_table_name(history_table)
        .run_async(client)
        .await;
    conn.execute("SELECT pg_advisory_unlock($1)", &[&lock_key])
        .await?;
    for migration in report?.applied_migrations() {
        tracing::info!(migration = %migration, "applied migration");
    }
    Ok(())
}
