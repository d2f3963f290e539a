//! The authorization-code grant with PKCE over HTTP: consent, redirect
//! rules, PKCE failures and downgrade, replay, expiry, another client's
//! code, and the tokens it yields.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use crate::error_of;
use crate::support::{Browser, PASSWORD, Page, TestClient, TestServer};

const REDIRECT: &str = "https://app.example/callback";

/// A PKCE verifier and its S256 challenge.
fn pkce_pair() -> (String, String) {
    let verifier = crate::support::random_token();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn authorize_path(client: &TestClient, redirect_uri: &str, challenge: Option<&str>) -> String {
    let mut url = Url::parse("http://x/oauth/v2/auth").unwrap();
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", "opaque-state-42");
        if let Some(challenge) = challenge {
            query
                .append_pair("code_challenge", challenge)
                .append_pair("code_challenge_method", "S256");
        }
    }
    format!("/oauth/v2/auth?{}", url.query().unwrap())
}

/// Signs alice in, opens the consent page for `path`, and answers it.
async fn consent(browser: &Browser, path: &str, decision: &str) -> Page {
    let page = browser.get(path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"client-name\">Reader app<"));
    let mut form: Vec<(String, String)> = Vec::new();
    for name in [
        "response_type",
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge",
        "code_challenge_method",
    ] {
        if page.body.contains(&format!("name=\"{name}\"")) {
            form.push((name.to_owned(), page.hidden(name)));
        }
    }
    form.push(("_csrf_token".into(), page.hidden("_csrf_token")));
    form.push(("decision".into(), decision.into()));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post("/oauth/v2/auth", &form).await
}

/// The query of a redirect back to the app.
fn redirect_query(page: &Page, expected_prefix: &str) -> Vec<(String, String)> {
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location.clone().unwrap();
    assert!(
        location.starts_with(expected_prefix),
        "{location} does not go to {expected_prefix}"
    );
    Url::parse(&location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn signed_in_alice(server: &TestServer) -> (i64, Browser) {
    let alice = server.create_user("alice", "alice@example.com").await;
    let browser = server.browser();
    let answer = browser.sign_in("alice", PASSWORD).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    (alice, browser)
}

/// alice, signed in, and an app of hers registered for `REDIRECT`.
async fn alice_with_app(
    server: &TestServer,
    grants: &[&str],
    public: bool,
) -> (i64, Browser, TestClient) {
    let (alice, browser) = signed_in_alice(server).await;
    let app = server.create_app(alice, grants, &[REDIRECT], public).await;
    (alice, browser, app)
}

/// Runs the whole front channel and returns the code.
async fn code_for(browser: &Browser, client: &TestClient, challenge: Option<&str>) -> String {
    let answer = consent(
        browser,
        &authorize_path(client, REDIRECT, challenge),
        "allow",
    )
    .await;
    let query = redirect_query(&answer, REDIRECT);
    param(&query, "code").unwrap().to_owned()
}

async fn exchange(
    server: &TestServer,
    client: &TestClient,
    code: &str,
    verifier: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", client.id.as_str()),
    ];
    if !client.secret.is_empty() {
        form.push(("client_secret", client.secret.as_str()));
    }
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    server.token(&form).await
}

#[tokio::test]
async fn the_code_flow_with_pkce_issues_working_tokens() {
    let server = TestServer::start().await;
    let alice = server.create_user("alice", "alice@example.com").await;
    let app = server
        .create_app(
            alice,
            &["authorization_code", "refresh_token"],
            &[REDIRECT],
            false,
        )
        .await;
    let (verifier, challenge) = pkce_pair();
    let browser = server.browser();
    let path = authorize_path(&app, REDIRECT, Some(&challenge));

    // Signed out: sent to sign in, and brought back afterwards.
    let first = browser.get(&path).await;
    assert_eq!(first.status, 302);
    let to_sign_in = first.location.unwrap();
    assert!(to_sign_in.starts_with("/login?next="), "{to_sign_in}");
    let form = browser.get(&to_sign_in).await;
    let back = browser
        .post(
            "/login_check",
            &[
                ("_username", "alice"),
                ("_password", PASSWORD),
                ("_csrf_token", &form.hidden("_csrf_token")),
                ("next", &form.hidden("next")),
            ],
        )
        .await;
    assert_eq!(back.status, 303);
    assert_eq!(back.location.as_deref(), Some(path.as_str()));

    let answer = consent(&browser, &path, "allow").await;
    let query = redirect_query(&answer, REDIRECT);
    assert_eq!(param(&query, "state"), Some("opaque-state-42"));
    assert_eq!(param(&query, "iss"), Some("http://auth.test"));
    let code = param(&query, "code").unwrap();

    let response = exchange(&server, &app, code, Some(&verifier)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["scope"], Value::Null);
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let api = server.create_client(&["client_credentials"], true).await;
    let seen = server.introspect(&api, access).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["username"], "alice");
    assert_eq!(seen["client_id"], app.id.as_str());

    let refreshed = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
        ])
        .await;
    assert_eq!(refreshed.status(), 200);
}

