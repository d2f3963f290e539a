//! auth-server over real HTTP against real Postgres: every grant, every
//! error of wallabag-api.md §3.4 in its order, rotation and reuse detection,
//! revocation, introspection, the admin CLI; the authorization-code grant,
//! the revocation stream and the web pages in their own modules.

// A failed unwrap is a failed test, with the value in the message.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "http/authorization_code.rs"]
mod authorization_code;
#[path = "http/revocations.rs"]
mod revocations;
#[path = "http/web.rs"]
mod web;

use serde_json::{Value, json};
use support::{PASSWORD, TestClient, TestServer};

async fn alice_and_app(server: &TestServer) -> TestClient {
    server.create_user("alice", "alice@example.com").await;
    server
        .create_client(&["password", "refresh_token"], false)
        .await
}

async fn error_of(response: reqwest::Response) -> OAuthErrorParts {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"].as_str().unwrap().to_owned(),
    )
}

/// Status, `error` and `error_description` of an OAuth error answer.
type OAuthErrorParts = (u16, String, String);

fn error(code: &str, description: &str) -> OAuthErrorParts {
    (400, code.to_owned(), description.to_owned())
}

/// The wallabag walkthrough: a form-encoded password grant gives the exact
/// success shape of §3.3, with no-store headers.
#[tokio::test]
async fn password_grant_answers_wallabags_token_shape() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;

    let response = server
        .token(&[
            ("grant_type", "password"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .await;

    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    let text = response.text().await.unwrap();
    let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(&text)
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let order: Vec<usize> = [
        "access_token",
        "expires_in",
        "token_type",
        "scope",
        "refresh_token",
    ]
    .iter()
    .map(|k| text.find(&format!("\"{k}\"")).unwrap())
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "keys out of order: {text}"
    );
    assert_eq!(keys.len(), 5);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["scope"], Value::Null);
    for token in [&body["access_token"], &body["refresh_token"]] {
        let token = token.as_str().unwrap();
        assert!(token.len() >= 43);
        assert!(
            token
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}

/// HTTPie sends JSON: the README's walkthrough must work verbatim.
#[tokio::test]
async fn password_grant_accepts_a_json_body() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;

    let response = server
        .http
        .post(server.url("/oauth/v2/token"))
        .json(&json!({
            "grant_type": "password",
            "client_id": app.id,
            "client_secret": app.secret,
            "username": "alice",
            "password": PASSWORD,
        }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["refresh_token"].is_string());
}

/// GET reads the query string (§3.1).
#[tokio::test]
async fn get_reads_parameters_from_the_query_string() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;

    let response = server
        .http
        .get(server.url("/oauth/v2/token"))
        .query(&[
            ("grant_type", "password"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
}

/// POST reads the body only: parameters in the query string are ignored.
#[tokio::test]
async fn post_ignores_parameters_in_the_query_string() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;

    let response = server
        .http
        .post(server.url("/oauth/v2/token"))
        .query(&[
            ("grant_type", "password"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(
        error_of(response).await,
        error(
            "invalid_request",
            "Invalid grant_type parameter or parameter missing"
        )
    );
}

/// A malformed JSON body is refused with a clear message.
#[tokio::test]
async fn malformed_json_is_a_clear_400() {
    let server = TestServer::start().await;

    let response = server
        .http
        .post(server.url("/oauth/v2/token"))
        .header("content-type", "application/json")
        .body("{\"grant_type\": ")
        .send()
        .await
        .unwrap();

    assert_eq!(
        error_of(response).await,
        error("invalid_request", "Invalid json message received")
    );
}

/// Log-in takes the username or the e-mail address, in any case.
#[tokio::test]
async fn password_grant_matches_username_or_email_case_insensitively() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;

    for login in ["alice", "ALICE", "alice@example.com", "Alice@Example.COM"] {
        let response = server
            .token(&[
                ("grant_type", "password"),
                ("client_id", &app.id),
                ("client_secret", &app.secret),
                ("username", login),
                ("password", PASSWORD),
            ])
            .await;
        assert_eq!(response.status(), 200, "log-in as {login}");
    }
}

/// Guessing passwords through the password grant meets the web sign-in's
/// throttle, with one budget for both and for every spelling of the
/// account: past the limit even the right password is refused with 429 and
/// `Retry-After`, until the window has passed. Other accounts are not
/// affected.
#[tokio::test]
async fn password_guesses_at_the_token_endpoint_are_throttled() {
    let server = TestServer::start_with(|config| config.sign_in_account_limit = 3).await;
    let app = alice_and_app(&server).await;
    server.create_user("bob", "bob@example.com").await;
    let log_in = |login: &'static str, password: &'static str| {
        let server = &server;
        let app = &app;
        async move {
            server
                .token(&[
                    ("grant_type", "password"),
                    ("client_id", &app.id),
                    ("client_secret", &app.secret),
                    ("username", login),
                    ("password", password),
                ])
                .await
        }
    };

    // Two guesses here, one on the web form, each spelt differently.
    for login in ["alice", "Alice@Example.com"] {
        assert_eq!(
            error_of(log_in(login, "wrong").await).await,
            error("invalid_grant", "Invalid username and password combination")
        );
    }
    assert_eq!(server.browser().sign_in("ALICE", "wrong").await.status, 200);

    let locked = log_in("alice", PASSWORD).await;
    assert_eq!(locked.headers()["retry-after"], "900");
    assert_eq!(locked.headers()["cache-control"], "no-store");
    let (status, code, description) = error_of(locked).await;
    assert_eq!((status, code.as_str()), (429, "invalid_grant"));
    assert!(
        description.contains("Too many failed sign-ins"),
        "{description}"
    );
    assert_eq!(
        server.browser().sign_in("alice", PASSWORD).await.status,
        429
    );

    assert_eq!(log_in("bob", PASSWORD).await.status(), 200);

    server
        .sql("UPDATE sign_in_failures SET window_started_at = now() - interval '1 hour'")
        .await;
    assert_eq!(log_in("alice", PASSWORD).await.status(), 200);
}

/// Client credentials may come as HTTP Basic instead of parameters.
#[tokio::test]
async fn client_may_authenticate_with_http_basic() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;

    let response = server
        .http
        .post(server.url("/oauth/v2/token"))
        .basic_auth(&app.id, Some(&app.secret))
        .form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
}

/// Every error row of §3.4, with its code and description.
#[tokio::test]
async fn token_errors_follow_wallabags_table() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let other = server
        .create_client(&["password", "refresh_token"], false)
        .await;
    let id = app.id.as_str();
    let secret = app.secret.as_str();
    let base = [("client_id", id), ("client_secret", secret)];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut form: Vec<(&str, &str)> = base.to_vec();
        form.extend_from_slice(extra);
        form
    };
    let other_refresh = server.password_login(&other).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let cases: Vec<(Vec<(&str, &str)>, OAuthErrorParts)> = vec![
        // 1: grant_type missing, or not a recognised shape.
        (
            with(&[]),
            error(
                "invalid_request",
                "Invalid grant_type parameter or parameter missing",
            ),
        ),
        (
            with(&[("grant_type", "magic")]),
            error(
                "invalid_request",
                "Invalid grant_type parameter or parameter missing",
            ),
        ),
        // 2: no client id anywhere.
        (
            vec![("grant_type", "password")],
            error(
                "invalid_client",
                "Client id was not found in the headers or body",
            ),
        ),
        // 3: unknown client, including a malformed id.
        (
            vec![
                ("grant_type", "password"),
                ("client_id", "$WALLABAG_CLIENT_ID"),
            ],
            error("invalid_client", "The client credentials are invalid"),
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", "999_nope"),
                ("client_secret", "x"),
            ],
            error("invalid_client", "The client credentials are invalid"),
        ),
        // 4: wrong or missing secret.
        (
            vec![
                ("grant_type", "password"),
                ("client_id", id),
                ("client_secret", "wrong"),
            ],
            error("invalid_client", "The client credentials are invalid"),
        ),
        (
            vec![("grant_type", "password"), ("client_id", id)],
            error("invalid_client", "The client credentials are invalid"),
        ),
        // 5: a grant the client was not registered with.
        (
            with(&[("grant_type", "client_credentials")]),
            error(
                "unauthorized_client",
                "The grant type is unauthorized for this client_id",
            ),
        ),
        (
            with(&[("grant_type", "urn:example:grant")]),
            error(
                "unauthorized_client",
                "The grant type is unauthorized for this client_id",
            ),
        ),
        // 6a: missing or empty username or password.
        (
            with(&[("grant_type", "password"), ("username", "alice")]),
            error(
                "invalid_request",
                "Missing parameters. \"username\" and \"password\" required",
            ),
        ),
        (
            with(&[
                ("grant_type", "password"),
                ("username", ""),
                ("password", "x"),
            ]),
            error(
                "invalid_request",
                "Missing parameters. \"username\" and \"password\" required",
            ),
        ),
        // 6b: wrong password, unknown user.
        (
            with(&[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "nope"),
            ]),
            error("invalid_grant", "Invalid username and password combination"),
        ),
        (
            with(&[
                ("grant_type", "password"),
                ("username", "bob"),
                ("password", PASSWORD),
            ]),
            error("invalid_grant", "Invalid username and password combination"),
        ),
        // 7a: refresh without a token.
        (
            with(&[("grant_type", "refresh_token")]),
            error("invalid_request", "No \"refresh_token\" parameter found"),
        ),
        // 7b: unknown refresh token, or one issued to another client.
        (
            with(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "unknown"),
            ]),
            error("invalid_grant", "Invalid refresh token"),
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", id),
                ("client_secret", secret),
                ("refresh_token", other_refresh.as_str()),
            ],
            error("invalid_grant", "Invalid refresh token"),
        ),
        // 8: any scope, after the credentials were accepted.
        (
            with(&[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", PASSWORD),
                ("scope", "read"),
            ]),
            error("invalid_scope", "An unsupported scope was requested."),
        ),
    ];

    for (form, expected) in cases {
        let response = server.token(&form).await;
        assert_eq!(error_of(response).await, expected, "form: {form:?}");
    }
}

