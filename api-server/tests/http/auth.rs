//! Token validation at api-server (wallabag-api.md §2): where tokens are
//! read from, the exact 401s, the introspection cache, the 503 path, CORS
//! and the public routes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Options, TestApp, closed_port_url};

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.http.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Asserts the exact 401 of §2.3 and returns nothing else.
async fn assert_unauthorized(response: reqwest::Response, error: &str, description: &str) {
    assert_eq!(response.status(), 401);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    assert_eq!(
        headers["www-authenticate"],
        format!("Bearer realm=\"Service\", error=\"{error}\", error_description=\"{description}\"")
            .as_str()
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": error, "error_description": description})
    );
}

/// §5.1, §5.2: version and info need no token.
#[tokio::test]
async fn version_and_info_are_public() {
    let app = TestApp::start().await;

    let response = get(&app, "/api/version", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.json::<Value>().await.unwrap(), json!("2.6.14"));

    let info: Value = get(&app, "/api/info.json", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        info,
        json!({"appname": "wallabag", "version": "2.6.14", "allowed_registration": false})
    );
}

/// §5.3: the token's user, with wallabag's keys and dates.
#[tokio::test]
async fn user_shows_the_tokens_owner() {
    let app = TestApp::start().await;
    let token = app.user_token("alice").await;

    let response = get(&app, "/api/user.json", Some(&token)).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["username"], "alice");
    assert_eq!(body["email"], "alice@example.com");
    assert_eq!(body["name"], "alice display");
    assert!(body["id"].as_i64().unwrap() > 0);
    let created = body["created_at"].as_str().unwrap();
    assert_eq!(created.len(), "2016-09-08T11:55:58+0000".len(), "{created}");
    assert!(created.ends_with("+0000"));
    let order: Vec<usize> = [
        "id",
        "name",
        "username",
        "email",
        "created_at",
        "updated_at",
    ]
    .iter()
    .map(|k| text.find(&format!("\"{k}\"")).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "key order: {text}");
}

/// §2.3: no token on a protected route.
#[tokio::test]
async fn missing_token_is_access_denied() {
    let app = TestApp::start().await;

    for path in ["/api/user.json", "/api/user"] {
        let response = get(&app, path, None).await;
        assert_unauthorized(response, "access_denied", "OAuth2 authentication required").await;
    }
    // `bearer` in lower case is no token at all (the match is case-sensitive).
    let response = app
        .http
        .get(app.url("/api/user"))
        .header("authorization", "bearer abc")
        .send()
        .await
        .unwrap();
    assert_unauthorized(response, "access_denied", "OAuth2 authentication required").await;
}

/// §2.3: an unknown token is refused, on public routes too.
#[tokio::test]
async fn unknown_token_is_invalid_even_on_public_routes() {
    let app = TestApp::start().await;

    for path in ["/api/user", "/api/info", "/api/version"] {
        let response = get(&app, path, Some("garbage")).await;
        assert_unauthorized(
            response,
            "invalid_grant",
            "The access token provided is invalid.",
        )
        .await;
    }
    let response = app
        .http
        .get(app.url("/api/info?access_token=garbage"))
        .send()
        .await
        .unwrap();
    assert_unauthorized(
        response,
        "invalid_grant",
        "The access token provided is invalid.",
    )
    .await;
}

/// §2.3 and §11.2: an expired token says "expired", so clients refresh.
#[tokio::test]
async fn expired_token_says_it_expired() {
    let app = TestApp::start_with(Options {
        access_token_ttl: 1,
        ..Options::default()
    })
    .await;
    let token = app.user_token("alice").await;
    assert_eq!(get(&app, "/api/user", Some(&token)).await.status(), 200);

    // The token's one second must pass; moka's clock cannot be paused, so
    // this waits it out.
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let response = get(&app, "/api/user", Some(&token)).await;
    assert_unauthorized(
        response,
        "invalid_grant",
        "The access token provided has expired.",
    )
    .await;
}

