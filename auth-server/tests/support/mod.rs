//! The test harness: a fresh, migrated database per test on the Postgres
//! named by `TEST_DATABASE_URL`, and the real app bound to a loopback port.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use auth_server::config::Config;
use auth_server::http::{AppState, router};
use auth_server::password;
use auth_server::store::{self, ClientStore, NewClient, NewUser, UserStore};
use deadpool_postgres::Pool;
use rand::Rng;
use shared::config::Secret;
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
        Self::start_with(|_| {}).await
    }

    /// Starts with settings adjusted by `adjust` (short code lifetimes, low
    /// throttling limits).
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        // The workspace's reqwest needs a TLS provider installed first.
        shared::tls::install_crypto_provider();
        let database_url = fresh_database().await;
        let mut config = Config {
            database_url: Secret::new(database_url.clone()),
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: Url::parse("http://auth.test").unwrap(),
            access_token_ttl: 3600,
            database_pool_size: 4,
            password_hash_concurrency: 1,
            ..Config::with_database(Secret::new(database_url.clone()))
        };
        adjust(&mut config);
        let pool = auth_server::connect(&config).unwrap();
        store::migrate(&pool).await.unwrap();

        let listener = TcpListener::bind(config.listen_addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(AppState::new(config, pool.clone()));
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });

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

    /// A client for the authorization-code flow, owned by `owner_id`:
    /// confidential (with a secret) unless `public`.
    pub async fn create_app(
        &self,
        owner_id: i64,
        grants: &[&str],
        redirect_uris: &[&str],
        public: bool,
    ) -> TestClient {
        let grants: Vec<String> = grants.iter().map(|g| g.to_string()).collect();
        let redirect_uris: Vec<String> = redirect_uris.iter().map(|u| u.to_string()).collect();
        let (client, secret) = ClientStore::new(self.pool.clone())
            .create_owned(
                &NewClient {
                    name: "Reader app",
                    grants: &grants,
                    redirect_uris: &redirect_uris,
                    can_introspect: false,
                    can_register: false,
                },
                Some(owner_id),
                public,
            )
            .await
            .unwrap();
        TestClient {
            id: client.client_id,
            secret: secret.unwrap_or_default(),
        }
    }

    /// A browser-like client of the web pages: keeps cookies, follows no
    /// redirects (tests look at each one).
    pub fn browser(&self) -> Browser {
        Browser {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Mutex::new(HashMap::new()),
        }
    }

    /// The RFC 8414 metadata document.
    pub async fn metadata(&self) -> serde_json::Value {
        let response = self
            .http
            .get(self.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
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

/// One answer of a page.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The value of the first hidden input named `name`.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no hidden {name} in {}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        unescape_html(&self.body[start..end])
    }
}

pub struct Browser {
    pub base: String,
    http: reqwest::Client,
    cookies: Mutex<HashMap<String, String>>,
}

impl Browser {
    pub async fn get(&self, path: &str) -> Page {
        let url = self.absolute(path);
        let request = self.http.get(url);
        self.send(request).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.http.post(self.absolute(path)).form(form);
        self.send(request).await
    }

    /// Signs in with the form, as a person would; returns the answer to the
    /// form post.
    pub async fn sign_in(&self, username: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200);
        let csrf = form.hidden("_csrf_token");
        self.post(
            "/login_check",
            &[
                ("_username", username),
                ("_password", password),
                ("_csrf_token", &csrf),
            ],
        )
        .await
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    fn absolute(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let jar = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if jar.is_empty() {
            request
        } else {
            request.header("cookie", jar)
        };
        let response = request.send().await.unwrap();
        {
            let mut cookies = self.cookies.lock().unwrap();
            for value in response.headers().get_all("set-cookie") {
                let parsed = cookie::Cookie::parse(value.to_str().unwrap().to_owned()).unwrap();
                let removed =
                    parsed.max_age().is_some_and(|age| age.is_zero()) || parsed.value().is_empty();
                if removed {
                    cookies.remove(parsed.name());
                } else {
                    cookies.insert(parsed.name().to_owned(), parsed.value().to_owned());
                }
            }
        }
        Page {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            body: response.text().await.unwrap(),
        }
    }
}

/// A random URL-safe string, 43 characters (a PKCE verifier's shortest).
pub fn random_token() -> String {
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(43)
        .map(char::from)
        .collect()
}

/// What a browser makes of an escaped attribute value.
fn unescape_html(value: &str) -> String {
    value
        .replace("&#38;", "&")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}
