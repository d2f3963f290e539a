//! Reading entries over real HTTP: GET /api/entries/exists (wallabag-api.md
//! §5.6, §11.8), GET /api/entries/{id} (§5.8) and the JSON shape of an
//! entry (§4.1, §4.3, §11.10).

use serde_json::{Value, json};

use crate::entries_support::{Api, annotate, date, fixture, id_of};
use crate::support::TestApp;

// ---------------------------------------------------------------------------
// GET /api/entries/exists (§5.6, §11.8)

/// §5.6: `url` and `hashed_url`, with and without `return_id`, known and
/// unknown.
#[tokio::test]
async fn exists_answers_true_or_the_id_for_a_saved_url() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let url = fixture("127.0.0.1", "entry1");
    let entry = alice.save(&url, &[]).await;
    let id = id_of(&entry);
    let hash = entry["hashed_url"].as_str().unwrap().to_owned();
    let encoded =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();

    let exists = |query: String| {
        let alice = &alice;
        async move {
            alice
                .get(&format!("/api/entries/exists?{query}"))
                .await
                .ok()
        }
    };
    assert_eq!(
        exists(format!("url={}&return_id=1", encoded(&url))).await,
        json!({"exists": id})
    );
    assert_eq!(
        exists(format!("url={}", encoded(&url))).await,
        json!({"exists": true})
    );
    assert_eq!(
        exists(format!("hashed_url={hash}&return_id=1")).await,
        json!({"exists": id})
    );
    assert_eq!(
        exists(format!("hashed_url={hash}")).await,
        json!({"exists": true})
    );
    let unknown = fixture("127.0.0.1", "unknown");
    assert_eq!(
        exists(format!("url={}", encoded(&unknown))).await,
        json!({"exists": false})
    );
    assert_eq!(
        exists(format!("hashed_url={}", "0".repeat(40))).await,
        json!({"exists": false})
    );
    // With return_id an unknown URL is null, never false (§11.8).
    assert_eq!(
        exists(format!("url={}&return_id=1", encoded(&unknown))).await,
        json!({"exists": null})
    );
    // The suffixed spelling is the same route.
    let reply = alice
        .get(&format!("/api/entries/exists.json?url={}", encoded(&url)))
        .await;
    assert_eq!(reply.ok(), json!({"exists": true}));
}

/// §5.6 and §11.8: `urls[]` and `hashed_urls[]`, keyed by URL or hash, and
/// the other spellings of lists clients send.
#[tokio::test]
async fn exists_answers_for_lists_of_urls_and_hashes() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let saved_url = fixture("127.0.0.1", "entry2");
    let saved = alice.save(&saved_url, &[]).await;
    let id = id_of(&saved);
    let missing_url = fixture("127.0.0.1", "nope");
    let saved_hash = saved["hashed_url"].as_str().unwrap().to_owned();
    let missing_hash = "f".repeat(40);

    let with_ids = alice
        .get(&format!(
            "/api/entries/exists?urls[]={saved_url}&urls[]={missing_url}&return_id=1"
        ))
        .await
        .ok();
    assert_eq!(
        with_ids,
        json!({ saved_url.as_str(): id, missing_url.as_str(): null })
    );
    assert!(id > 0);

    let flags = alice
        .get(&format!(
            "/api/entries/exists?urls[]={saved_url}&urls[]={missing_url}"
        ))
        .await
        .ok();
    assert_eq!(
        flags,
        json!({ saved_url.as_str(): true, missing_url.as_str(): false })
    );

    let by_hash = alice
        .get(&format!(
            "/api/entries/exists?hashed_urls[]={saved_hash}&hashed_urls[]={missing_hash}&return_id=1"
        ))
        .await
        .ok();
    assert_eq!(
        by_hash,
        json!({ saved_hash.as_str(): id, missing_hash.as_str(): null })
    );
    let by_hash = alice
        .get(&format!(
            "/api/entries/exists?hashed_urls[]={saved_hash}&hashed_urls[]={missing_hash}"
        ))
        .await
        .ok();
    assert_eq!(
        by_hash,
        json!({ saved_hash.as_str(): true, missing_hash.as_str(): false })
    );

    // Percent-encoded indexed brackets, and a repeated key without brackets.
    let indexed = alice
        .get(&format!(
            "/api/entries/exists?urls%5B0%5D={saved_url}&urls%5B1%5D={missing_url}&return_id=1"
        ))
        .await
        .ok();
    assert_eq!(indexed, with_ids);
    let repeated = alice
        .get(&format!(
            "/api/entries/exists?hashed_urls={saved_hash}&hashed_urls={missing_hash}"
        ))
        .await
        .ok();
    assert_eq!(repeated, by_hash);
}