/// §2.2: the token may come in the query string or a form body.
#[tokio::test]
async fn token_is_read_from_query_and_form_body() {
    let app = TestApp::start().await;
    let token = app.user_token("alice").await;

    let response = app
        .http
        .get(app.url("/api/user"))
        .query(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // A POST form body carries it too; the route answers 405 after
    // authentication passed (a 401 would mean the token was not read).
    let response = app
        .http
        .post(app.url("/api/user"))
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);

    let response = app
        .http
        .post(app.url("/api/user"))
        .form(&[("access_token", "garbage")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

/// §2.2: a token in two places at once is refused with the library's words.
#[tokio::test]
async fn token_in_two_places_is_a_bad_request() {
    let app = TestApp::start().await;
    let token = app.user_token("alice").await;

    let response = app
        .http
        .get(app.url("/api/user"))
        .bearer_auth(&token)
        .query(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

/// A token is introspected once; later requests are served from the cache.
#[tokio::test]
async fn second_request_makes_no_introspection_call() {
    let app = TestApp::start().await;
    let token = app.user_token("alice").await;

    for _ in 0..3 {
        assert_eq!(get(&app, "/api/user", Some(&token)).await.status(), 200);
    }

    assert_eq!(app.introspection_count(), 1);
}

/// Concurrent requests with one uncached token share one introspection.
#[tokio::test]
async fn concurrent_misses_make_one_introspection_call() {
    let app = TestApp::start().await;
    let token = app.user_token("alice").await;

    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let request = app.http.get(app.url("/api/user")).bearer_auth(&token);
        requests.spawn(async move { request.send().await.unwrap().status() });
    }
    let statuses = requests.join_all().await;

    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.introspection_count(), 1);
}

/// Without the revocation stream (auth-server out of reach of it), a
/// revoked token keeps working until its cached answer ends, then stops:
/// `TOKEN_CACHE_TTL` bounds it.
#[tokio::test]
async fn without_the_stream_a_revoked_token_is_refused_once_its_answer_ends() {
    let app = TestApp::start_with(Options {
        token_cache_ttl: 1,
        follow_revocations: false,
        ..Options::default()
    })
    .await;
    let token = app.user_token("alice").await;
    assert_eq!(get(&app, "/api/user", Some(&token)).await.status(), 200);

    app.auth_sql("UPDATE access_tokens SET revoked_at = now()")
        .await;
    assert_eq!(
        get(&app, "/api/user", Some(&token)).await.status(),
        200,
        "still cached"
    );

    // TOKEN_CACHE_TTL is one second; moka's clock cannot be paused.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let response = get(&app, "/api/user", Some(&token)).await;
    assert_unauthorized(
        response,
        "invalid_grant",
        "The access token provided is invalid.",
    )
    .await;
}

/// Polls `GET /api/user` with `token` until it is refused, for at most
/// ten seconds; the answer that came.
async fn refused_soon(app: &TestApp, token: &str) -> reqwest::Response {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let response = get(app, "/api/user", Some(token)).await;
        if response.status() != 200 || tokio::time::Instant::now() > deadline {
            return response;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// auth-server's revocation stream reaches the cache: a token revoked at
/// the revocation endpoint is refused at once, though its cached answer
/// had an hour to live.
#[tokio::test]
async fn a_revoked_token_is_refused_at_once_despite_its_cached_answer() {
    let app = TestApp::start_with(Options {
        token_cache_ttl: 3600,
        ..Options::default()
    })
    .await;
    let token = app.user_token("alice").await;
    assert_eq!(get(&app, "/api/user", Some(&token)).await.status(), 200);
    let introspected = app.introspection_count();

    let revoked = app
        .http
        .post(format!("{}/oauth/v2/revoke", app.auth_base))
        .basic_auth(&app.client_id, Some(&app.client_secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);

    assert_unauthorized(
        refused_soon(&app, &token).await,
        "invalid_grant",
        "The access token provided is invalid.",
    )
    .await;
    // Refused because it was asked about again, not guessed.
    assert_eq!(app.introspection_count(), introspected + 1);
}

/// A reused refresh token revokes its whole family at auth-server, and
/// every access token of the family stops working here too, cached or not.
#[tokio::test]
async fn a_reused_refresh_token_ends_its_familys_cached_access_tokens() {
    let app = TestApp::start_with(Options {
        token_cache_ttl: 3600,
        ..Options::default()
    })
    .await;
    app.create_user("alice").await;
    let first = app.login("alice").await;
    let refresh = |refresh_token: String| {
        let request = app
            .http
            .post(format!("{}/oauth/v2/token", app.auth_base))
            .form(&[
                ("grant_type", "refresh_token".to_owned()),
                ("client_id", app.client_id.clone()),
                ("client_secret", app.client_secret.clone()),
                ("refresh_token", refresh_token),
            ]);
        async move { request.send().await.unwrap() }
    };
    let old_refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let second: Value = refresh(old_refresh.clone()).await.json().await.unwrap();
    let tokens = [&first, &second].map(|t| t["access_token"].as_str().unwrap().to_owned());
    for token in &tokens {
        assert_eq!(get(&app, "/api/user", Some(token)).await.status(), 200);
    }

    // The rotated-out refresh token, presented again: a replay.
    assert_eq!(refresh(old_refresh).await.status(), 400);

    for token in &tokens {
        assert_eq!(refused_soon(&app, token).await.status(), 401);
    }
}

/// An introspection answer on its way while a revocation is told may be
/// from before it: it serves the request that raced the revocation, but is
/// not kept, so the next request asks auth-server again. (A stand-in
/// introspection endpoint holds its answer until the revocation is told.)
#[tokio::test]
async fn an_answer_that_raced_a_revocation_is_not_kept() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use api_server::auth::TokenValidator;
    use api_server::auth::introspection::AuthServerClient;
    use sha2::{Digest, Sha256};
    use shared::introspection::{ActiveToken, IntrospectionResponse, TokenUser};
    use tokio::sync::{Notify, Semaphore};

    shared::tls::install_crypto_provider();
    let asked = Arc::new(Notify::new());
    let answer = Arc::new(Semaphore::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let endpoint = {
        let (asked, answer, calls) = (asked.clone(), answer.clone(), calls.clone());
        axum::routing::post(move || async move {
            calls.fetch_add(1, Ordering::SeqCst);
            asked.notify_one();
            answer.acquire().await.unwrap().forget();
            axum::Json(IntrospectionResponse::active(ActiveToken {
                scope: String::new(),
                client_id: "1_app".into(),
                username: Some("alice".into()),
                sub: "1".into(),
                exp: chrono::Utc::now().timestamp() + 3600,
                iat: chrono::Utc::now().timestamp(),
                token_type: "bearer".into(),
                user: Some(TokenUser {
                    id: 1,
                    email: "alice@example.com".into(),
                    name: None,
                    created_at: "2026-01-01T00:00:00+00:00".into(),
                    updated_at: "2026-01-01T00:00:00+00:00".into(),
                }),
            }))
        })
    };
    let router = axum::Router::new().route("/oauth/v2/introspect", endpoint);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client = AuthServerClient::new(
        &url,
        "2_api".into(),
        shared::config::Secret::new("secret"),
        Duration::from_secs(5),
    )
    .unwrap();
    let validator = TokenValidator::new(client, Duration::from_secs(3600), Duration::from_secs(1));

    let racing = {
        let validator = validator.clone();
        tokio::spawn(async move { validator.validate("a-token").await.unwrap().is_ok() })
    };
    asked.notified().await;
    validator
        .forget(&Sha256::digest("a-token".as_bytes()).into())
        .await;
    answer.add_permits(1);
    assert!(racing.await.unwrap(), "the racing request is served");

    answer.add_permits(1);
    assert!(validator.validate("a-token").await.unwrap().is_ok());
    assert_eq!(calls.load(Ordering::SeqCst), 2, "asked again, not cached");
    // Now it is cached.
    assert!(validator.validate("a-token").await.unwrap().is_ok());
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// When auth-server cannot be reached, an uncached token gets 503 — never a
/// 401 that would make the client discard a good token.
#[tokio::test]
async fn unreachable_auth_server_gives_503_not_401() {
    let app = TestApp::start_with(Options {
        auth_server_url: Some(closed_port_url().await),
        ..Options::default()
    })
    .await;
    let token = app.user_token("alice").await;

    let response = get(&app, "/api/user", Some(&token)).await;

    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 503);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("authorization server")
    );
    // Public routes without a token still answer.
    assert_eq!(get(&app, "/api/version", None).await.status(), 200);
}

/// A client's own token (client credentials) acts for no user: refused.
#[tokio::test]
async fn client_credentials_token_opens_no_user_route() {
    let app = TestApp::start().await;
    let clients = auth_server::store::ClientStore::new(app.auth_pool.clone());
    let (service, secret) = clients
        .create(&auth_server::store::NewClient {
            name: "service",
            grants: &["client_credentials".to_owned()],
            redirect_uris: &[],
            can_introspect: false,
            can_register: false,
        })
        .await
        .unwrap();
    let token: Value = app
        .http
        .post(format!("{}/oauth/v2/token", app.auth_base))
        .basic_auth(&service.client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let response = get(&app, "/api/user", token["access_token"].as_str()).await;

    assert_unauthorized(
        response,
        "invalid_grant",
        "The access token provided is invalid.",
    )
    .await;
}

/// §1.1: unknown paths are 404 and wrong methods 405, in the generic body,
/// whatever the token.
#[tokio::test]
async fn routing_errors_use_the_generic_body() {
    let app = TestApp::start().await;

    let response = get(&app, "/api/nothing-here", Some("garbage")).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 404);
    assert_eq!(body["message"], "Not Found");
    assert_eq!(body["error"]["message"], "Not Found");

    let response = app
        .http
        .delete(app.url("/api/version"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Method Not Allowed");
}

/// §1.7: browser extensions preflight the API.
#[tokio::test]
async fn api_answers_cors_preflight() {
    let app = TestApp::start().await;

    let response = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/user"))
        .header("origin", "moz-extension://abc")
        .header("access-control-request-method", "PATCH")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_eq!(headers["access-control-max-age"], "3600");
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("PATCH")
    );
}

/// Operators read cache hits, misses and introspection latency at /metrics.
#[tokio::test]
async fn metrics_count_cache_hits_and_misses() {
    let app = TestApp::start().await;
    let token = app.user_token("alice").await;
    get(&app, "/api/user", Some(&token)).await;
    get(&app, "/api/user", Some(&token)).await;

    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert!(
        text.contains("token_cache_lookups_total{result=\"hit\"}"),
        "{text}"
    );
    assert!(
        text.contains("token_cache_lookups_total{result=\"miss\"}"),
        "{text}"
    );
    assert!(text.contains("introspection_duration_seconds"), "{text}");
    assert!(text.contains("route=\"/api/user\""), "{text}");
    assert!(text.contains("db_pool_idle_connections"), "{text}");
}

/// Readiness checks the database and auth-server.
#[tokio::test]
async fn readiness_reports_an_unreachable_auth_server() {
    let healthy = TestApp::start().await;
    assert_eq!(get(&healthy, "/readyz", None).await.status(), 200);

    let cut_off = TestApp::start_with(Options {
        auth_server_url: Some(closed_port_url().await),
        ..Options::default()
    })
    .await;
    let response = get(&cut_off, "/readyz", None).await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["auth_server"], "unreachable");
}