#[tokio::test]
async fn a_public_client_must_use_pkce_and_needs_no_secret() {
    let server = TestServer::start().await;
    let (_, browser, app) =
        alice_with_app(&server, &["authorization_code", "refresh_token"], true).await;
    assert!(app.secret.is_empty());

    // Without a challenge the request goes back as invalid_request.
    let page = browser.get(&authorize_path(&app, REDIRECT, None)).await;
    assert_eq!(page.status, 303);
    let query: Vec<(String, String)> = Url::parse(page.location.as_deref().unwrap())
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(param(&query, "error"), Some("invalid_request"));
    assert_eq!(param(&query, "state"), Some("opaque-state-42"));
    assert_eq!(param(&query, "iss"), Some("http://auth.test"));

    let (verifier, challenge) = pkce_pair();
    let code = code_for(&browser, &app, Some(&challenge)).await;
    let response = exchange(&server, &app, &code, Some(&verifier)).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_public_client_cannot_use_the_password_grant() {
    let server = TestServer::start().await;
    let alice = server.create_user("alice", "alice@example.com").await;
    // Even if its row were to list the grant.
    let app = server
        .create_app(
            alice,
            &["authorization_code", "password"],
            &[REDIRECT],
            true,
        )
        .await;
    let response = server
        .token(&[
            ("grant_type", "password"),
            ("client_id", &app.id),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        (
            400,
            "unauthorized_client".into(),
            "The grant type is unauthorized for this client_id".into()
        )
    );
}

#[tokio::test]
async fn pkce_failures_and_downgrades_are_refused() {
    let server = TestServer::start().await;
    let (_, browser, app) = alice_with_app(&server, &["authorization_code"], false).await;
    let pkce_refused = (
        400,
        "invalid_grant".to_owned(),
        "The code verifier is missing or does not match the code challenge".to_owned(),
    );

    // A wrong verifier.
    let (_, challenge) = pkce_pair();
    let code = code_for(&browser, &app, Some(&challenge)).await;
    let (other_verifier, _) = pkce_pair();
    let response = exchange(&server, &app, &code, Some(&other_verifier)).await;
    assert_eq!(error_of(response).await, pkce_refused);

    // No verifier for a code issued with a challenge.
    let (_, challenge) = pkce_pair();
    let code = code_for(&browser, &app, Some(&challenge)).await;
    let response = exchange(&server, &app, &code, None).await;
    assert_eq!(error_of(response).await, pkce_refused);

    // Downgrade: a verifier for a code issued without a challenge.
    let code = code_for(&browser, &app, None).await;
    let (verifier, _) = pkce_pair();
    let response = exchange(&server, &app, &code, Some(&verifier)).await;
    assert_eq!(error_of(response).await, pkce_refused);

    // The `plain` method is not offered.
    let mut path = authorize_path(&app, REDIRECT, Some(&challenge));
    path = path.replace("code_challenge_method=S256", "code_challenge_method=plain");
    let page = browser.get(&path).await;
    assert_eq!(page.status, 303);
    assert!(page.location.unwrap().contains("error=invalid_request"));

    // No token came out of any of this.
    let conn = server.pool.get().await.unwrap();
    let issued: i64 = conn
        .query_one("SELECT count(*) FROM access_tokens", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(issued, 0);
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    let server = TestServer::start().await;
    let (_, browser, app) =
        alice_with_app(&server, &["authorization_code", "refresh_token"], false).await;
    let (verifier, challenge) = pkce_pair();
    let code = code_for(&browser, &app, Some(&challenge)).await;

    let first: Value = exchange(&server, &app, &code, Some(&verifier))
        .await
        .json()
        .await
        .unwrap();
    let replay = exchange(&server, &app, &code, Some(&verifier)).await;
    assert_eq!(
        error_of(replay).await,
        (
            400,
            "invalid_grant".into(),
            "Code doesn't exist or is invalid for the client".into()
        )
    );

    let api = server.create_client(&["client_credentials"], true).await;
    let seen = server
        .introspect(&api, first["access_token"].as_str().unwrap())
        .await;
    assert_eq!(seen["active"], false);
    let refresh = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
        ])
        .await;
    assert_eq!(refresh.status(), 400);
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let server = TestServer::start().await;
    let (_, browser, app) = alice_with_app(&server, &["authorization_code"], false).await;
    let (verifier, challenge) = pkce_pair();
    let code = code_for(&browser, &app, Some(&challenge)).await;
    server
        .sql("UPDATE authorization_codes SET expires_at = now() - interval '1 second'")
        .await;

    let response = exchange(&server, &app, &code, Some(&verifier)).await;
    assert_eq!(
        error_of(response).await,
        (
            400,
            "invalid_grant".into(),
            "The authorization code has expired".into()
        )
    );
}

#[tokio::test]
async fn codes_live_as_long_as_configured() {
    let server = TestServer::start_with(|config| config.authorization_code_ttl = 45).await;
    let (_, browser, app) = alice_with_app(&server, &["authorization_code"], false).await;
    code_for(&browser, &app, None).await;
    let conn = server.pool.get().await.unwrap();
    let seconds: f64 = conn
        .query_one(
            "SELECT extract(epoch FROM expires_at - created_at)::float8 FROM authorization_codes",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!((44.0..=46.0).contains(&seconds), "{seconds}");
}

#[tokio::test]
async fn another_clients_code_is_refused() {
    let server = TestServer::start().await;
    let (alice, browser, app) = alice_with_app(&server, &["authorization_code"], false).await;
    let thief = server
        .create_app(alice, &["authorization_code"], &[REDIRECT], false)
        .await;
    let (verifier, challenge) = pkce_pair();
    let code = code_for(&browser, &app, Some(&challenge)).await;

    let response = exchange(&server, &thief, &code, Some(&verifier)).await;
    assert_eq!(
        error_of(response).await,
        (
            400,
            "invalid_grant".into(),
            "Code doesn't exist or is invalid for the client".into()
        )
    );
}

#[tokio::test]
async fn an_unregistered_redirect_uri_is_never_followed() {
    let server = TestServer::start().await;
    let (_, browser, app) = alice_with_app(&server, &["authorization_code"], false).await;
    for bad in [
        "https://evil.example/callback",
        "https://app.example/callback/../../evil",
        "https://app.example/callbackx",
        "https://app.example/callback?next=https://evil.example",
        "http://app.example/callback",
    ] {
        let page = browser.get(&authorize_path(&app, bad, None)).await;
        assert_eq!(page.status, 400, "{bad}");
        assert_eq!(page.location, None, "{bad}");
        assert!(page.body.contains("id=\"oauth-error\""), "{bad}");
    }

    // An unknown client is a page too, never a redirect.
    let stranger = TestClient {
        id: "999_nobody".into(),
        secret: String::new(),
    };
    let page = browser
        .get(&authorize_path(&stranger, REDIRECT, None))
        .await;
    assert_eq!(page.status, 400);
    assert_eq!(page.location, None);
}

#[tokio::test]
async fn loopback_redirect_uris_may_use_any_port() {
    let server = TestServer::start().await;
    let (alice, browser) = signed_in_alice(&server).await;
    let app = server
        .create_app(
            alice,
            &["authorization_code"],
            &["http://127.0.0.1/callback"],
            true,
        )
        .await;
    let (verifier, challenge) = pkce_pair();
    let redirect = "http://127.0.0.1:53111/callback";
    let answer = consent(
        &browser,
        &authorize_path(&app, redirect, Some(&challenge)),
        "allow",
    )
    .await;
    let query = redirect_query(&answer, "http://127.0.0.1:53111/callback?");
    let response = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", param(&query, "code").unwrap()),
            ("redirect_uri", redirect),
            ("client_id", &app.id),
            ("code_verifier", &verifier),
        ])
        .await;
    assert_eq!(response.status(), 200);

    // The code is bound to the port it was issued for.
    let answer = consent(
        &browser,
        &authorize_path(&app, redirect, Some(&challenge)),
        "allow",
    )
    .await;
    let query = redirect_query(&answer, redirect);
    let response = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", param(&query, "code").unwrap()),
            ("redirect_uri", "http://127.0.0.1:4000/callback"),
            ("client_id", &app.id),
            ("code_verifier", &verifier),
        ])
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn denying_sends_access_denied_with_the_state() {
    let server = TestServer::start().await;
    let (_, browser, app) = alice_with_app(&server, &["authorization_code"], false).await;
    let answer = consent(&browser, &authorize_path(&app, REDIRECT, None), "deny").await;
    let query = redirect_query(&answer, REDIRECT);
    assert_eq!(param(&query, "error"), Some("access_denied"));
    assert_eq!(param(&query, "state"), Some("opaque-state-42"));
    assert_eq!(param(&query, "iss"), Some("http://auth.test"));
    assert_eq!(param(&query, "code"), None);
}

