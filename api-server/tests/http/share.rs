//! Public sharing: `/share/{uid}` for entries made public.

use serde_json::Value;

use crate::support::TestApp;

async fn save_public_entry(app: &TestApp, token: &str) -> Value {
    app.http
        .post(app.url("/api/entries.json"))
        .bearer_auth(token)
        .form(&[
            ("url", "https://example.org/shared"),
            ("title", "A shared <b>story</b>"),
            (
                "content",
                "<p onclick=\"steal()\">Worth reading.</p><script>steal()</script>",
            ),
            ("public", "1"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A public entry has a page anyone can read without a token, with its
/// content sanitised and nothing about its owner.
#[tokio::test]
async fn public_entry_has_a_page_anyone_can_read() {
    let app = TestApp::start().await;
    let token = app.user_token("alice").await;
    let entry = save_public_entry(&app, &token).await;
    let uid = entry["uid"].as_str().unwrap();
    assert_eq!(entry["is_public"], true);

    let response = app
        .http
        .get(app.url(&format!("/share/{uid}")))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("Worth reading."), "{html}");
    assert!(
        html.contains("A shared &#60;b&#62;story"),
        "title escaped: {html}"
    );
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("onclick"), "{html}");
    assert!(!html.contains("alice"), "the owner stays private: {html}");
}

/// Unsharing removes the page; an unknown uid is a 404.
#[tokio::test]
async fn unsharing_removes_the_page() {
    let app = TestApp::start().await;
    let token = app.user_token("alice").await;
    let entry = save_public_entry(&app, &token).await;
    let uid = entry["uid"].as_str().unwrap().to_owned();

    let patched: Value = app
        .http
        .patch(app.url(&format!("/api/entries/{}.json", entry["id"])))
        .bearer_auth(&token)
        .form(&[("public", "0")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["is_public"], false);
    assert_eq!(patched["uid"], Value::Null);

    for path in [format!("/share/{uid}"), "/share/nope".to_owned()] {
        let response = app.http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}
