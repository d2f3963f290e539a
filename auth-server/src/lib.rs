//! auth-server: the OAuth2 authorization server. It owns users, API clients
//! and every token; it issues, rotates, revokes and introspects them.
//!
//! `main.rs` only reads configuration and dispatches; this crate holds the
//! server (`run`), the admin commands (`cli`) and everything they share.

pub mod cli;
pub mod config;
pub mod http;
pub mod oauth;
pub mod password;
pub mod store;
pub mod web;

use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::store::TokenStore;

/// Opens the pool described by the configuration.
pub fn connect(config: &Config) -> anyhow::Result<Pool> {
    Ok(shared::db::pool(
        config.database_url.expose(),
        config.database_pool_size,
    )?)
}

/// Migrates, then serves until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let pool = connect(&config)?;
    store::migrate(&pool).await?;
    spawn_purger(TokenStore::new(pool.clone()), config.purge_interval);

    let listener = TcpListener::bind(config.listen_addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let state = http::AppState::new(config, pool.clone());
    let revocations = state.revocations.clone();
    let app = http::router(state);
    shared::http::serve_until(listener, app, async move {
        shared::http::shutdown_signal().await;
        // The revocation streams never end by themselves.
        revocations.close();
    })
    .await?;
    pool.close();
    Ok(())
}

/// Deletes expired tokens and codes on a timer, so no request ever pays for
/// the sweep.
pub fn spawn_purger(tokens: TokenStore, interval_secs: u32) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(interval_secs.into()));
        loop {
            ticker.tick().await;
            match tokens.purge_expired().await {
                Ok(0) => {}
                Ok(purged) => tracing::debug!(purged, "purged expired tokens"),
                Err(err) => tracing::warn!(cause = %err, "cannot purge expired tokens"),
            }
        }
    });
}