#[tokio::test]
async fn consent_needs_the_sessions_csrf_token() {
    let server = TestServer::start().await;
    let (_, browser, app) = alice_with_app(&server, &["authorization_code"], false).await;
    let forged = browser
        .post(
            "/oauth/v2/auth",
            &[
                ("response_type", "code"),
                ("client_id", &app.id),
                ("redirect_uri", REDIRECT),
                ("decision", "allow"),
                ("_csrf_token", "guessed"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(forged.location, None);
    let conn = server.pool.get().await.unwrap();
    let codes: i64 = conn
        .query_one("SELECT count(*) FROM authorization_codes", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(codes, 0);
}

#[tokio::test]
async fn a_client_without_the_code_grant_is_told_so_at_its_redirect_uri() {
    let server = TestServer::start().await;
    let (_, browser, app) = alice_with_app(&server, &["password"], false).await;
    let page = browser.get(&authorize_path(&app, REDIRECT, None)).await;
    assert_eq!(page.status, 303);
    let location = page.location.unwrap();
    assert!(location.starts_with(REDIRECT));
    assert!(location.contains("error=unauthorized_client"));
}

#[tokio::test]
async fn the_code_exchange_reports_missing_parameters() {
    let server = TestServer::start().await;
    let alice = server.create_user("alice", "alice@example.com").await;
    let app = server
        .create_app(alice, &["authorization_code"], &[REDIRECT], false)
        .await;
    let response = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", &app.id),
            ("client_secret", &app.secret),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_eq!(
        error_of(response).await,
        (
            400,
            "invalid_request".into(),
            "Missing parameter. \"code\" is required".into()
        )
    );
    let response = exchange(&server, &app, "made-up-code", None).await;
    assert_eq!(error_of(response).await.1, "invalid_grant");
}

#[tokio::test]
async fn metadata_advertises_the_authorization_endpoint() {
    let server = TestServer::start().await;
    let metadata = server.metadata().await;
    assert_eq!(
        metadata["authorization_endpoint"],
        "http://auth.test/oauth/v2/auth"
    );
    assert_eq!(
        metadata["response_types_supported"],
        serde_json::json!(["code"])
    );
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        metadata["authorization_response_iss_parameter_supported"],
        true
    );
}
