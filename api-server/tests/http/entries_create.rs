//! Creating entries over real HTTP: POST /api/entries (wallabag-api.md
//! §5.10), with validation, re-posting a saved URL, tags, sanitising and
//! fetching from pages served on loopback.
//!
//! Differences from wallabag's own tests: there are no tagging rules here,
//! so where upstream counts one tag more (its fixtures' rule adds `foot`),
//! these tests count exactly the tags sent.

use serde_json::{Value, json};

use crate::entries_support::{
    Api, Reply, date, fixture, id_of, labels, now_seconds, serve_site, sql_count,
};
use crate::support::{TestApp, closed_port_url};

// ---------------------------------------------------------------------------
// POST /api/entries (§5.10)

/// §5.10: a missing, blank or invalid URL is a 400 with wallabag's message,
/// and nothing is saved.
#[tokio::test]
async fn posting_an_invalid_url_is_refused_and_saves_nothing() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    let reply = alice
        .post(
            "/api/entries",
            &[
                ("url", "wallabagIsAwesome"),
                ("tags", "google"),
                ("title", "New title for my article"),
                ("content", "my content"),
                ("language", "de"),
                ("published_at", "2016-09-08T11:55:58+0200"),
                ("authors", "bob,helen"),
                ("public", "1"),
            ],
        )
        .await;
    assert_eq!(
        reply.error(400),
        "The url '\"wallabagIsAwesome\"' is not a valid url\n"
    );
    let reply = alice
        .post("/api/entries", &[("url", ""), ("content", "x")])
        .await;
    assert_eq!(reply.error(400), "The url '\"\"' is not a valid url\n");
    let reply = alice.post("/api/entries", &[("title", "no url")]).await;
    assert_eq!(reply.error(400), "The url '\"\"' is not a valid url\n");
    let reply = alice
        .post_json("/api/entries", json!({"url": "javascript:alert(1)"}))
        .await;
    reply.error(400);
    let reply = alice
        .request(reqwest::Method::POST, "/api/entries")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        Reply::read(reply).await.error(400),
        "Invalid json message received"
    );

    assert_eq!(sql_count(&app, "SELECT count(*) FROM entries").await, 0);
    assert_eq!(sql_count(&app, "SELECT count(*) FROM tags").await, 0);
}

/// §5.10: every field of a full POST is stored and echoed (upstream counts
/// one more tag, added by its fixtures' tagging rule).
#[tokio::test]
async fn posting_a_full_entry_stores_every_field() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let url = fixture("127.0.0.1", "full");

    let entry = alice
        .post(
            "/api/entries",
            &[
                ("url", &url),
                ("tags", "google"),
                ("title", "New title for my article"),
                ("content", "my content"),
                ("language", "de"),
                ("published_at", "2016-09-08T11:55:58+0200"),
                ("authors", "bob,helen"),
                ("public", "1"),
            ],
        )
        .await
        .ok();

    assert!(id_of(&entry) > 0);
    assert_eq!(entry["url"], url);
    assert_eq!(entry["given_url"], url);
    assert_eq!(entry["is_archived"], 0);
    assert_eq!(entry["is_starred"], 0);
    assert_eq!(entry["starred_at"], Value::Null);
    assert_eq!(entry["archived_at"], Value::Null);
    assert_eq!(entry["title"], "New title for my article");
    assert!(entry["user_id"].as_i64().unwrap() > 0);
    assert_eq!(labels(&entry), ["google"]);
    assert_eq!(entry["origin_url"], Value::Null);
    assert_eq!(entry["content"], "my content");
    assert_eq!(entry["language"], "de");
    assert_eq!(entry["published_at"], "2016-09-08T11:55:58+0200");
    assert_eq!(entry["published_by"], json!(["bob", "helen"]));
    assert_eq!(entry["is_public"], true);
    let uid = entry["uid"].as_str().unwrap();
    assert_eq!(uid.len(), 23, "{uid}");
    assert_eq!(uid.find('.'), Some(14), "{uid}");
    assert_eq!(entry["annotations"], json!([]));

    // The echoed offset survives a read back.
    let read = alice
        .get(&format!("/api/entries/{}", id_of(&entry)))
        .await
        .ok();
    assert_eq!(read["published_at"], "2016-09-08T11:55:58+0200");
}

/// §5.10: posting a saved URL updates that entry (same id, 200) and adds
/// the tags to those it has.
#[tokio::test]
async fn posting_a_saved_url_again_updates_the_same_entry_and_adds_tags() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let url = fixture("127.0.0.1", "again");
    let first = alice
        .save(&url, &[("archive", "1"), ("tags", "google")])
        .await;

    let again = alice
        .post(
            "/api/entries",
            &[("url", &url), ("archive", "1"), ("tags", "google, apple")],
        )
        .await
        .ok();

    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["is_archived"], 1);
    assert_eq!(again["is_starred"], 0);
    assert_eq!(labels(&again), ["apple", "google"]);
    assert_eq!(sql_count(&app, "SELECT count(*) FROM entries").await, 1);
    assert_eq!(sql_count(&app, "SELECT count(*) FROM tags").await, 2);
    // Content is kept, not fetched again.
    assert_eq!(again["content"], "<p>some content</p>");
}

