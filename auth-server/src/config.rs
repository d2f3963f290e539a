//! auth-server's configuration, read once from the environment (and the
//! optional `CONFIG_FILE`) and validated before any socket is bound.

use std::net::SocketAddr;

use serde::Deserialize;
use shared::config::{LogFormat, Secret};
use url::Url;

#[derive(Clone, Debug, Deserialize)]
pub struct Config {
    /// `DATABASE_URL`: the auth database. Required.
    pub database_url: Secret,
    /// `LISTEN_ADDR`
    #[serde(default = "default_listen_addr")]
    pub listen_addr: SocketAddr,
    /// `PUBLIC_URL`: the issuer URL published in the metadata document.
    #[serde(default = "default_public_url")]
    pub public_url: Url,
    /// `ACCESS_TOKEN_TTL`, seconds.
    #[serde(default = "default_access_token_ttl")]
    pub access_token_ttl: u32,
    /// `REFRESH_TOKEN_TTL`, seconds.
    #[serde(default = "default_refresh_token_ttl")]
    pub refresh_token_ttl: u32,
    /// `LOG_FORMAT`
    #[serde(default)]
    pub log_format: LogFormat,
    /// `DATABASE_POOL_SIZE`
    #[serde(default = "default_pool_size")]
    pub database_pool_size: usize,
    /// `PASSWORD_HASH_CONCURRENCY`: Argon2 computations at once.
    #[serde(default = "default_password_hash_concurrency")]
    pub password_hash_concurrency: usize,
    /// `PURGE_INTERVAL`, seconds between sweeps of expired tokens and codes.
    #[serde(default = "default_purge_interval")]
    pub purge_interval: u32,
}

impl Config {
    /// Reads and validates the configuration.
    pub fn load() -> anyhow::Result<Self> {
        let config: Self = shared::config::load()?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.access_token_ttl > 0,
            "ACCESS_TOKEN_TTL must be positive"
        );
        anyhow::ensure!(
            self.refresh_token_ttl > 0,
            "REFRESH_TOKEN_TTL must be positive"
        );
        anyhow::ensure!(
            self.database_pool_size > 0,
            "DATABASE_POOL_SIZE must be positive"
        );
        anyhow::ensure!(
            self.password_hash_concurrency > 0,
            "PASSWORD_HASH_CONCURRENCY must be positive"
        );
        anyhow::ensure!(self.purge_interval > 0, "PURGE_INTERVAL must be positive");
        anyhow::ensure!(
            matches!(self.public_url.scheme(), "http" | "https"),
            "PUBLIC_URL must be an http or https URL"
        );
        Ok(())
    }

    /// The issuer identifier: `PUBLIC_URL` without a trailing slash.
    pub fn issuer(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }
}

fn default_listen_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8081))
}

fn default_public_url() -> Url {
    Url::parse("http://127.0.0.1:8081").expect("a valid literal URL")
}

fn default_access_token_ttl() -> u32 {
    3600
}

fn default_refresh_token_ttl() -> u32 {
    1_209_600
}

fn default_pool_size() -> usize {
    8
}

/// One fewer than the cores, at least one: a burst of log-ins leaves a core
/// for token checks.
fn default_password_hash_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

fn default_purge_interval() -> u32 {
    300
}
