//! The Postgres connection pool both servers use.

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
    let pg_config = tokio_postgres::Config::from_str(database_url)?;
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