/// §5.10: when the fetch fails the entry is still saved, not parsed, with
/// wallabag's message, the host as domain and the path's basename or the
/// host as title.
#[tokio::test]
async fn a_failed_fetch_still_saves_the_entry_as_not_parsed() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let base = closed_port_url().await;
    let root = format!("{base}/");

    let entry = alice.post("/api/entries", &[("url", &root)]).await.ok();

    assert_eq!(entry["url"], root);
    assert_eq!(entry["domain_name"], "127.0.0.1");
    assert_eq!(entry["title"], "127.0.0.1");
    let content = entry["content"].as_str().unwrap();
    assert!(
        content.starts_with("wallabag can't retrieve contents for this article."),
        "{content}"
    );
    assert_eq!(entry["http_status"], Value::Null);

    let page = alice
        .post(
            "/api/entries",
            &[("url", &format!("{base}/posts/bread.html"))],
        )
        .await
        .ok();
    assert_eq!(page["title"], "bread.html");
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM entries WHERE is_not_parsed").await,
        2
    );
}

/// §5.10: `archive` and `starred` set the flags and their dates to now.
#[tokio::test]
async fn posting_archive_and_starred_sets_their_dates() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let before = now_seconds();

    let entry = alice
        .save(
            &fixture("127.0.0.1", "flags"),
            &[("archive", "1"), ("starred", "1")],
        )
        .await;

    assert_eq!(entry["is_archived"], 1);
    assert_eq!(entry["is_starred"], 1);
    assert!(date(&entry["archived_at"]) >= before);
    assert!(date(&entry["starred_at"]) >= before);
    let user = alice.get("/api/user").await.ok();
    assert_eq!(entry["user_id"], user["id"]);
}

/// §5.10: flags as JSON integers, in a JSON body.
#[tokio::test]
async fn posting_flags_as_json_integers() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    let entry = alice
        .post_json(
            "/api/entries",
            json!({
                "url": fixture("127.0.0.1", "json"),
                "content": "<p>json</p>",
                "archive": 0,
                "starred": 1,
                "tags": ["one", "Two"],
                "published_at": 1_488_833_381,
                "title": null,
            }),
        )
        .await
        .ok();

    assert_eq!(entry["is_archived"], 0);
    assert_eq!(entry["is_starred"], 1);
    assert_eq!(labels(&entry), ["one", "two"]);
    assert_eq!(entry["published_at"], "2017-03-06T20:49:41+0000");
    assert_eq!(entry["title"], "json", "the path's basename");
}

/// §5.10: `origin_url` is stored and echoed.
#[tokio::test]
async fn posting_origin_url_echoes_it() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    let entry = alice
        .save(
            &fixture("127.0.0.1", "origin"),
            &[("origin_url", "http://mysource.tld")],
        )
        .await;

    assert_eq!(entry["origin_url"], "http://mysource.tld");
}

/// §5.10: posting an archived or starred entry's URL without flags leaves
/// the flags as they were.
#[tokio::test]
async fn reposting_a_url_without_flags_keeps_archived_and_starred() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let archived = fixture("127.0.0.1", "archived");
    let starred = fixture("127.0.0.1", "starred");
    alice.save(&archived, &[("archive", "1")]).await;
    alice.save(&starred, &[("starred", "1")]).await;

    let again = alice.post("/api/entries", &[("url", &archived)]).await.ok();
    assert_eq!(again["is_archived"], 1);
    let again = alice.post("/api/entries", &[("url", &starred)]).await.ok();
    assert_eq!(again["is_starred"], 1);
}

/// §5.10: posting only the URL of an entry that has content and a
/// publication date keeps both, and the URL.
#[tokio::test]
async fn reposting_a_url_with_content_and_published_date_keeps_the_url() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let url = fixture("127.0.0.1", "published");
    let first = alice
        .save(&url, &[("published_at", "2016-09-08T11:55:58+0200")])
        .await;

    let again = alice.post("/api/entries", &[("url", &url)]).await.ok();

    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["url"], url);
    assert_eq!(again["published_at"], "2016-09-08T11:55:58+0200");
    assert_eq!(again["content"], first["content"]);
    assert_eq!(again["updated_at"], first["updated_at"]);
}