/// §5.6: with no URL at all, or only empty ones, the answer is 404.
#[tokio::test]
async fn exists_without_any_url_is_not_found() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    for query in ["url=", "hashed_url=", "", "return_id=1", "urls[]="] {
        let reply = alice.get(&format!("/api/entries/exists?{query}")).await;
        assert_eq!(reply.error(404), "Not Found", "{query}");
    }
}

/// §5.6: URLs are hashed after PHP's `urldecode`, so `%20` and `+` both
/// match a space, and the given URL matches as well as the final one.
#[tokio::test]
async fn exists_hashes_urls_after_percent_decoding() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let stored = fixture("127.0.0.1", "a%20b");
    let id = id_of(&alice.save(&stored, &[]).await);

    // Each query value arrives (after the query string's own decoding) as
    // ".../a%20b", ".../a b" and ".../a+b": all hash alike.
    for value in ["a%2520b", "a%20b", "a%2Bb"] {
        let query = format!("url=http://127.0.0.1:9/{value}&return_id=1");
        let reply = alice
            .get(&format!("/api/entries/exists?{query}"))
            .await
            .ok();
        assert_eq!(reply, json!({"exists": id}), "{query}");
    }
}

// ---------------------------------------------------------------------------
// GET /api/entries/{id} (§5.8)

/// §5.8: the stored fields, tags and owner come back, with the content.
#[tokio::test]
async fn an_entry_is_shown_with_its_fields_and_tags() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let url = fixture("127.0.0.1", "shown");
    let saved = alice
        .save(
            &url,
            &[
                ("tags", "foo,bar"),
                ("origin_url", "http://127.0.0.1:9/where-i-found-it"),
            ],
        )
        .await;
    let id = id_of(&saved);

    let entry = alice.get(&format!("/api/entries/{id}")).await.ok();

    assert_eq!(entry["id"], id);
    assert_eq!(entry["title"], format!("title of {url}"));
    assert_eq!(entry["url"], url);
    assert_eq!(entry["tags"].as_array().unwrap().len(), 2);
    assert_eq!(entry["user_name"], "alice");
    assert_eq!(entry["user_email"], "alice@example.com");
    assert_eq!(entry["user_id"], saved["user_id"]);
    assert_eq!(entry["content"], "<p>some content</p>");
    assert_eq!(entry["origin_url"], "http://127.0.0.1:9/where-i-found-it");
}

/// §5.8: `detail=metadata` leaves out the content; any other detail is 400.
#[tokio::test]
async fn an_entry_with_metadata_detail_has_no_content_and_bad_detail_is_refused() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let id = id_of(&alice.save(&fixture("127.0.0.1", "detail"), &[]).await);

    let entry = alice
        .get(&format!("/api/entries/{id}?detail=metadata"))
        .await
        .ok();
    assert_eq!(entry["content"], Value::Null);
    assert_eq!(entry["id"], id);

    let reply = alice.get(&format!("/api/entries/{id}?detail=bad")).await;
    assert_eq!(
        reply.error(400),
        "Detail \"bad\" parameter is wrong, allowed: full or metadata"
    );
}

/// §1.1: ids that do not exist, or are not numbers, are 404s everywhere.
#[tokio::test]
async fn missing_and_non_numeric_ids_are_not_found() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    for path in [
        "/api/entries/999999",
        "/api/entries/abc",
        "/api/entries/-1",
        "/api/entries/1abc",
    ] {
        assert_eq!(alice.get(path).await.error(404), "Not Found", "{path}");
        assert_eq!(alice.patch(path, &[("title", "x")]).await.status, 404);
        assert_eq!(alice.delete(path).await.status, 404);
    }
    let reply = alice
        .request(reqwest::Method::PATCH, "/api/entries/abc/reload")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
}

