//! The batch routes over real HTTP (wallabag-api.md §5.17–§5.20): JSON
//! lists in the query string, one answer per item in order, the ten-URL
//! limit, refusal of malformed lists without any change, and one user's
//! entries out of another's reach (§2.4).
//!
//! Differences from wallabag's own tests: there are no tagging rules here,
//! so tag counts are exactly what was sent.

use reqwest::Method;
use serde_json::{Value, json};

use crate::entries_support::{Api, Reply, fixture, id_of, labels, serve_site, sql_count};
use crate::support::{TestApp, closed_port_url};

/// Sends `key=<value as JSON>` in the query string, as clients do.
async fn batch(api: &Api<'_>, method: Method, path: &str, key: &str, value: &Value) -> Reply {
    batch_raw(api, method, path, key, &value.to_string()).await
}

/// Sends `key=<text>` in the query string, whatever the text.
async fn batch_raw(api: &Api<'_>, method: Method, path: &str, key: &str, text: &str) -> Reply {
    let request = api.request(method, path).query(&[(key, text)]);
    Reply::read(request.send().await.unwrap()).await
}

async fn entry_count(app: &TestApp) -> i64 {
    sql_count(app, "SELECT count(*) FROM entries").await
}

// ---------------------------------------------------------------------------
// POST /api/entries/lists (§5.17)

/// §5.17: a new URL is saved and fetched, a saved one is reused, and the
/// answer echoes each URL in order with its entry's id.
#[tokio::test]
async fn creating_entries_saves_new_urls_and_reuses_saved_ones() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let site = serve_site().await;
    let existing = alice.save(&fixture("127.0.0.1", "saved"), &[]).await;
    let new_url = format!("{site}/article");
    let saved_url = existing["url"].as_str().unwrap();

    let answer = batch(
        &alice,
        Method::POST,
        "/api/entries/lists",
        "urls",
        &json!([new_url, saved_url]),
    )
    .await
    .ok();
    let items = answer.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["url"], new_url);
    assert_eq!(items[1]["url"], saved_url);
    assert_eq!(items[1]["entry"], existing["id"]);
    let new_id = items[0]["entry"].as_i64().unwrap();
    assert_ne!(new_id, id_of(&existing));

    let created = alice.get(&format!("/api/entries/{new_id}")).await.ok();
    assert_eq!(created["title"], "Baking sourdough");
    assert!(created["content"].as_str().unwrap().contains("w0x1"));
    assert_eq!(created["tags"], json!([]));
    assert_eq!(created["is_archived"], 0);
    let unchanged = alice
        .get(&format!("/api/entries/{}", id_of(&existing)))
        .await
        .ok();
    assert_eq!(unchanged["updated_at"], existing["updated_at"]);
    assert_eq!(entry_count(&app).await, 2);
}

/// §5.17: an unfetchable URL is still saved, as not parsed; a URL given
/// twice makes one entry; an invalid URL answers `false` and saves nothing.
#[tokio::test]
async fn creating_entries_saves_unfetchable_urls_once_and_skips_invalid_ones() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let dead = format!("{}/gone", closed_port_url().await);

    let answer = batch(
        &alice,
        Method::POST,
        "/api/entries/lists.json",
        "urls",
        &json!([dead, "wallabagIsAwesome", dead]),
    )
    .await
    .ok();
    let id = answer[0]["entry"].as_i64().unwrap();
    assert_eq!(
        answer,
        json!([
            {"url": dead, "entry": id},
            {"url": "wallabagIsAwesome", "entry": false},
            {"url": dead, "entry": id},
        ])
    );
    let created = alice.get(&format!("/api/entries/{id}")).await.ok();
    assert!(
        created["content"]
            .as_str()
            .unwrap()
            .contains("wallabag can't retrieve contents")
    );
    assert_eq!(entry_count(&app).await, 1);
}

/// §5.17: an empty or absent list answers `[]`.
#[tokio::test]
async fn creating_entries_from_an_empty_list_answers_an_empty_array() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    let answer = batch(
        &alice,
        Method::POST,
        "/api/entries/lists",
        "urls",
        &json!([]),
    )
    .await
    .ok();
    assert_eq!(answer, json!([]));
    let reply = Reply::read(
        alice
            .request(Method::POST, "/api/entries/lists")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.ok(), json!([]));
    assert_eq!(entry_count(&app).await, 0);
}

