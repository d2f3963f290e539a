//! The web pages over HTTP: sign-in with CSRF and throttling, sign-out,
//! the developer page, and the wallabag Android app's setup wizard
//! replayed request by request (wallabag-api.md §8).

use regex::Regex;
use serde_json::Value;

use crate::support::{PASSWORD, TestServer};

async fn count(server: &TestServer, table: &str) -> i64 {
    let conn = server.pool.get().await.unwrap();
    conn.query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn signing_in_opens_a_session_in_a_protected_cookie() {
    let server = TestServer::start().await;
    server.create_user("alice", "alice@example.com").await;
    let browser = server.browser();

    let form = browser.get("/").await;
    assert_eq!(form.status, 200);
    assert!(
        form.body
            .contains("<form action=\"/login_check\" method=\"post\" name=\"loginform\">")
    );

    let response = server.http.get(server.url("/login")).send().await.unwrap();
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let csrf_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csrf_cookie.contains("HttpOnly"), "{csrf_cookie}");
    assert!(csrf_cookie.contains("SameSite=Strict"), "{csrf_cookie}");

    // By e-mail address too, as the password grant allows.
    let answer = browser.sign_in("Alice@Example.com", PASSWORD).await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.location.as_deref(), Some("/"));
    assert!(browser.cookie("session").is_some());
    let home = browser.get("/").await;
    assert!(home.body.contains("Hello, alice"));
    assert!(home.body.contains("action=\"/logout\">"));

    // The cookie holds a random id; only its digest is stored.
    let id = browser.cookie("session").unwrap();
    let conn = server.pool.get().await.unwrap();
    let stored: i64 = conn
        .query_one(
            "SELECT count(*) FROM web_sessions WHERE id_hash = sha256($1::text::bytea)",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn the_session_cookie_is_secure_behind_https() {
    let server = TestServer::start_with(|config| {
        config.public_url = url::Url::parse("https://read.example").unwrap();
    })
    .await;
    server.create_user("alice", "alice@example.com").await;
    let browser = server.browser();
    let form = browser.get("/login").await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .post(server.url("/login_check"))
        .header(
            "cookie",
            format!("sign_in_csrf={}", browser.cookie("sign_in_csrf").unwrap()),
        )
        .form(&[
            ("_username", "alice"),
            ("_password", PASSWORD),
            ("_csrf_token", form.hidden("_csrf_token").as_str()),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    assert_eq!(status, 303, "{}", response.text().await.unwrap());
    let session = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("session="))
        .unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
}

#[tokio::test]
async fn a_sign_in_without_the_forms_token_is_refused() {
    let server = TestServer::start().await;
    server.create_user("alice", "alice@example.com").await;
    let browser = server.browser();
    let answer = browser
        .post(
            "/login_check",
            &[
                ("_username", "alice"),
                ("_password", PASSWORD),
                ("_csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(answer.status, 403);
    assert!(browser.cookie("session").is_none());
    assert_eq!(count(&server, "web_sessions").await, 0);
}

/// A form or address the pages cannot read gets the error page, a 400
/// saying what was wrong, and signs no one in.
#[tokio::test]
async fn unreadable_forms_and_addresses_get_the_error_page() {
    let server = TestServer::start().await;
    server.create_user("alice", "alice@example.com").await;
    let browser = server.browser();
    let csrf = browser.get("/login").await.hidden("_csrf_token");

    let doubled = browser
        .post(
            "/login_check",
            &[
                ("_username", "alice"),
                ("_username", "bob"),
                ("_password", PASSWORD),
                ("_csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(doubled.status, 400);
    assert!(doubled.body.contains("id=\"error\""), "{}", doubled.body);
    assert!(doubled.body.contains("This form could not be read"));
    assert!(browser.cookie("session").is_none());

    let address = browser.get("/login?next=/a&next=/b").await;
    assert_eq!(address.status, 400);
    assert!(address.body.contains("This address could not be read"));
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again() {
    let server = TestServer::start().await;
    server.create_user("alice", "alice@example.com").await;
    let browser = server.browser();
    let answer = browser.sign_in("alice", "wrong").await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains("Invalid username or password"));
    assert!(answer.body.contains("name=\"loginform\""));
    assert!(browser.cookie("session").is_none());
}

#[tokio::test]
async fn sign_in_failures_are_throttled_per_account() {
    let server = TestServer::start_with(|config| config.sign_in_account_limit = 3).await;
    server.create_user("alice", "alice@example.com").await;
    server.create_user("bob", "bob@example.com").await;
    let browser = server.browser();
    for _ in 0..3 {
        assert_eq!(browser.sign_in("alice", "wrong").await.status, 200);
    }
    // Locked, even with the right password, and for any spelling.
    let locked = browser.sign_in("ALICE", PASSWORD).await;
    assert_eq!(locked.status, 429);
    assert!(locked.body.contains("Too many failed sign-ins"));
    assert!(browser.cookie("session").is_none());

    // Another account from the same address is unaffected.
    assert_eq!(browser.sign_in("bob", PASSWORD).await.status, 303);

    // When the window has passed, alice may try again.
    server
        .sql("UPDATE sign_in_failures SET window_started_at = now() - interval '1 hour'")
        .await;
    assert_eq!(
        server.browser().sign_in("alice", PASSWORD).await.status,
        303
    );
}

#[tokio::test]
async fn sign_in_failures_are_throttled_per_address() {
    let server = TestServer::start_with(|config| {
        config.sign_in_address_limit = 3;
        config.sign_in_account_limit = 100;
    })
    .await;
    server.create_user("carol", "carol@example.com").await;
    let browser = server.browser();
    for name in ["a", "b", "c"] {
        assert_eq!(browser.sign_in(name, "guess").await.status, 200);
    }
    let locked = browser.sign_in("carol", PASSWORD).await;
    assert_eq!(locked.status, 429);
}

#[tokio::test]
async fn signing_out_needs_the_token_and_ends_the_session() {
    let server = TestServer::start().await;
    server.create_user("alice", "alice@example.com").await;
    let browser = server.browser();
    browser.sign_in("alice", PASSWORD).await;
    let home = browser.get("/").await;

    let forged = browser.post("/logout", &[("_csrf_token", "forged")]).await;
    assert_eq!(forged.status, 403);
    assert!(browser.get("/").await.body.contains("Hello, alice"));

    let out = browser
        .post("/logout", &[("_csrf_token", &home.hidden("_csrf_token"))])
        .await;
    assert_eq!(out.status, 303);
    assert!(browser.cookie("session").is_none());
    assert_eq!(count(&server, "web_sessions").await, 0);
    assert!(browser.get("/").await.body.contains("name=\"loginform\""));
}

#[tokio::test]
async fn sign_in_only_returns_to_local_paths() {
    let server = TestServer::start().await;
    server.create_user("alice", "alice@example.com").await;
    let browser = server.browser();
    let form = browser.get("/login?next=//evil.example/").await;
    assert!(!form.body.contains("evil.example"));
    let answer = browser
        .post(
            "/login_check",
            &[
                ("_username", "alice"),
                ("_password", PASSWORD),
                ("_csrf_token", &form.hidden("_csrf_token")),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(answer.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn the_developer_page_manages_a_users_own_clients() {
    let server = TestServer::start().await;
    server.create_user("alice", "alice@example.com").await;
    server.create_user("bob", "bob@example.com").await;
    let alice = server.browser();
    alice.sign_in("alice", PASSWORD).await;

    // Signed out, the page asks to sign in first.
    let anonymous = server.browser().get("/developer").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(
        anonymous.location.as_deref(),
        Some("/login?next=%2Fdeveloper")
    );

    let form = alice.get("/developer/client/create").await;
    let created = alice
        .post(
            "/developer/client/create",
            &[
                ("client[name]", "My script"),
                ("client[redirect_uris]", "https://script.example/cb"),
                ("client[grants_shown]", "1"),
                ("client[grants][]", "password"),
                ("client[grants][]", "refresh_token"),
                ("client[_token]", &form.hidden("client[_token]")),
            ],
        )
        .await;
    assert_eq!(created.status, 303);
    let list = alice.get("/developer").await;
    let shown = Regex::new(
        r#"(?s)<tr class="client-id">.*?<code>([^<]+)</code>.*?<tr class="client-secret">.*?<code>([^<]+)</code>"#,
    )
    .unwrap();
    let caps = shown.captures(&list.body).expect("id and secret shown");
    let (id, secret) = (caps[1].to_owned(), caps[2].to_owned());

    // The secret works, and is stored only as a digest.
    let login = server
        .token(&[
            ("grant_type", "password"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .await;
    assert_eq!(login.status(), 200);
    let tokens: Value = login.json().await.unwrap();
    let conn = server.pool.get().await.unwrap();
    let plain: i64 = conn
        .query_one(
            "SELECT count(*) FROM clients WHERE secret_hash = convert_to($1, 'UTF8')",
            &[&secret],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(plain, 0);

    // Once the browser's short-lived copy is gone, it is never shown again.
    let later = server.browser();
    later.sign_in("alice", PASSWORD).await;
    let page = later.get("/developer").await;
    assert!(page.body.contains(&id));
    assert!(!page.body.contains(&secret));

    // bob sees none of it and cannot delete it.
    let bob = server.browser();
    bob.sign_in("bob", PASSWORD).await;
    let bobs = bob.get("/developer").await;
    assert!(!bobs.body.contains(&id));
    let number = id.split('_').next().unwrap();
    let refused = bob
        .post(
            &format!("/developer/client/delete/{number}"),
            &[("_csrf_token", &bobs.hidden("_csrf_token"))],
        )
        .await;
    assert_eq!(refused.status, 404);
    assert_eq!(count(&server, "clients").await, 1);

    // alice deletes it, and its tokens stop working.
    let deleted = alice
        .post(
            &format!("/developer/client/delete/{number}"),
            &[("_csrf_token", &list.hidden("_csrf_token"))],
        )
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(count(&server, "clients").await, 0);
    let api = server.create_client(&["client_credentials"], true).await;
    let seen = server
        .introspect(&api, tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(seen["active"], false);
}

#[tokio::test]
async fn a_bad_client_form_creates_nothing() {
    let server = TestServer::start().await;
    server.create_user("alice", "alice@example.com").await;
    let alice = server.browser();
    alice.sign_in("alice", PASSWORD).await;
    let form = alice.get("/developer/client/create").await;
    let token = form.hidden("client[_token]");

    for (uris, public, grant) in [
        ("javascript:alert(1)", "0", "password"),
        ("http://lan.example/cb", "0", "password"),
        ("https://ok.example/cb", "1", "password"),
        ("", "1", "authorization_code"),
    ] {
        let answer = alice
            .post(
                "/developer/client/create",
                &[
                    ("client[name]", "x"),
                    ("client[redirect_uris]", uris),
                    ("client[grants_shown]", "1"),
                    ("client[grants][]", grant),
                    ("client[public]", public),
                    ("client[_token]", &token),
                ],
            )
            .await;
        assert_eq!(answer.status, 400, "{uris} {public} {grant}");
        assert!(answer.body.contains("The client was not created"));
    }
    let forged = alice
        .post(
            "/developer/client/create",
            &[("client[name]", "x"), ("client[_token]", "forged")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(count(&server, "clients").await, 0);
}

/// The official Android app's wizard, request by request, with the markers
/// and the pattern it searches the pages with (WallabagWebService.java).
#[tokio::test]
async fn the_android_setup_wizard_finds_its_credentials() {
    const LOGIN_FORM: &str = "/login_check\" method=\"post\" name=\"loginform\">";
    const LOGO: &str = "alt=\"wallabag logo\" />";
    const LOGOUT: &str = "/logout\">";
    const CSRF_START: &str = "<input type=\"hidden\" name=\"_csrf_token\" value=\"";
    const CLIENT_TOKEN_START: &str =
        "<input type=\"hidden\" id=\"client__token\" name=\"client[_token]\" value=\"";
    let client_pattern = Regex::new(concat!(
        r#"(?s)<div class="collapsible-header">([^<]+?)</div>"#,
        r#".*?<td><strong><code>([^<]+?)</code></strong></td>"#,
        r#".*?<td><strong><code>([^<]+?)</code></strong></td>"#,
        r#".*?<td><strong><code>([^<]+?)</code></strong></td>"#,
        r#".*?<td><strong><code>([^<]+?)</code></strong></td>"#,
        r#".*?/developer/client/delete/"#,
    ))
    .unwrap();
    fn between(body: &str, start: &str, end: &str) -> String {
        let from = body.find(start).expect(start) + start.len();
        let to = body[from..].find(end).unwrap() + from;
        body[from..to].to_owned()
    }

    let server = TestServer::start().await;
    server.create_user("alice", "alice@example.com").await;
    let app = server.browser();

    // testConnection(): the login page, then the login, then a regular page.
    let login_page = app.get("/").await;
    assert!(login_page.body.contains(LOGIN_FORM) && login_page.body.contains(LOGO));
    let csrf = between(&login_page.body, CSRF_START, "\" />");
    let logged_in = app
        .post(
            "/login_check",
            &[
                ("_username", "alice"),
                ("_password", PASSWORD),
                ("_csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(logged_in.status, 303);
    let regular = app.get(logged_in.location.as_deref().unwrap()).await;
    assert!(regular.body.contains(LOGOUT) && regular.body.contains(LOGO));
    assert!(!regular.body.contains(LOGIN_FORM));

    // getApiClientCredentials(): no "Android app - #" client yet.
    let developer = app.get("/developer").await;
    assert_eq!(developer.status, 200);
    assert!(!client_pattern.is_match(&developer.body));

    // createApiClient(): the form's token, then the exact post it sends.
    let create_page = app.get("/developer/client/create").await;
    let token = between(&create_page.body, CLIENT_TOKEN_START, "\" />");
    let created = app
        .post(
            "/developer/client/create",
            &[
                ("client[name]", "Android app"),
                ("client[redirect_uris]", ""),
                ("client[save]", ""),
                ("client[_token]", &token),
            ],
        )
        .await;
    assert_eq!(created.status, 303);
    // OkHttp follows the redirect, then the wizard loads the list again.
    let followed = app.get(created.location.as_deref().unwrap()).await;
    assert!(client_pattern.is_match(&followed.body));
    let listed = app.get("/developer").await;
    let caps = client_pattern.captures(&listed.body).expect("client found");
    assert!(caps[1].starts_with("Android app - #"), "{}", &caps[1]);
    let (client_id, secret) = (caps[2].to_owned(), caps[3].to_owned());
    assert_eq!(&caps[4], "[]");
    assert!(caps[5].contains("password") && caps[5].contains("refresh_token"));

    // The app then logs in with the password grant and those credentials.
    let login = server
        .token(&[
            ("grant_type", "password"),
            ("client_id", &client_id),
            ("client_secret", &secret),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .await;
    assert_eq!(login.status(), 200);
}
