//! api-server's configuration, read once from the environment (and the
//! optional `CONFIG_FILE`) and validated before any socket is bound.

use std::net::SocketAddr;

use serde::Deserialize;
use shared::config::{LogFormat, Secret};
use url::Url;

#[derive(Clone, Debug, Deserialize)]
pub struct Config {
    /// `DATABASE_URL`: the api database. Required.
    pub database_url: Secret,
    /// `LISTEN_ADDR`
    #[serde(default = "default_listen_addr")]
    pub listen_addr: SocketAddr,
    /// `AUTH_SERVER_URL`: where introspection is asked.
    #[serde(default = "default_auth_server_url")]
    pub auth_server_url: Url,
    /// `INTROSPECTION_CLIENT_ID`: this server's client at auth-server.
    /// Required to serve; `migrate` runs without it.
    #[serde(default)]
    pub introspection_client_id: String,
    /// `INTROSPECTION_CLIENT_SECRET`
    #[serde(default)]
    pub introspection_client_secret: Secret,
    /// `TOKEN_CACHE_TTL`: ceiling, in seconds, for a cached active answer.
    #[serde(default = "default_token_cache_ttl")]
    pub token_cache_ttl: u32,
    /// `INACTIVE_TOKEN_CACHE_TTL`: seconds an inactive answer is cached.
    #[serde(default = "default_inactive_token_cache_ttl")]
    pub inactive_token_cache_ttl: u32,
    /// `INTROSPECTION_TIMEOUT_MS`: how long to wait for auth-server.
    #[serde(default = "default_introspection_timeout_ms")]
    pub introspection_timeout_ms: u64,
    /// `FETCH_ALLOW_PRIVATE`: allow fetching articles from private or
    /// loopback addresses.
    #[serde(default)]
    pub fetch_allow_private: bool,
    /// `REGISTRATION_ENABLED`: let people sign up with `PUT /api/user`.
    /// This server's client at auth-server then needs `--register` too.
    #[serde(default)]
    pub registration_enabled: bool,
    /// `LOG_FORMAT`
    #[serde(default)]
    pub log_format: LogFormat,
    /// `DATABASE_POOL_SIZE`
    #[serde(default = "default_pool_size")]
    pub database_pool_size: usize,
}

impl Config {
    pub fn load() -> anyhow::Result<Self> {
        let config: Self = shared::config::load()?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            matches!(self.auth_server_url.scheme(), "http" | "https"),
            "AUTH_SERVER_URL must be an http or https URL"
        );
        anyhow::ensure!(self.token_cache_ttl > 0, "TOKEN_CACHE_TTL must be positive");
        anyhow::ensure!(
            self.database_pool_size > 0,
            "DATABASE_POOL_SIZE must be positive"
        );
        Ok(())
    }
}

impl Config {
    /// What serving needs beyond what every command needs.
    pub fn validate_for_serving(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.introspection_client_id.is_empty()
                && !self.introspection_client_secret.expose().is_empty(),
            "INTROSPECTION_CLIENT_ID and INTROSPECTION_CLIENT_SECRET must be set: \
             register api-server at auth-server with `auth-server client create \
             --name api-server --introspect`"
        );
        Ok(())
    }
}

fn default_listen_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8082))
}

fn default_auth_server_url() -> Url {
    Url::parse("http://127.0.0.1:8081").expect("a valid literal URL")
}

fn default_token_cache_ttl() -> u32 {
    60
}

fn default_inactive_token_cache_ttl() -> u32 {
    5
}

fn default_introspection_timeout_ms() -> u64 {
    3000
}

fn default_pool_size() -> usize {
    8
}
