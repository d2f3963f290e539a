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
    /// `AUTHORIZATION_CODE_TTL`, seconds an authorization code may wait to
    /// be exchanged.
    #[serde(default = "default_code_ttl")]
    pub authorization_code_ttl: u32,
    /// `SESSION_TTL`, seconds a web sign-in lasts.
    #[serde(default = "default_session_ttl")]
    pub session_ttl: u32,
    /// `COOKIE_SECURE`: mark cookies `Secure`. Defaults to whether
    /// `PUBLIC_URL` is https; plain http (a LAN install, the local demo)
    /// would otherwise never get its cookies back.
    #[serde(default)]
    pub cookie_secure: Option<bool>,
    /// `SIGN_IN_ACCOUNT_LIMIT`: failed sign-ins per account per window.
    #[serde(default = "default_account_limit")]
    pub sign_in_account_limit: u32,
    /// `SIGN_IN_ADDRESS_LIMIT`: failed sign-ins per client address per window.
    #[serde(default = "default_address_limit")]
    pub sign_in_address_limit: u32,
    /// `SIGN_IN_WINDOW`, seconds over which failures count.
    #[serde(default = "default_sign_in_window")]
    pub sign_in_window: u32,
    /// `TRUST_FORWARDED_FOR`: take the client address from the last
    /// `X-Forwarded-For` entry (set when a trusted gateway fronts the
    /// server); otherwise the peer address.
    #[serde(default)]
    pub trust_forwarded_for: bool,
}

impl Config {
    /// Reads and validates the configuration.
    pub fn load() -> anyhow::Result<Self> {
        let config: Self = shared::config::load()?;
        config.validate()?;
        Ok(config)
    }

    /// Every setting at its default, for the given database: what an
    /// embedding program (or a test) starts from.
    pub fn with_database(database_url: Secret) -> Self {
        Self {
            database_url,
            listen_addr: default_listen_addr(),
            public_url: default_public_url(),
            access_token_ttl: default_access_token_ttl(),
            refresh_token_ttl: default_refresh_token_ttl(),
            log_format: LogFormat::default(),
            database_pool_size: default_pool_size(),
            password_hash_concurrency: default_password_hash_concurrency(),
            purge_interval: default_purge_interval(),
            authorization_code_ttl: default_code_ttl(),
            session_ttl: default_session_ttl(),
            cookie_secure: None,
            sign_in_account_limit: default_account_limit(),
            sign_in_address_limit: default_address_limit(),
            sign_in_window: default_sign_in_window(),
            trust_forwarded_for: false,
        }
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
            (1..=600).contains(&self.authorization_code_ttl),
            "AUTHORIZATION_CODE_TTL must be between 1 and 600 seconds"
        );
        anyhow::ensure!(self.session_ttl > 0, "SESSION_TTL must be positive");
        anyhow::ensure!(
            self.sign_in_account_limit > 0 && self.sign_in_address_limit > 0,
            "SIGN_IN_ACCOUNT_LIMIT and SIGN_IN_ADDRESS_LIMIT must be positive"
        );
        anyhow::ensure!(self.sign_in_window > 0, "SIGN_IN_WINDOW must be positive");
        anyhow::ensure!(
            matches!(self.public_url.scheme(), "http" | "https"),
            "PUBLIC_URL must be an http or https URL"
        );
        Ok(())
    }

    /// Whether cookies carry the `Secure` attribute.
    pub fn secure_cookies(&self) -> bool {
        self.cookie_secure
            .unwrap_or(self.public_url.scheme() == "https")
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

fn default_code_ttl() -> u32 {
    60
}

fn default_session_ttl() -> u32 {
    12 * 3600
}

fn default_account_limit() -> u32 {
    5
}

fn default_address_limit() -> u32 {
    20
}

fn default_sign_in_window() -> u32 {
    900
}