/// The order of the rules: the first failing one is reported.
#[tokio::test]
async fn token_errors_report_the_first_failing_rule() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;

    // A bad grant type wins over bad client credentials.
    let response = server
        .token(&[("grant_type", "nope"), ("client_id", "999_x")])
        .await;
    assert_eq!(error_of(response).await.1, "invalid_request");

    // A wrong secret wins over a grant the client may not use.
    let response = server
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &app.id),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_eq!(error_of(response).await.1, "invalid_client");

    // A wrong password wins over an unsupported scope.
    let response = server
        .token(&[
            ("grant_type", "password"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("username", "alice"),
            ("password", "nope"),
            ("scope", "read"),
        ])
        .await;
    assert_eq!(error_of(response).await.1, "invalid_grant");
}

/// Client credentials: a token for the client itself, without a refresh
/// token, that introspects with no user.
#[tokio::test]
async fn client_credentials_grant_issues_a_token_without_user_or_refresh() {
    let server = TestServer::start().await;
    let service = server.create_client(&["client_credentials"], false).await;
    let resource = server.create_client(&[], true).await;

    let response = server
        .http
        .post(server.url("/oauth/v2/token"))
        .basic_auth(&service.id, Some(&service.secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());

    let answer = server
        .introspect(&resource, body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["client_id"], service.id);
    assert_eq!(answer["sub"], service.id);
    assert!(answer.get("username").is_none());
    assert!(answer.get("id").is_none());
}

/// Refresh rotates: the new pair works, the old refresh token does not.
#[tokio::test]
async fn refresh_rotates_the_refresh_token() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let resource = server.create_client(&[], true).await;
    let first = server.password_login(&app).await;
    let old_refresh = first["refresh_token"].as_str().unwrap();

    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("refresh_token", old_refresh),
        ])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let second: Value = response.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["expires_in"], 3600);
    assert_eq!(second["scope"], Value::Null);

    let answer = server
        .introspect(&resource, second["access_token"].as_str().unwrap())
        .await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["username"], "alice");
    // Old access tokens stay valid until they expire, as in wallabag.
    let answer = server
        .introspect(&resource, first["access_token"].as_str().unwrap())
        .await;
    assert_eq!(answer["active"], true);

    // The new refresh token rotates again, with Basic credentials and a
    // body client_id at once (normalised, not a duplicate).
    let response = server
        .http
        .post(server.url("/oauth/v2/token"))
        .basic_auth(&app.id, Some(&app.secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", app.id.as_str()),
            ("refresh_token", second["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// Presenting a rotated refresh token again revokes its whole family: the
/// tokens it was rotated into stop working too.
#[tokio::test]
async fn reused_refresh_token_revokes_its_family() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let resource = server.create_client(&[], true).await;
    let first = server.password_login(&app).await;
    let refresh = |token: String| {
        let server = &server;
        let app = &app;
        async move {
            server
                .token(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", &app.id),
                    ("client_secret", &app.secret),
                    ("refresh_token", &token),
                ])
                .await
        }
    };
    let old = first["refresh_token"].as_str().unwrap().to_owned();
    let second: Value = refresh(old.clone()).await.json().await.unwrap();

    let replay = refresh(old).await;
    assert_eq!(
        error_of(replay).await,
        error("invalid_grant", "Invalid refresh token")
    );

    let successor = refresh(second["refresh_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(
        error_of(successor).await,
        error("invalid_grant", "Invalid refresh token")
    );
    for access in [&first["access_token"], &second["access_token"]] {
        let answer = server.introspect(&resource, access.as_str().unwrap()).await;
        assert_eq!(answer, json!({"active": false}));
    }
}

/// An expired refresh token says so (§3.4 row 7c).
#[tokio::test]
async fn expired_refresh_token_is_refused_as_expired() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let login = server.password_login(&app).await;
    server
        .sql("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'")
        .await;

    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("refresh_token", login["refresh_token"].as_str().unwrap()),
        ])
        .await;

    assert_eq!(
        error_of(response).await,
        error("invalid_grant", "Refresh token has expired")
    );
}

