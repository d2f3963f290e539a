//! api-server: the wallabag v2 REST API over entries, tags and annotations.
//!
//! It owns no users and no tokens: a bearer token is trusted only after
//! auth-server's introspection endpoint vouches for it, and that answer is
//! cached (see `auth`). `main.rs` only reads configuration and dispatches.

pub mod auth;
pub mod config;
pub mod fetch;
pub mod http;
pub mod ops;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use deadpool_postgres::Pool;
use shared::metrics::PrometheusHandle;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use url::Url;

use crate::auth::TokenValidator;
use crate::auth::introspection::AuthServerClient;
use crate::config::Config;
use crate::fetch::{FetchConfig, Fetcher};

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: Pool,
    pub validator: TokenValidator,
    pub auth_server: AuthServerClient,
    pub fetcher: Fetcher,
    pub metrics: PrometheusHandle,
    probe: reqwest::Client,
}

impl AppState {
    pub fn new(config: Config, pool: Pool) -> anyhow::Result<Self> {
        shared::tls::install_crypto_provider();
        // Before anything registers a metric, or it would go nowhere.
        let metrics = shared::metrics::recorder();
        let timeout = Duration::from_millis(config.introspection_timeout_ms);
        let auth_server = AuthServerClient::new(
            &config.auth_server_url,
            config.introspection_client_id.clone(),
            config.introspection_client_secret.clone(),
            timeout,
        )?;
        let validator = TokenValidator::new(
            auth_server.clone(),
            Duration::from_secs(config.token_cache_ttl.into()),
            Duration::from_secs(config.inactive_token_cache_ttl.into()),
        );
        let fetcher = Fetcher::new(FetchConfig {
            allow_private: config.fetch_allow_private,
            ..FetchConfig::default()
        })?;
        Ok(Self {
            auth_server,
            fetcher,
            probe: reqwest::Client::builder().timeout(timeout).build()?,
            metrics,
            config: Arc::new(config),
            pool,
            validator,
        })
    }

    /// Whether auth-server answers its liveness probe.
    pub async fn auth_server_reachable(&self) -> bool {
        let Ok(url) = self.config.auth_server_url.join("/healthz") else {
            return false;
        };
        self.probe
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// The public base URL of a request, for absolute links.
    pub fn base_url(&self, headers: &axum::http::HeaderMap) -> Option<Url> {
        let host = headers
            .get("x-forwarded-host")
            .or_else(|| headers.get(axum::http::header::HOST))?
            .to_str()
            .ok()?;
        let scheme = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("http");
        Url::parse(&format!("{scheme}://{host}")).ok()
    }
}

/// The application as served: format suffixes are stripped before routing.
pub fn app(state: AppState) -> Router {
    let routes = http::router(state);
    Router::new().fallback_service(
        ServiceBuilder::new()
            .map_request(http::normalise_path)
            .service(routes),
    )
}

/// Opens the pool described by the configuration.
pub fn connect(config: &Config) -> anyhow::Result<Pool> {
    Ok(shared::db::pool(
        config.database_url.expose(),
        config.database_pool_size,
    )?)
}

/// Migrates, then serves until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    config.validate_for_serving()?;
    let pool = connect(&config)?;
    store::migrate(&pool).await?;

    let listener = TcpListener::bind(config.listen_addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let state = AppState::new(config, pool.clone())?;
    auth::revocation::spawn(state.auth_server.clone(), state.validator.clone());
    shared::http::serve(listener, app(state)).await?;
    pool.close();
    Ok(())
}
