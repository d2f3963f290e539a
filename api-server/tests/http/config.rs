//! `GET /api/config` (wallabag-api.md §5.5): the caller's settings.

use serde_json::Value;

use crate::support::TestApp;

/// §5.5: exactly wallabag's seven keys for default settings, a float
/// reading speed, and the language.
#[tokio::test]
async fn config_shows_the_default_settings() {
    let app = TestApp::start().await;
    let token = app.user_token("alice").await;

    let response = app
        .http
        .get(app.url("/api/config.json"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    assert!(text.contains("\"reading_speed\":200.0"), "{text}");
    let body: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "action_mark_as_read",
            "display_thumbnails",
            "id",
            "items_per_page",
            "language",
            "list_mode",
            "reading_speed"
        ]
    );
    assert_eq!(body["language"], "en");
}

/// Each user has their own settings row, created once.
#[tokio::test]
async fn config_is_per_user_and_stable() {
    let app = TestApp::start().await;
    let alice = app.user_token("alice").await;
    let bob = app.user_token("bob").await;
    let config_of = |token: String| {
        let request = app.http.get(app.url("/api/config")).bearer_auth(token);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };

    let first = config_of(alice.clone()).await;
    let again = config_of(alice).await;
    let other = config_of(bob).await;

    assert_eq!(first["id"], again["id"]);
    assert_ne!(first["id"], other["id"]);
}

/// §5.5: without a token, the 401 of §2.3.
#[tokio::test]
async fn config_needs_a_token() {
    let app = TestApp::start().await;

    let response = app
        .http
        .get(app.url("/api/config.json"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "access_denied");
    assert!(body["error_description"].is_string());
}
