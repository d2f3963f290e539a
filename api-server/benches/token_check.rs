//! What a cache-hit token check costs, in-process: the check alone, and its
//! share of a whole request through the router (`cargo bench -p api-server`).
//!
//! The one introspection call that fills the cache goes to a stand-in
//! endpoint served here, so the numbers measure api-server only.

use std::hint::black_box;
use std::time::{Duration, Instant};

use api_server::auth::TokenValidator;
use api_server::auth::introspection::AuthServerClient;
use api_server::config::Config;
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::post;
use serde_json::json;
use shared::config::{LogFormat, Secret};
use tower::ServiceExt;
use url::Url;

const TOKEN: &str = "bench-token-0123456789abcdef0123456789abcdef";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run());
}

async fn run() {
    shared::tls::install_crypto_provider();
    let auth_url = serve_introspection().await;

    let auth_server = AuthServerClient::new(
        &auth_url,
        "bench".into(),
        Secret::new("bench"),
        Duration::from_secs(2),
    )
    .expect("an auth-server client");
    let validator = TokenValidator::new(auth_server, Duration::from_secs(600), Duration::ZERO);
    validator
        .validate(TOKEN)
        .await
        .expect("introspection")
        .expect("active");

    let checks = 1_000_000;
    let started = Instant::now();
    for _ in 0..checks {
        black_box(validator.validate(black_box(TOKEN)).await.ok());
    }
    let check_ns = started.elapsed().as_nanos() as f64 / f64::from(checks);

    // The same check inside a whole request: the router, the middleware
    // stack, a JSON answer. No database is touched by these two routes.
    let app = api_server::app(
        api_server::AppState::new(config(&auth_url), lazy_pool()).expect("an app state"),
    );
    let public = per_request(&app, "/api/version", None).await;
    let authenticated = per_request(&app, "/api/user", Some(TOKEN)).await;

    println!("token check, cache hit:             {check_ns:>9.0} ns");
    println!("GET /api/version (no token):        {:>9.0} ns", public);
    println!(
        "GET /api/user (cached token):       {:>9.0} ns",
        authenticated
    );
    println!(
        "token check's share of the request: {:>8.1} %",
        100.0 * (authenticated - public).max(0.0) / authenticated
    );
}

/// Mean nanoseconds of one in-process request.
async fn per_request(app: &Router, path: &str, token: Option<&str>) -> f64 {
    let requests = 200_000;
    let started = Instant::now();
    for _ in 0..requests {
        let mut request = Request::get(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).expect("a request"))
            .await
            .expect("a response");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }
    started.elapsed().as_nanos() as f64 / f64::from(requests)
}

/// A stand-in introspection endpoint that vouches for any token.
async fn serve_introspection() -> Url {
    let answer = json!({
        "active": true, "scope": "", "client_id": "1_app", "username": "bench",
        "sub": "1", "exp": 4_102_444_800_i64, "iat": 1, "token_type": "bearer",
        "id": 1, "email": "bench@example.com", "name": null,
        "created_at": "2026-01-01T00:00:00+00:00", "updated_at": "2026-01-01T00:00:00+00:00",
    });
    let app = Router::new().route(
        "/oauth/v2/introspect",
        post(move || {
            let answer = answer.clone();
            async move { axum::Json(answer) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    Url::parse(&format!("http://{addr}")).expect("a URL")
}

fn config(auth_url: &Url) -> Config {
    Config {
        database_url: Secret::new("postgres://unused@127.0.0.1:1/unused"),
        listen_addr: "127.0.0.1:0".parse().expect("an address"),
        auth_server_url: auth_url.clone(),
        introspection_client_id: "bench".into(),
        introspection_client_secret: Secret::new("bench"),
        token_cache_ttl: 600,
        inactive_token_cache_ttl: 1,
        introspection_timeout_ms: 2000,
        fetch_allow_private: false,
        registration_enabled: false,
        log_format: LogFormat::Text,
        database_pool_size: 1,
    }
}

/// A pool that never connects: the measured routes do not use it.
fn lazy_pool() -> deadpool_postgres::Pool {
    shared::db::pool("postgres://unused@127.0.0.1:1/unused", 1).expect("a pool")
}