/// A scope on a refresh is refused after the token was found valid.
#[tokio::test]
async fn refresh_with_a_scope_is_refused() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let login = server.password_login(&app).await;

    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("refresh_token", login["refresh_token"].as_str().unwrap()),
            ("scope", "admin"),
        ])
        .await;

    assert_eq!(
        error_of(response).await,
        error("invalid_scope", "An unsupported scope was requested.")
    );
}

/// Introspection of an active token carries the RFC 7662 members and the
/// user fields the API needs.
#[tokio::test]
async fn introspection_describes_an_active_token() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let resource = server.create_client(&[], true).await;
    let login = server.password_login(&app).await;

    let answer = server
        .introspect(&resource, login["access_token"].as_str().unwrap())
        .await;

    assert_eq!(answer["active"], true);
    assert_eq!(answer["scope"], "");
    assert_eq!(answer["client_id"], app.id);
    assert_eq!(answer["username"], "alice");
    assert_eq!(answer["token_type"], "bearer");
    assert_eq!(answer["email"], "alice@example.com");
    assert_eq!(answer["name"], "Test User");
    let id = answer["id"].as_i64().unwrap();
    assert_eq!(answer["sub"], id.to_string());
    let (exp, iat) = (
        answer["exp"].as_i64().unwrap(),
        answer["iat"].as_i64().unwrap(),
    );
    assert!((exp - iat - 3600).abs() <= 1);
    assert!(answer["created_at"].is_string());
    assert!(answer["updated_at"].is_string());
}

