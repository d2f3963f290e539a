//! api-server's public page of a shared entry, as a browser renders it. It
//! needs nothing from auth-server's pages, so it also proves the harness.

use crate::harness::Browser;
use crate::support::TestApp;

/// Chromium shows a shared entry's page with its title as text (markup in
/// the title escaped, not rendered) and its sanitised content.
#[tokio::test]
async fn browser_shows_the_public_page_of_a_shared_entry() {
    let app = TestApp::start().await;
    let token = app.user_token("alice").await;
    let entry: serde_json::Value = app
        .http
        .post(app.url("/api/entries.json"))
        .bearer_auth(&token)
        .form(&[
            ("url", "https://example.org/shared"),
            ("title", "A shared <b>story</b>"),
            (
                "content",
                "<p>Worth reading.</p><script>document.title = 'hijacked'</script>",
            ),
            ("public", "1"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uid = entry["uid"].as_str().unwrap();

    let browser = Browser::start().await;
    browser
        .goto(&app.url(&format!("/share/{uid}")))
        .await
        .unwrap();

    assert_eq!(browser.text("h1").await, "A shared <b>story</b>");
    assert!(
        browser.find_all("h1 b").await.is_empty(),
        "title markup rendered"
    );
    assert_eq!(browser.title().await.unwrap(), "A shared <b>story</b>");
    assert!(browser.text("body").await.contains("Worth reading."));
    let shot = browser.screenshot("share").await;
    assert!(
        std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"),
        "{}",
        shot.display()
    );
    browser.close().await;
}
