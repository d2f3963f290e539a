//! Who reaches the entry routes, and how: the `.json` suffix on every route
//! (wallabag-api.md §1.1, §11.5), the token they need (§2.3) and the
//! isolation of one user's entries from another's (§2.4).

use serde_json::{Value, json};

use crate::entries_support::{Api, Reply, id_of, serve_site, sql_count};
use crate::support::{TestApp, closed_port_url};

// ---------------------------------------------------------------------------
// Every entry route (§1.1)

/// §1.1, §11.5: every entry route answers with and without `.json`.
#[tokio::test]
async fn entry_routes_answer_with_and_without_the_json_suffix() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    // Unfetchable, so the reload below is a 304.
    let url = format!("{}/suffix", closed_port_url().await);
    let created = alice
        .post(
            "/api/entries.json",
            &[("url", &url), ("content", "<p>x</p>")],
        )
        .await
        .ok();
    let id = id_of(&created);
    assert_eq!(alice.get("/api/entries.json").await.ok()["total"], 1);
    assert_eq!(alice.get("/api/entries.html").await.ok()["total"], 1);
    assert_eq!(
        id_of(&alice.get(&format!("/api/entries/{id}.json")).await.ok()),
        id
    );
    let patched = alice
        .patch(&format!("/api/entries/{id}.json"), &[("title", "suffixed")])
        .await
        .ok();
    assert_eq!(patched["title"], "suffixed");
    assert_eq!(
        alice
            .request(
                reqwest::Method::PATCH,
                &format!("/api/entries/{id}/reload.json")
            )
            .send()
            .await
            .unwrap()
            .status(),
        304
    );
    let deleted = alice
        .delete(&format!("/api/entries/{id}.json?expect=id"))
        .await
        .ok();
    assert_eq!(deleted, json!({"id": id}));
}

// ---------------------------------------------------------------------------
// Isolation (§2.4)

/// §2.4: another user's entry is a 404 for every route, is never listed nor
/// found by `exists`, and their attempts change nothing.
#[tokio::test]
async fn another_user_cannot_see_change_delete_reload_or_find_an_entry() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let bob = Api::user(&app, "bob").await;
    let site = serve_site().await;
    let url = format!("{site}/article");
    let entry = alice.post("/api/entries", &[("url", &url)]).await.ok();
    let id = id_of(&entry);
    let path = format!("/api/entries/{id}");

    assert_eq!(bob.get(&path).await.error(404), "Not Found");
    assert_eq!(
        bob.patch(&path, &[("title", "bob's")]).await.error(404),
        "Not Found"
    );
    assert_eq!(
        bob.patch_json(&path, json!({"tags": "bob"}))
            .await
            .error(404),
        "Not Found"
    );
    assert_eq!(bob.delete(&path).await.error(404), "Not Found");
    assert_eq!(
        bob.delete(&format!("{path}?expect=id")).await.error(404),
        "Not Found"
    );
    let reload = bob
        .request(reqwest::Method::PATCH, &format!("{path}/reload"))
        .send()
        .await
        .unwrap();
    assert_eq!(Reply::read(reload).await.error(404), "Not Found");

    let query = format!("url={url}&return_id=1");
    assert_eq!(
        bob.get(&format!("/api/entries/exists?{query}")).await.ok(),
        json!({"exists": null})
    );
    assert_eq!(bob.get("/api/entries").await.ok()["total"], 0);

    let after = alice.get(&path).await.ok();
    assert_eq!(after["title"], entry["title"]);
    assert_eq!(after["updated_at"], entry["updated_at"]);
    assert_eq!(after["tags"], json!([]));
    assert_eq!(sql_count(&app, "SELECT count(*) FROM tags").await, 0);

    // Bob posting the same URL gets an entry of his own.
    let bobs = bob.post("/api/entries", &[("url", &url)]).await.ok();
    assert_ne!(bobs["id"], entry["id"]);
    assert_eq!(bobs["user_name"], "bob");
}

/// §2.3: the entry routes need a token.
#[tokio::test]
async fn entry_routes_need_a_token() {
    let app = TestApp::start().await;

    for (method, path) in [
        (reqwest::Method::GET, "/api/entries"),
        (reqwest::Method::POST, "/api/entries"),
        (reqwest::Method::GET, "/api/entries/exists?url=x"),
        (reqwest::Method::GET, "/api/entries/1"),
        (reqwest::Method::PATCH, "/api/entries/1"),
        (reqwest::Method::DELETE, "/api/entries/1"),
        (reqwest::Method::PATCH, "/api/entries/1/reload"),
    ] {
        let response = app
            .http
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "access_denied");
    }
}