/// Unknown, expired and revoked access tokens, and refresh tokens, are
/// only `{"active": false}`.
#[tokio::test]
async fn introspection_of_unusable_tokens_says_only_inactive() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let resource = server.create_client(&[], true).await;
    let login = server.password_login(&app).await;
    let inactive = json!({"active": false});

    assert_eq!(server.introspect(&resource, "unknown").await, inactive);
    let refresh = login["refresh_token"].as_str().unwrap();
    assert_eq!(server.introspect(&resource, refresh).await, inactive);

    server
        .sql("UPDATE access_tokens SET expires_at = now() - interval '1 second'")
        .await;
    let access = login["access_token"].as_str().unwrap();
    assert_eq!(server.introspect(&resource, access).await, inactive);
}

/// Only clients registered to introspect may call the endpoint.
#[tokio::test]
async fn introspection_refuses_callers_not_allowed_to_introspect() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let login = server.password_login(&app).await;
    let token = login["access_token"].as_str().unwrap();

    let callers = [
        Some((app.id.clone(), app.secret.clone())),
        Some((app.id.clone(), "wrong".to_owned())),
        None,
    ];
    for caller in callers {
        let mut request = server
            .http
            .post(server.url("/oauth/v2/introspect"))
            .form(&[("token", token)]);
        if let Some((id, secret)) = &caller {
            request = request.basic_auth(id, Some(secret));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "caller {caller:?}");
        assert!(response.headers().contains_key("www-authenticate"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");
    }
}

/// Introspection callers may also authenticate with body parameters.
#[tokio::test]
async fn introspection_accepts_credentials_in_the_body() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let resource = server.create_client(&[], true).await;
    let login = server.password_login(&app).await;

    let response = server
        .http
        .post(server.url("/oauth/v2/introspect"))
        .form(&[
            ("client_id", resource.id.as_str()),
            ("client_secret", resource.secret.as_str()),
            ("token", login["access_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["active"], true);
}

/// Revoking an access token ends it; other tokens live on.
#[tokio::test]
async fn revoking_an_access_token_makes_it_inactive() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let resource = server.create_client(&[], true).await;
    let login = server.password_login(&app).await;
    let access = login["access_token"].as_str().unwrap();

    let response = server
        .http
        .post(server.url("/oauth/v2/revoke"))
        .basic_auth(&app.id, Some(&app.secret))
        .form(&[("token", access), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    assert_eq!(
        server.introspect(&resource, access).await,
        json!({"active": false})
    );
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("refresh_token", login["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(response.status(), 200);
}

/// Revoking a refresh token revokes its family and their access tokens.
#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let resource = server.create_client(&[], true).await;
    let login = server.password_login(&app).await;
    let refresh = login["refresh_token"].as_str().unwrap();

    let response = server
        .http
        .post(server.url("/oauth/v2/revoke"))
        .form(&[
            ("client_id", app.id.as_str()),
            ("client_secret", app.secret.as_str()),
            ("token", refresh),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let access = login["access_token"].as_str().unwrap();
    assert_eq!(
        server.introspect(&resource, access).await,
        json!({"active": false})
    );
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("refresh_token", refresh),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        error("invalid_grant", "Invalid refresh token")
    );
}

/// Revocation needs the token's own client; unknown tokens succeed quietly.
#[tokio::test]
async fn revocation_is_limited_to_the_tokens_own_client() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let other = server.create_client(&["password"], false).await;
    let resource = server.create_client(&[], true).await;
    let login = server.password_login(&app).await;
    let access = login["access_token"].as_str().unwrap();
    let revoke = |id: String, secret: String, token: String| {
        let server = &server;
        async move {
            server
                .http
                .post(server.url("/oauth/v2/revoke"))
                .basic_auth(id, Some(secret))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
        }
    };

    let response = revoke(other.id.clone(), other.secret.clone(), access.to_owned()).await;
    assert_eq!(error_of(response).await.1, "unauthorized_client");
    assert_eq!(server.introspect(&resource, access).await["active"], true);

    let response = revoke(app.id.clone(), "wrong".into(), access.to_owned()).await;
    assert_eq!(response.status(), 401);

    let response = revoke(app.id.clone(), app.secret.clone(), "unknown".into()).await;
    assert_eq!(response.status(), 200);
}

/// A disabled user gets no token, and tokens they held stop working.
#[tokio::test]
async fn disabled_user_gets_no_token_and_loses_existing_ones() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let resource = server.create_client(&[], true).await;
    let login = server.password_login(&app).await;

    let status = std::process::Command::new(env!("CARGO_BIN_EXE_auth-server"))
        .args(["user", "disable", "alice"])
        .env("DATABASE_URL", &server.database_url)
        .status()
        .unwrap();
    assert!(status.success());

    let response = server
        .token(&[
            ("grant_type", "password"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        error("invalid_grant", "User account is disabled.")
    );
    let access = login["access_token"].as_str().unwrap();
    assert_eq!(
        server.introspect(&resource, access).await,
        json!({"active": false})
    );
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("refresh_token", login["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(error_of(response).await.1, "invalid_grant");
}

/// The metadata document names the endpoints (RFC 8414).
#[tokio::test]
async fn metadata_describes_the_endpoints() {
    let server = TestServer::start().await;

    let body = server.metadata().await;

    assert_eq!(body["issuer"], "http://auth.test");
    assert_eq!(body["token_endpoint"], "http://auth.test/oauth/v2/token");
    assert_eq!(
        body["introspection_endpoint"],
        "http://auth.test/oauth/v2/introspect"
    );
    assert_eq!(
        body["revocation_endpoint"],
        "http://auth.test/oauth/v2/revoke"
    );
    let grants = body["grant_types_supported"].as_array().unwrap();
    assert!(grants.contains(&json!("password")));
    assert!(grants.contains(&json!("refresh_token")));
}

/// Probes answer, and readiness checks the database.
#[tokio::test]
async fn health_and_readiness_answer() {
    let server = TestServer::start().await;

    for path in ["/healthz", "/readyz"] {
        let response = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().contains_key("x-request-id"));
    }
}

/// Operators read request counts by route and status, latencies and pool
/// usage at /metrics.
#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    server.password_login(&app).await;

    let text = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    let counted = text.lines().any(|line| {
        line.starts_with("http_requests_total{")
            && line.contains("route=\"/oauth/v2/token\"")
            && line.contains("status=\"200\"")
    });
    assert!(counted, "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("db_pool_max_connections"), "{text}");
}

/// Browser extensions preflight the token endpoint (wallabag-api.md §1.7).
#[tokio::test]
async fn token_endpoint_answers_cors_preflight() {
    let server = TestServer::start().await;

    let response = server
        .http
        .request(reqwest::Method::OPTIONS, server.url("/oauth/v2/token"))
        .header("origin", "moz-extension://abc")
        .header("access-control-request-method", "POST")
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
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    assert!(methods.contains("POST") && !methods.contains("PATCH"));
}

/// Expired tokens are purged by the sweep; live ones stay.
#[tokio::test]
async fn purge_removes_only_expired_tokens() {
    let server = TestServer::start().await;
    let app = alice_and_app(&server).await;
    let resource = server.create_client(&[], true).await;
    let old = server.password_login(&app).await;
    let live = server.password_login(&app).await;
    let old_access = old["access_token"].as_str().unwrap();
    let hash = auth_server::oauth::opaque::digest(old_access);
    let conn = server.pool.get().await.unwrap();
    conn.execute(
        "UPDATE access_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = $1",
        &[&hash],
    )
    .await
    .unwrap();

    let store = auth_server::store::TokenStore::new(server.pool.clone());
    assert_eq!(store.purge_expired().await.unwrap(), 1);

    let remaining: i64 = conn
        .query_one("SELECT count(*) FROM access_tokens", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(remaining, 1);
    let answer = server
        .introspect(&resource, live["access_token"].as_str().unwrap())
        .await;
    assert_eq!(answer["active"], true);
}

/// The admin CLI creates users and clients (showing the secret once, as
/// JSON), lists them without secrets, and deletes a client with its tokens.
#[tokio::test]
async fn admin_cli_manages_users_and_clients() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let server = TestServer::start().await;
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_auth-server"))
            .args(args)
            .env("DATABASE_URL", &server.database_url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        child.wait_with_output().unwrap()
    };

    let out = run(
        &[
            "user",
            "create",
            "carol",
            "--email",
            "carol@example.com",
            "--password-stdin",
            "--json",
        ],
        Some("a long password\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let user: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(user["username"], "carol");

    let out = run(
        &[
            "user",
            "create",
            "CAROL",
            "--email",
            "c2@example.com",
            "--password",
            "another one",
        ],
        None,
    );
    assert!(
        !out.status.success(),
        "a duplicate username must be refused"
    );

    let out = run(
        &[
            "client", "create", "--name", "cli app", "--grant", "password", "--json",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client: Value = serde_json::from_slice(&out.stdout).unwrap();
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    let secret = client["client_secret"].as_str().unwrap().to_owned();
    assert!(client_id.contains('_'));

    let response = server
        .token(&[
            ("grant_type", "password"),
            ("client_id", &client_id),
            ("client_secret", &secret),
            ("username", "carol"),
            ("password", "a long password"),
        ])
        .await;
    assert_eq!(response.status(), 200);

    let out = run(&["client", "list", "--json"], None);
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(listed.contains(&client_id));
    assert!(
        !listed.contains(&secret),
        "a listing must never show a secret"
    );

    let out = run(
        &["client", "create", "--name", "bad", "--grant", "implicit"],
        None,
    );
    assert!(!out.status.success(), "an unknown grant must be refused");

    let public = [
        "client",
        "create",
        "--name",
        "phone app",
        "--public",
        "--grant",
        "authorization_code",
        "--redirect-uri",
        "http://127.0.0.1/callback",
        "--json",
    ];
    let out = run(&public, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["client_secret"], Value::Null);
    let mut with_password = public.to_vec();
    with_password.extend(["--grant", "password"]);
    assert!(
        !run(&with_password, None).status.success(),
        "a public client must not get the password grant"
    );
    let mut unsafe_redirect = public.to_vec();
    unsafe_redirect[8] = "http://lan.example/callback";
    assert!(
        !run(&unsafe_redirect, None).status.success(),
        "plain http off loopback must be refused"
    );

    let out = run(&["client", "delete", &client_id], None);
    assert!(out.status.success());
    let conn = server.pool.get().await.unwrap();
    let tokens: i64 = conn
        .query_one("SELECT count(*) FROM access_tokens", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(tokens, 0, "deleting a client deletes its tokens");
}

/// Self-registration through a resource server allowed to register: the
/// new user can log in at once with the client created for them, and
/// refresh; a taken name or address, or a short password, is refused per
/// field; other callers get 401.
#[tokio::test]
async fn registration_creates_a_user_with_a_usable_client() {
    let server = TestServer::start().await;
    let (registrar, secret) = auth_server::store::ClientStore::new(server.pool.clone())
        .create(&auth_server::store::NewClient {
            name: "api-server",
            grants: &[],
            redirect_uris: &[],
            can_introspect: true,
            can_register: true,
        })
        .await
        .unwrap();
    let plain = server.create_client(&[], true).await;
    let register = |id: String, secret: String, body: Value| {
        let request = server
            .http
            .post(server.url("/internal/users"))
            .basic_auth(id, Some(secret))
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let dora = json!({"username": "dora", "email": "dora@example.com", "password": "explorer!"});

    let refused = register(plain.id.clone(), plain.secret.clone(), dora.clone()).await;
    assert_eq!(refused.status(), 401);

    let created = register(registrar.client_id.clone(), secret.clone(), dora.clone()).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["user"]["username"], "dora");
    let client_id = created["client"]["client_id"].as_str().unwrap();
    let client_secret = created["client"]["client_secret"].as_str().unwrap();
    assert_eq!(created["client"]["name"], "Default client");
    let login = server
        .token(&[
            ("grant_type", "password"),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("username", "dora"),
            ("password", "explorer!"),
        ])
        .await;
    assert_eq!(login.status(), 200);
    let login: Value = login.json().await.unwrap();
    let refreshed = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("refresh_token", login["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(refreshed.status(), 200);

    let again = register(registrar.client_id.clone(), secret.clone(), dora).await;
    assert_eq!(again.status(), 400);
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        again["fields"]["username"][0],
        "This value is already used."
    );
    assert_eq!(again["fields"]["email"][0], "This value is already used.");

    let short = json!({"username": "eve", "email": "eve@example.com", "password": "1234"});
    let short: Value = register(registrar.client_id, secret, short)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        short["fields"]["password"][0],
        "Your password must be at least 8 characters."
    );
    assert!(short["fields"].get("username").is_none());
}
