//! auth-server's HTTP surface: one file per endpoint, this file wires them.

mod authorize;
mod error;
mod health;
mod introspect;
mod metadata;
mod params;
mod registration;
mod revocations;
mod revoke;
mod token;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderName, Method, header};
use axum::routing::{get, post};
use deadpool_postgres::Pool;
use shared::metrics::PrometheusHandle;
use tower_http::cors::{Any, CorsLayer};

use crate::config::Config;
use crate::oauth::{PgAuthorizer, PgIssuer, PgRegistrar};
use crate::password::PasswordHasher;
use crate::store::revocation::RevocationHub;
use crate::store::{ClientStore, CodeStore, SessionStore, StoreError, TokenStore, UserStore};

pub use error::OAuthError;
pub use token::TokenResponse;

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub metrics: PrometheusHandle,
    pub pool: Pool,
    pub users: UserStore,
    pub tokens: TokenStore,
    pub clients: ClientStore,
    pub codes: CodeStore,
    pub sessions: SessionStore,
    pub registrar: PgRegistrar,
    pub hasher: PasswordHasher,
    pub revocations: RevocationHub,
}

/// What a username and password amount to.
pub enum Credentials {
    Valid(i64),
    Invalid,
    /// Right password, disabled account: said only to someone who knows
    /// the password.
    Disabled,
    /// Too many recent failures for the account or the address; the
    /// password was not checked.
    Throttled,
}

impl AppState {
    pub fn new(config: Config, pool: Pool) -> Self {
        Self {
            metrics: shared::metrics::recorder(),
            hasher: PasswordHasher::new(config.password_hash_concurrency),
            users: UserStore::new(pool.clone()),
            tokens: TokenStore::new(pool.clone()),
            clients: ClientStore::new(pool.clone()),
            codes: CodeStore::new(pool.clone()),
            sessions: SessionStore::new(pool.clone()),
            registrar: PgRegistrar::new(ClientStore::new(pool.clone())),
            revocations: RevocationHub::new(config.database_url.clone()),
            config: Arc::new(config),
            pool,
        }
    }

    /// A fresh issuer for one request.
    fn issuer(&self) -> PgIssuer {
        PgIssuer::new(
            self.tokens.clone(),
            self.config.access_token_ttl,
            self.config.refresh_token_ttl,
            self.config.public_url.clone(),
        )
    }

    /// A fresh authorizer (authorization codes) for one request.
    fn authorizer(&self) -> PgAuthorizer {
        PgAuthorizer::new(
            self.codes.clone(),
            self.tokens.clone(),
            self.config.authorization_code_ttl,
        )
    }

    /// Checks a sign-in (username or e-mail, and password) for the password
    /// grant and the sign-in page alike, under one throttle: failures count
    /// per account and per client address in a table every replica shares,
    /// and past either limit the attempt is refused before any hashing, so
    /// a guesser learns nothing and costs nothing. An unknown user is
    /// verified against a dummy hash, so timing does not reveal which
    /// accounts exist.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        address: &str,
    ) -> Result<Credentials, StoreError> {
        let account = self.users.find_for_login(login).await?;
        // One count per account however it is spelt (username or e-mail,
        // any case), so alternating spellings buys a guesser nothing; an
        // unknown login counts under its own spelling.
        let account_key = match &account {
            Some(a) => format!("account:#{}", a.id),
            None => format!("account:{}", login.to_lowercase()),
        };
        let address_key = format!("address:{address}");
        let window = self.config.sign_in_window;
        let failures = self
            .sessions
            .failures(&account_key, &address_key, window)
            .await?;
        if failures.account >= self.config.sign_in_account_limit
            || failures.address >= self.config.sign_in_address_limit
        {
            tracing::warn!(
                account_failures = failures.account,
                address_failures = failures.address,
                "sign-in throttled"
            );
            return Ok(Credentials::Throttled);
        }

        let (user_id, stored_hash, disabled) = match account {
            Some(a) => (Some(a.id), Some(a.password_hash), a.disabled),
            None => (None, None, false),
        };
        let verified = self.hasher.verify(password.to_owned(), stored_hash).await;
        let credentials = match user_id {
            Some(_) if verified && disabled => Credentials::Disabled,
            Some(id) if verified => Credentials::Valid(id),
            _ => Credentials::Invalid,
        };

        match credentials {
            Credentials::Invalid => {
                self.sessions
                    .record_failure(&account_key, &address_key, window)
                    .await?;
            }
            Credentials::Valid(_) => self.sessions.clear_failures(&account_key).await?,
            Credentials::Disabled | Credentials::Throttled => {}
        }
        Ok(credentials)
    }

    /// The address a request came from: the last `X-Forwarded-For` entry
    /// when a trusted gateway fronts this server (the entry that gateway
    /// appended; earlier ones are the client's to forge), else the TCP peer.
    pub fn client_address(&self, parts: &Parts) -> String {
        if self.config.trust_forwarded_for
            && let Some(forwarded) = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|v| !v.is_empty())
        {
            return forwarded.to_owned();
        }
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string())
    }

    fn token_response(&self, access_token: String, refresh_token: Option<String>) -> TokenResponse {
        TokenResponse {
            access_token,
            expires_in: self.config.access_token_ttl,
            token_type: "bearer",
            scope: None,
            refresh_token,
        }
    }
}

/// The client a request authenticates as (HTTP Basic or body
/// parameters), or 401: for endpoints where a failed client
/// authentication means a challenge (RFC 7009, the internal API).
async fn authenticated_client(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    params: &params::OAuthParams,
) -> Result<crate::store::Client, OAuthError> {
    let credentials = params::ClientCredentials::from_request(headers, params)
        .ok_or(OAuthError::Unauthenticated)?;
    state
        .registrar
        .authenticate(&credentials.client_id, credentials.secret.as_deref())
        .await?
        .ok_or(OAuthError::Unauthenticated)
}

/// The whole application, ready to serve.
pub fn router(state: AppState) -> Router {
    let oauth = Router::new()
        .route(
            "/oauth/v2/token",
            get(token::issue_token).post(token::issue_token),
        )
        .route("/oauth/v2/introspect", post(introspect::introspect_token))
        .route(
            "/oauth/v2/auth",
            get(authorize::show_consent).post(authorize::answer_consent),
        )
        .route("/oauth/v2/revoke", post(revoke::revoke_token))
        .route(
            "/oauth/v2/revocations",
            get(revocations::stream_revocations),
        )
        .layer(oauth_cors());

    let app = Router::new()
        .merge(oauth)
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::show_metadata),
        )
        .route("/internal/users", post(registration::register_user))
        .route("/healthz", get(health::show_health))
        .route("/readyz", get(health::show_readiness))
        .route("/metrics", get(health::show_metrics))
        .merge(crate::web::router())
        .with_state(state);
    shared::http::instrument(app)
}

/// CORS as wallabag configures it for `/oauth/*` (wallabag-api.md §1.7), so
/// browser extensions can fetch tokens.
fn oauth_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_headers([
            header::AUTHORIZATION,
            HeaderName::from_static("content-type"),
        ])
        .allow_methods([Method::POST, Method::PUT, Method::GET, Method::DELETE])
        .max_age(Duration::from_secs(3600))
}
