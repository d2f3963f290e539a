//! `PUT /api/user` (wallabag-api.md §5.4): signing up through the API, the
//! account created at auth-server.

use serde_json::{Value, json};

use crate::support::{Options, TestApp};

async fn sign_up(app: &TestApp, body: Value) -> reqwest::Response {
    app.http
        .put(app.url("/api/user.json"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn registration_on() -> Options {
    Options {
        registration_enabled: true,
        ..Options::default()
    }
}

/// Off by default: 403 with wallabag's words, and `/api/info` says so.
#[tokio::test]
async fn registration_is_refused_when_disabled() {
    let app = TestApp::start().await;

    let response = sign_up(
        &app,
        json!({"username": "newuser", "password": "long enough", "email": "new@example.com"}),
    )
    .await;

    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"error": "Server doesn't allow registrations"}));
    let info: Value = app
        .http
        .get(app.url("/api/info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["allowed_registration"], false);
}

/// §5.4: 201 without a token, the user and a default client whose
/// credentials log the new user in, so the API works for them at once.
#[tokio::test]
async fn sign_up_creates_a_user_and_a_usable_client() {
    let app = TestApp::start_with(registration_on()).await;

    let response = sign_up(
        &app,
        json!({"username": "newuser", "password": "long enough", "email": "new@example.com"}),
    )
    .await;

    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    for key in [
        "id",
        "email",
        "username",
        "created_at",
        "updated_at",
        "default_client",
    ] {
        assert!(body.get(key).is_some(), "{key} missing from {body}");
    }
    assert_eq!(body["default_client"]["name"], "Default client");
    assert!(body["created_at"].as_str().unwrap().ends_with("+0000"));

    let client = &body["default_client"];
    let login: Value = app
        .http
        .post(format!("{}/oauth/v2/token", app.auth_base))
        .form(&[
            ("grant_type", "password"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
            ("username", "newuser"),
            ("password", "long enough"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let me: Value = app
        .http
        .get(app.url("/api/user"))
        .bearer_auth(login["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "newuser");
}

/// A given client name is used; form bodies work as well as JSON.
#[tokio::test]
async fn sign_up_takes_a_client_name_and_form_bodies() {
    let app = TestApp::start_with(registration_on()).await;

    let response = app
        .http
        .put(app.url("/api/user"))
        .form(&[
            ("username", "formuser"),
            ("password", "long enough"),
            ("email", "form@example.com"),
            ("client_name", "My reader"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["default_client"]["name"], "My reader");
}

/// §5.4: a taken username and e-mail are both reported; a short password
/// too; nothing is created.
#[tokio::test]
async fn invalid_sign_ups_are_refused_per_field() {
    let app = TestApp::start_with(registration_on()).await;
    app.create_user("alice").await;

    let taken = sign_up(
        &app,
        json!({"username": "alice", "password": "long enough", "email": "alice@example.com"}),
    )
    .await;
    assert_eq!(taken.status(), 400);
    assert_eq!(taken.headers()["content-type"], "application/json");
    let taken: Value = taken.json().await.unwrap();
    assert_eq!(taken["error"]["username"][0], "This value is already used.");
    assert_eq!(taken["error"]["email"][0], "This value is already used.");

    let short: Value = sign_up(
        &app,
        json!({"username": "shorty", "password": "1234", "email": "shorty@example.com"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        short["error"]["password"][0],
        "Your password must be at least 8 characters."
    );
    let conn = app.auth_pool.get().await.unwrap();
    let users: i64 = conn
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(users, 1, "only alice exists");
}
