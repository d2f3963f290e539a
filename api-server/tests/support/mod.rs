//! The test harness: auth-server and api-server in-process, each on its own
//! loopback port with its own fresh database on the Postgres named by
//! `TEST_DATABASE_URL`, talking real HTTP to each other.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use api_server::AppState;
use api_server::config::Config as ApiConfig;
use auth_server::config::Config as AuthConfig;
use auth_server::store::{ClientStore, NewClient, NewUser, UserStore};
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use deadpool_postgres::Pool;
use rand::Rng;
use serde_json::Value;
use shared::config::{LogFormat, Secret};
use tokio::net::TcpListener;
use url::Url;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    /// api-server's base URL.
    pub base: String,
    /// auth-server's base URL.
    pub auth_base: String,
    pub api_pool: Pool,
    pub auth_pool: Pool,
    pub http: reqwest::Client,
    /// The app client users log in with.
    pub client_id: String,
    pub client_secret: String,
    /// How many introspection calls auth-server has answered.
    pub introspections: Arc<AtomicUsize>,
}

/// Knobs for a test that needs something other than the defaults.
pub struct Options {
    pub token_cache_ttl: u32,
    /// Access token lifetime at auth-server, seconds.
    pub access_token_ttl: u32,
    /// Point api-server at this auth-server URL instead of the real one.
    pub auth_server_url: Option<String>,
    /// Let people sign up with `PUT /api/user`.
    pub registration_enabled: bool,
    /// Follow auth-server's revocation stream, as a served api-server does.
    pub follow_revocations: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            token_cache_ttl: 60,
            access_token_ttl: 3600,
            auth_server_url: None,
            registration_enabled: false,
            follow_revocations: true,
        }
    }
}

impl TestApp {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        shared::tls::install_crypto_provider();
        let (auth_base, auth_pool, introspections) =
            start_auth_server(options.access_token_ttl).await;

        let clients = ClientStore::new(auth_pool.clone());
        let (app, app_secret) = clients
            .create(&NewClient {
                name: "test app",
                grants: &["password".to_owned(), "refresh_token".to_owned()],
                redirect_uris: &[],
                can_introspect: false,
                can_register: false,
            })
            .await
            .unwrap();
        let (resource, resource_secret) = clients
            .create(&NewClient {
                name: "api-server",
                grants: &[],
                redirect_uris: &[],
                can_introspect: true,
                can_register: options.registration_enabled,
            })
            .await
            .unwrap();

        let database_url = fresh_database("api").await;
        // A test pointing api-server elsewhere has no stream to wait for.
        let real_auth_server = options.auth_server_url.is_none();
        let auth_server_url = options.auth_server_url.unwrap_or_else(|| auth_base.clone());
        let config = ApiConfig {
            database_url: Secret::new(database_url),
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            auth_server_url: Url::parse(&auth_server_url).unwrap(),
            introspection_client_id: resource.client_id,
            introspection_client_secret: Secret::new(resource_secret),
            token_cache_ttl: options.token_cache_ttl,
            inactive_token_cache_ttl: 1,
            introspection_timeout_ms: 2000,
            fetch_allow_private: true,
            registration_enabled: options.registration_enabled,
            log_format: LogFormat::Text,
            database_pool_size: 4,
        };
        let api_pool = api_server::connect(&config).unwrap();
        api_server::store::migrate(&api_pool).await.unwrap();
        let listener = TcpListener::bind(config.listen_addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new(config, api_pool.clone()).unwrap();
        if options.follow_revocations {
            let mut following = api_server::auth::revocation::spawn(
                state.auth_server.clone(),
                state.validator.clone(),
            );
            // Following before the first request, so the cache flush that
            // starts the stream cannot land in the middle of a test.
            if real_auth_server {
                let ready = following.wait_for(|following| *following);
                tokio::time::timeout(std::time::Duration::from_secs(10), ready)
                    .await
                    .expect("api-server follows the revocation stream within 10 s")
                    .unwrap();
            }
        }
        let app_router = api_server::app(state);
        tokio::spawn(async move { axum::serve(listener, app_router).await.unwrap() });

        Self {
            base: format!("http://{addr}"),
            auth_base,
            api_pool,
            auth_pool,
            http: reqwest::Client::new(),
            client_id: app.client_id,
            client_secret: app_secret,
            introspections,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates a user at auth-server and returns their id.
    pub async fn create_user(&self, username: &str) -> i64 {
        let hash = auth_server::password::hash_now(PASSWORD).unwrap();
        let email = format!("{username}@example.com");
        UserStore::new(self.auth_pool.clone())
            .create(&NewUser {
                username,
                email: &email,
                name: Some(&format!("{username} display")),
                password_hash: &hash,
            })
            .await
            .unwrap()
            .id
    }

    /// A password grant through auth-server; returns the token response.
    pub async fn login(&self, username: &str) -> Value {
        let response = self
            .http
            .post(format!("{}/oauth/v2/token", self.auth_base))
            .form(&[
                ("grant_type", "password"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
                ("username", username),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "log-in of {username}");
        response.json().await.unwrap()
    }

    /// Creates a user and returns a fresh access token for them.
    pub async fn user_token(&self, username: &str) -> String {
        self.create_user(username).await;
        self.login(username).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn introspection_count(&self) -> usize {
        self.introspections.load(Ordering::SeqCst)
    }

    /// Runs SQL on auth-server's database (to expire or revoke a token).
    pub async fn auth_sql(&self, statement: &str) {
        let conn = self.auth_pool.get().await.unwrap();
        conn.batch_execute(statement).await.unwrap();
    }
}

/// auth-server on a loopback port, counting the introspection calls it gets.
async fn start_auth_server(access_token_ttl: u32) -> (String, Pool, Arc<AtomicUsize>) {
    let config = AuthConfig {
        database_url: Secret::new(fresh_database("auth").await),
        listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        public_url: Url::parse("http://auth.test").unwrap(),
        access_token_ttl,
        database_pool_size: 4,
        password_hash_concurrency: 1,
        ..AuthConfig::with_database(Secret::new(String::new()))
    };
    let pool = auth_server::connect(&config).unwrap();
    auth_server::store::migrate(&pool).await.unwrap();

    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let router = auth_server::http::router(auth_server::http::AppState::new(config, pool.clone()))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let counter = counter.clone();
            async move {
                if request.uri().path() == "/oauth/v2/introspect" {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                let response: Response = next.run(request).await;
                response
            }
        }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    (format!("http://{addr}"), pool, count)
}

/// Creates an empty database for one test and returns its URL.
async fn fresh_database(prefix: &str) -> String {
    let admin_url = std::env::var("TEST_DATABASE_URL").expect(
        "TEST_DATABASE_URL is not set: run the tests with deploy/test.sh, which starts Postgres",
    );
    let name = format!("{prefix}_test_{:016x}", rand::thread_rng().r#gen::<u64>());
    let (client, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .expect("cannot connect to TEST_DATABASE_URL");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let mut url = Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    url.to_string()
}

/// A closed loopback port: connecting to it is refused at once.
pub async fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}