/// §5.17: ten URLs are taken, eleven are refused with `API limit reached`
/// and nothing is saved.
#[tokio::test]
async fn creating_more_than_ten_entries_at_once_is_refused() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let dead = closed_port_url().await;
    let urls: Vec<String> = (0..11).map(|n| format!("{dead}/{n}")).collect();

    let reply = batch(
        &alice,
        Method::POST,
        "/api/entries/lists",
        "urls",
        &json!(urls),
    )
    .await;
    assert!(reply.text.contains("API limit reached"), "{}", reply.text);
    assert_eq!(reply.error(400), "API limit reached");
    assert_eq!(entry_count(&app).await, 0);

    let answer = batch(
        &alice,
        Method::POST,
        "/api/entries/lists",
        "urls",
        &json!(urls[..10]),
    )
    .await
    .ok();
    assert_eq!(answer.as_array().unwrap().len(), 10);
    assert_eq!(entry_count(&app).await, 10);
}

// ---------------------------------------------------------------------------
// DELETE /api/entries/list (§5.18)

/// §5.18: a saved URL answers `true` and its entry is gone, an unknown one
/// `false`, and a URL whose entry went earlier in the list `false`. The
/// route is not mistaken for `DELETE /api/entries/{id}`.
#[tokio::test]
async fn deleting_entries_by_url_reports_each_url() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let saved = alice.save(&fixture("127.0.0.1", "doomed"), &[]).await;
    let kept = alice.save(&fixture("127.0.0.1", "kept"), &[]).await;
    let url = saved["url"].as_str().unwrap();
    let unknown = fixture("127.0.0.1", "unknown");

    let answer = batch(
        &alice,
        Method::DELETE,
        "/api/entries/list",
        "urls",
        &json!([url, unknown, url]),
    )
    .await
    .ok();
    assert_eq!(
        answer,
        json!([
            {"url": url, "entry": true},
            {"url": unknown, "entry": false},
            {"url": url, "entry": false},
        ])
    );
    alice
        .get(&format!("/api/entries/{}", id_of(&saved)))
        .await
        .error(404);
    alice
        .get(&format!("/api/entries/{}", id_of(&kept)))
        .await
        .ok();

    let answer = batch(
        &alice,
        Method::DELETE,
        "/api/entries/list",
        "urls",
        &json!([]),
    )
    .await
    .ok();
    assert_eq!(answer, json!([]));
    assert_eq!(entry_count(&app).await, 1);
}

// ---------------------------------------------------------------------------
// POST /api/entries/tags/lists (§5.19)

/// §5.19: an entry with two tags gets the two sent (trimmed, lower-cased)
/// and has four; an unknown URL answers `false`; `[]` answers `[]`.
#[tokio::test]
async fn adding_tags_by_url_tags_each_entry_found() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "entry4"), &[("tags", "foo,bar")])
        .await;
    let url = entry["url"].as_str().unwrap();
    let unknown = fixture("127.0.0.1", "unknown");

    let answer = batch(
        &alice,
        Method::POST,
        "/api/entries/tags/lists",
        "list",
        &json!([
            {"url": url, "tags": "new tag 1, New Tag 2"},
            {"url": unknown, "tags": "lost"},
        ]),
    )
    .await
    .ok();
    assert_eq!(
        answer,
        json!([{"url": url, "entry": id_of(&entry)}, {"url": unknown, "entry": false}])
    );
    let after = alice
        .get(&format!("/api/entries/{}", id_of(&entry)))
        .await
        .ok();
    assert_eq!(labels(&after), ["bar", "foo", "new tag 1", "new tag 2"]);
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM tags WHERE label = 'lost'").await,
        0
    );

    let answer = batch(
        &alice,
        Method::POST,
        "/api/entries/tags/lists",
        "list",
        &json!([]),
    )
    .await
    .ok();
    assert_eq!(answer, json!([]));
}

// ---------------------------------------------------------------------------
// DELETE /api/entries/tags/list (§5.20)

/// §5.20: the labels sent leave the entry; they are matched exactly (not
/// lower-cased), unknown ones are skipped, and the tag rows stay.
#[tokio::test]
async fn removing_tags_by_url_matches_labels_exactly() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(
            &fixture("127.0.0.1", "untag"),
            &[("tags", "foo-tag,bar-tag")],
        )
        .await;
    let url = entry["url"].as_str().unwrap();
    let path = format!("/api/entries/{}", id_of(&entry));

    let answer = batch(
        &alice,
        Method::DELETE,
        "/api/entries/tags/list",
        "list",
        &json!([{"url": url, "tags": "Foo-Tag, unknown"}]),
    )
    .await
    .ok();
    assert_eq!(answer, json!([{"url": url, "entry": id_of(&entry)}]));
    assert_eq!(labels(&alice.get(&path).await.ok()), ["bar-tag", "foo-tag"]);

    let answer = batch(
        &alice,
        Method::DELETE,
        "/api/entries/tags/list",
        "list",
        &json!([{"url": url, "tags": "foo-tag, bar-tag"}]),
    )
    .await
    .ok();
    assert_eq!(answer, json!([{"url": url, "entry": id_of(&entry)}]));
    assert_eq!(alice.get(&path).await.ok()["tags"], json!([]));
    assert_eq!(sql_count(&app, "SELECT count(*) FROM tags").await, 2);

    let answer = batch(
        &alice,
        Method::DELETE,
        "/api/entries/tags/list",
        "list",
        &json!([]),
    )
    .await
    .ok();
    assert_eq!(answer, json!([]));
}