/// §5.10: an article behind a redirect is fetched and extracted; a change
/// of path and query moves `url` to the final URL and keeps the submitted
/// one as `origin_url`, a path-only change keeps the submitted URL.
#[tokio::test]
async fn a_redirected_article_is_fetched_and_extracted() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let site = serve_site().await;
    let submitted = format!("{site}/old");

    let entry = alice
        .post("/api/entries", &[("url", &submitted)])
        .await
        .ok();

    assert_eq!(entry["url"], format!("{site}/article?from=old"));
    assert_eq!(entry["origin_url"], submitted);
    assert_eq!(entry["given_url"], submitted);
    assert_ne!(entry["hashed_url"], entry["hashed_given_url"]);
    assert_eq!(entry["title"], "Baking sourdough");
    assert_eq!(entry["domain_name"], "127.0.0.1");
    let content = entry["content"].as_str().unwrap();
    assert!(content.contains("w0x0 w0x1"), "{content}");
    assert!(content.contains("w4x89"), "{content}");
    for gone in ["<script", "alert", "onclick", "onmouseover"] {
        assert!(!content.contains(gone), "{gone} survived: {content}");
    }
    assert_eq!(entry["reading_time"], 2);
    assert_eq!(entry["language"], "en_GB");
    assert_eq!(entry["published_by"], json!(["Jane Baker"]));
    assert_eq!(entry["published_at"], "2024-03-01T08:15:02+0000");
    assert_eq!(entry["preview_picture"], format!("{site}/images/loaf.jpg"));
    assert_eq!(entry["mimetype"], "text/html; charset=utf-8");
    assert_eq!(entry["http_status"], "200");
    assert_eq!(entry["headers"]["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM entries WHERE is_not_parsed").await,
        0
    );

    // Both the submitted and the final URL find it, and a second POST of
    // the submitted URL is the same entry.
    for url in [submitted.clone(), format!("{site}/article?from=old")] {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("url", &url)
            .append_pair("return_id", "1")
            .finish();
        let exists = alice
            .get(&format!("/api/entries/exists?{query}"))
            .await
            .ok();
        assert_eq!(exists["exists"], entry["id"], "{url}");
    }
    let again = alice
        .post("/api/entries", &[("url", &submitted)])
        .await
        .ok();
    assert_eq!(again["id"], entry["id"]);

    // Only the path changed: the submitted URL stays.
    let moved = alice
        .post("/api/entries", &[("url", &format!("{site}/moved"))])
        .await
        .ok();
    assert_eq!(moved["url"], format!("{site}/moved"));
    assert_eq!(moved["origin_url"], Value::Null);
    assert_eq!(moved["title"], "Baking sourdough");

    // A page without an article keeps its title but is not parsed.
    let empty = alice
        .post("/api/entries", &[("url", &format!("{site}/empty"))])
        .await
        .ok();
    assert_eq!(empty["title"], "Nothing here");
    assert!(
        empty["content"]
            .as_str()
            .unwrap()
            .starts_with("wallabag can't retrieve contents")
    );
}

/// Posted and patched content never keeps scripts or event handlers.
#[tokio::test]
async fn posted_content_is_sanitised() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let dirty = r#"<p onclick="steal()">Hello <b>world</b></p><script>alert(1)</script><a href="javascript:alert(2)">x</a>"#;

    let entry = alice
        .save(&fixture("127.0.0.1", "dirty"), &[("content", dirty)])
        .await;
    let id = id_of(&entry);
    let patched = alice
        .patch(&format!("/api/entries/{id}"), &[("content", dirty)])
        .await
        .ok();

    for body in [&entry, &patched] {
        let content = body["content"].as_str().unwrap();
        assert!(content.contains("Hello <b>world</b>"), "{content}");
        for gone in ["onclick", "<script", "alert", "javascript:"] {
            assert!(!content.contains(gone), "{gone} survived: {content}");
        }
    }
    let conn = app.api_pool.get().await.unwrap();
    let stored: String = conn
        .query_one("SELECT content FROM entries WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert!(!stored.contains("script") && !stored.contains("onclick"));
}

/// §4.2: labels are trimmed and lower-cased; slugs are `t:` plus a URL
/// slug, with a suffix when two labels slug alike; each user has their own.
#[tokio::test]
async fn new_tags_get_slugs_and_colliding_slugs_get_suffixes() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let bob = Api::user(&app, "bob").await;

    let entry = alice
        .save(
            &fixture("127.0.0.1", "tags"),
            &[("tags", " Long Read ,long read,long-read,,Émile")],
        )
        .await;
    let mut tags: Vec<(String, String)> = entry["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["label"].as_str().unwrap().to_owned(),
                t["slug"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("long read".to_owned(), "t:long-read".to_owned()),
            ("long-read".to_owned(), "t:long-read-1".to_owned()),
            ("émile".to_owned(), "t:émile".to_owned()),
        ]
    );

    let bobs = bob
        .save(&fixture("127.0.0.1", "tags"), &[("tags", "long read")])
        .await;
    assert_eq!(bobs["tags"][0]["slug"], "t:long-read");
    assert_ne!(bobs["tags"][0]["id"], entry["tags"][0]["id"]);
}

/// §1.2: POST and PATCH read the body only; the query string is ignored.
#[tokio::test]
async fn post_and_patch_ignore_the_query_string() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let url = fixture("127.0.0.1", "query");

    let reply = alice
        .post(
            &format!("/api/entries?url={url}&content=x"),
            &[("title", "t")],
        )
        .await;
    reply.error(400);

    let id = id_of(&alice.save(&url, &[]).await);
    let patched = alice
        .patch(&format!("/api/entries/{id}?title=ignored&archive=1"), &[])
        .await
        .ok();
    assert_eq!(patched["title"], format!("title of {url}"));
    assert_eq!(patched["is_archived"], 0);
}
