//! The test harness: a fresh, migrated database per test on the Postgres
//! named by `TEST_DATABASE_URL`, and the real app bound to a loopback port.

use std::net::SocketAddr;

use auth_server::config::Config;
use auth_server::http::{AppState, router};
use auth_server::password;
use auth_server::store::{self, ClientStore, NewClient, NewUser, UserStore};
use deadpool_postgres::Pool;
use rand::Rng;
use shared::config::{LogFormat, Secret};
use tokio::net::TcpListener;
use url::Url;

pub struct TestServer {
    pub base: String,
    pub pool: Pool,
    pub database_url: String,
    pub http: reqwest::Client,
}

/// A registered client and its secret.
pub struct TestClient {
    pub id: String,
    pub secret: String,
}

pub const PASSWORD: &str = "correct horse battery";

impl TestServer {
    pub async fn start() -> Self {
        // The workspace's reqwest needs a TLS provider installed first.
        shared::tls::install_crypto_provider();
        let database_url = fresh_database().await;
        let config = Config {
            database_url: Secret::new(database_url.clone()),
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: Url::parse("http://auth.test").unwrap(),
            access_token_ttl: 3600,
            refresh_token_ttl: 1_209_600,
            log_format: LogFormat::Text,
            database_pool_size: 4,
            password_hash_concurrency: 1,
            purge_interval: 300,
        };
        let pool = auth_server::connect(&config).unwrap();
        store::migrate(&pool).await.unwrap();

        let listener = TcpListener::bind(config.listen_addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(AppState::new(config, pool.clone()));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        Self {
            base: format!("http://{addr}"),
            pool,
            database_url,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn create_user(&self, username: &str, email: &str) -> i64 {
        let hash = password::hash_now(PASSWORD).unwrap();
        UserStore::new(self.pool.clone())
            .create(&NewUser {
                username,
                email,
                name: Some("Test User"),
                password_hash: &hash,
            })
            .await
            .unwrap()
            .id
    }

    pub async fn create_client(&self, grants: &[&str], introspect: bool) -> TestClient {
        let grants: Vec<String> = grants.iter().map(|g| g.to_string()).collect();
        let (client, secret) = ClientStore::new(self.pool.clone())
            .create(&NewClient {
                name: "test client",
                grants: &grants,
                redirect_uris: &[],
                can_introspect: introspect,
                can_register: false,
            })
            .await
            .unwrap();
        TestClient {
            id: client.client_id,
            secret,
        }
    }

    /// POSTs a form to the token endpoint.
    pub async fn token(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url("/oauth/v2/token"))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A password grant for `alice` that must succeed; returns the body.
    pub async fn password_login(&self, client: &TestClient) -> serde_json::Value {
        let response = self
            .token(&[
                ("grant_type", "password"),
                ("client_id", &client.id),
                ("client_secret", &client.secret),
                ("username", "alice"),
                ("password", PASSWORD),
            ])
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn introspect(&self, caller: &TestClient, token: &str) -> serde_json::Value {
        let response = self
            .http
            .post(self.url("/oauth/v2/introspect"))
            .basic_auth(&caller.id, Some(&caller.secret))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Runs a statement directly, to put the database in a state a test
    /// needs (an expired token, say).
    pub async fn sql(&self, statement: &str) {
        let conn = self.pool.get().await.unwrap();
        conn.batch_execute(statement).await.unwrap();
    }
}

/// Creates an empty database for one test and returns its URL.
async fn fresh_database() -> String {
    let admin_url = std::env::var("TEST_DATABASE_URL").expect(
        "TEST_DATABASE_URL is not set: run the tests with deploy/test.sh, which starts Postgres",
    );
    let name = format!("auth_test_{:016x}", rand::thread_rng().r#gen::<u64>());
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