// ---------------------------------------------------------------------------
// Bad input, isolation and tokens (§1.1, §2.3, §2.4)

/// Malformed lists in any batch route are a 400 saying what was expected,
/// and change nothing.
#[tokio::test]
async fn malformed_lists_are_refused_and_change_nothing() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "intact"), &[("tags", "kept")])
        .await;
    let url = entry["url"].as_str().unwrap();

    for (method, path) in [
        (Method::POST, "/api/entries/lists"),
        (Method::DELETE, "/api/entries/list"),
    ] {
        for text in [
            format!("[\"{url}\""),
            "[1, 2]".to_owned(),
            format!("{{\"url\": \"{url}\"}}"),
        ] {
            let reply = batch_raw(&alice, method.clone(), path, "urls", &text).await;
            let message = reply.error(400);
            assert!(
                message.starts_with("urls must be a JSON array"),
                "{message}"
            );
        }
    }
    for (method, path) in [
        (Method::POST, "/api/entries/tags/lists"),
        (Method::DELETE, "/api/entries/tags/list"),
    ] {
        for text in [
            format!("[{{\"url\": \"{url}\", \"tags\": \"kept\"}}"),
            "[{\"tags\": \"kept\"}]".to_owned(),
            format!("[{{\"url\": \"{url}\", \"tags\": 5}}]"),
            "not json".to_owned(),
        ] {
            let reply = batch_raw(&alice, method.clone(), path, "list", &text).await;
            let message = reply.error(400);
            assert!(
                message.starts_with("list must be a JSON array"),
                "{message}"
            );
        }
    }

    let after = alice
        .get(&format!("/api/entries/{}", id_of(&entry)))
        .await
        .ok();
    assert_eq!(labels(&after), ["kept"]);
    assert_eq!(after["updated_at"], entry["updated_at"]);
    assert_eq!(entry_count(&app).await, 1);
}

/// §2.4: bob's batches never reach alice's entries: her URLs are unknown
/// to him (`false`), her entry and tags stay as they were, and saving her
/// URL gives him an entry of his own.
#[tokio::test]
async fn another_users_batches_never_reach_an_entry() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let bob = Api::user(&app, "bob").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "alices"), &[("tags", "mine")])
        .await;
    let url = entry["url"].as_str().unwrap();

    let answer = batch(
        &bob,
        Method::DELETE,
        "/api/entries/list",
        "urls",
        &json!([url]),
    )
    .await
    .ok();
    assert_eq!(answer, json!([{"url": url, "entry": false}]));
    for (method, path, tags) in [
        (Method::POST, "/api/entries/tags/lists", "bobs"),
        (Method::DELETE, "/api/entries/tags/list", "mine"),
    ] {
        let answer = batch(
            &bob,
            method,
            path,
            "list",
            &json!([{"url": url, "tags": tags}]),
        )
        .await
        .ok();
        assert_eq!(answer, json!([{"url": url, "entry": false}]), "{path}");
    }

    let after = alice
        .get(&format!("/api/entries/{}", id_of(&entry)))
        .await
        .ok();
    assert_eq!(after["tags"], entry["tags"]);
    assert_eq!(after["updated_at"], entry["updated_at"]);
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM tags WHERE label = 'bobs'").await,
        0
    );

    let answer = batch(
        &bob,
        Method::POST,
        "/api/entries/lists",
        "urls",
        &json!([url]),
    )
    .await
    .ok();
    let bobs = answer[0]["entry"].as_i64().unwrap();
    assert_ne!(bobs, id_of(&entry));
    assert_eq!(
        bob.get(&format!("/api/entries/{bobs}")).await.ok()["user_name"],
        "bob"
    );
    assert_eq!(alice.get("/api/entries").await.ok()["total"], 1);
}

/// §2.3: every batch route needs a token.
#[tokio::test]
async fn batch_routes_need_a_token() {
    let app = TestApp::start().await;

    for (method, path) in [
        (Method::POST, "/api/entries/lists?urls=[]"),
        (Method::DELETE, "/api/entries/list?urls=[]"),
        (Method::POST, "/api/entries/tags/lists?list=[]"),
        (Method::DELETE, "/api/entries/tags/list?list=[]"),
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