// ---------------------------------------------------------------------------
// The entry as JSON (§4.1, §4.3, §11.10)

/// §4.1, §4.3, §11.10: the entry's keys, in order, with wallabag's types;
/// annotations inside entries keep their nulls.
#[tokio::test]
async fn entry_json_has_wallabags_keys_types_and_order() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(
            &fixture("127.0.0.1", "shape"),
            &[("tags", "Rust,long read"), ("starred", "1")],
        )
        .await;
    annotate(&app, &entry).await;
    let id = id_of(&entry);

    let reply = alice.get(&format!("/api/entries/{id}")).await;
    let text = reply.text.clone();
    let body = reply.ok();

    let keys = [
        "is_archived",
        "is_starred",
        "user_name",
        "user_email",
        "user_id",
        "tags",
        "is_public",
        "id",
        "uid",
        "title",
        "url",
        "hashed_url",
        "origin_url",
        "given_url",
        "hashed_given_url",
        "archived_at",
        "content",
        "created_at",
        "updated_at",
        "published_at",
        "published_by",
        "starred_at",
        "annotations",
        "mimetype",
        "language",
        "reading_time",
        "domain_name",
        "preview_picture",
        "http_status",
        "headers",
        "_links",
    ];
    let object = body.as_object().unwrap();
    assert_eq!(object.len(), keys.len(), "no keys beyond §4.1: {text}");
    // Each key after the one before it (nested objects repeat some names).
    let mut from = 0;
    for key in keys {
        let at = text[from..].find(&format!("\"{key}\":"));
        assert!(at.is_some(), "{key} out of order: {text}");
        from += at.unwrap();
    }

    assert_eq!(body["is_archived"], 0);
    assert_eq!(body["is_starred"], 1);
    assert_eq!(body["is_public"], false);
    assert_eq!(body["uid"], Value::Null);
    assert_eq!(body["user_name"], "alice");
    assert_eq!(body["user_email"], "alice@example.com");
    assert!(body["user_id"].as_i64().unwrap() > 0);
    assert_eq!(body["reading_time"], 0);
    assert_eq!(body["headers"], Value::Null);
    assert_eq!(body["http_status"], Value::Null);
    assert_eq!(body["domain_name"], "127.0.0.1");
    assert_eq!(
        body["_links"],
        json!({"self": {"href": format!("/api/entries/{id}")}})
    );
    assert_eq!(
        body["hashed_url"].as_str().unwrap().len(),
        40,
        "sha1 in hex"
    );
    assert_eq!(body["hashed_url"], body["hashed_given_url"]);
    let created = body["created_at"].as_str().unwrap();
    assert!(
        created.ends_with("+0000") && created.len() == 24,
        "{created}"
    );
    date(&body["starred_at"]);

    let mut tags: Vec<Value> = body["tags"].as_array().unwrap().clone();
    tags.sort_by_key(|t| t["label"].as_str().unwrap().to_owned());
    assert_eq!(tags[0]["label"], "long read");
    assert_eq!(tags[0]["slug"], "t:long-read");
    assert_eq!(tags[1]["label"], "rust");
    assert_eq!(tags[1]["slug"], "t:rust");
    assert_eq!(tags[0].as_object().unwrap().len(), 3);

    let annotation = &body["annotations"][0];
    let annotation_keys: Vec<&str> = annotation
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(annotation_keys.len(), 8);
    assert_eq!(annotation["user"], "alice display");
    assert_eq!(annotation["annotator_schema_version"], "v1.0");
    assert_eq!(annotation["text"], "a note");
    assert_eq!(annotation["quote"], "quoted text");
    assert_eq!(annotation["ranges"][0]["startOffset"], "0");
    assert_eq!(annotation["ranges"][0]["endOffset"], "11");
    date(&annotation["created_at"]);
}
