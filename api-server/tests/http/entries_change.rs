//! Changing entries over real HTTP: PATCH /api/entries/{id} (wallabag-api.md
//! §5.11), PATCH /api/entries/{id}/reload (§5.12) and DELETE
//! /api/entries/{id} (§5.13).

use chrono::Utc;
use serde_json::{Value, json};

use crate::entries_support::{
    Api, Reply, annotate, date, fixture, id_of, labels, serve_site, sql_count,
};
use crate::support::{TestApp, closed_port_url};

// ---------------------------------------------------------------------------
// PATCH /api/entries/{id} (§5.11)

/// §5.11: every field given is changed.
#[tokio::test]
async fn patching_an_entry_changes_every_given_field() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let url = fixture("127.0.0.1", "patch");
    let entry = alice.save(&url, &[("public", "1")]).await;
    let id = id_of(&entry);

    let patched = alice
        .patch(
            &format!("/api/entries/{id}"),
            &[
                ("title", "New awesome title"),
                ("tags", "new tag x"),
                ("starred", "1"),
                ("archive", "0"),
                ("language", "de_AT"),
                ("preview_picture", "http://preview.io/picture.jpg"),
                ("authors", "bob,sponge"),
                ("content", "awesome"),
                ("public", "0"),
                ("published_at", "1488833381"),
            ],
        )
        .await
        .ok();

    assert_eq!(patched["id"], id);
    assert_eq!(patched["url"], url);
    assert_eq!(patched["title"], "New awesome title");
    assert!(!patched["tags"].as_array().unwrap().is_empty());
    assert_eq!(labels(&patched), ["new tag x"]);
    assert_eq!(patched["is_starred"], 1);
    assert_eq!(patched["is_archived"], 0);
    assert_eq!(patched["language"], "de_AT");
    assert_eq!(patched["preview_picture"], "http://preview.io/picture.jpg");
    let authors = patched["published_by"].as_array().unwrap();
    assert!(authors.contains(&json!("sponge")) && authors.contains(&json!("bob")));
    assert_eq!(patched["content"], "awesome");
    assert_eq!(patched["is_public"], false);
    assert_eq!(patched["uid"], Value::Null);
    assert!(
        patched["published_at"]
            .as_str()
            .unwrap()
            .contains("2017-03-06")
    );
    assert!(date(&patched["updated_at"]) >= date(&entry["updated_at"]));
}

/// §5.11: flags as integers apply; authors as an array are ignored; content
/// and language stay as they were.
#[tokio::test]
async fn patching_with_integer_flags_and_array_authors_ignores_the_authors() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "ints"), &[("language", "fr")])
        .await;
    let id = id_of(&entry);

    let patched = alice
        .patch_json(
            &format!("/api/entries/{id}"),
            json!({"starred": 1, "archive": 1, "authors": ["bob", "sponge"]}),
        )
        .await
        .ok();

    assert_eq!(patched["is_starred"], 1);
    assert_eq!(patched["is_archived"], 1);
    assert_eq!(patched["published_by"], Value::Null);
    assert_eq!(patched["content"], entry["content"]);
    assert_eq!(patched["language"], "fr");
}

/// §5.11: `origin_url` is set when given, and neither an empty string nor
/// null clears it.
#[tokio::test]
async fn patching_origin_url_sets_it_but_empty_or_null_never_clears_it() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let plain = alice.save(&fixture("127.0.0.1", "plain"), &[]).await;
    let plain_id = id_of(&plain);

    // On an entry without one, "" and null leave it null and touch nothing.
    let patched = alice
        .patch(&format!("/api/entries/{plain_id}"), &[("origin_url", "")])
        .await
        .ok();
    assert_eq!(patched["origin_url"], Value::Null);
    assert_eq!(patched["title"], plain["title"]);
    assert_eq!(patched["content"], plain["content"]);
    assert_eq!(patched["language"], plain["language"]);
    assert_eq!(patched["updated_at"], plain["updated_at"]);
    let patched = alice
        .patch_json(
            &format!("/api/entries/{plain_id}"),
            json!({"origin_url": null}),
        )
        .await
        .ok();
    assert_eq!(patched["origin_url"], Value::Null);

    let patched = alice
        .patch(
            &format!("/api/entries/{plain_id}"),
            &[
                ("title", "with origin"),
                ("origin_url", "https://myawesomesource.example.com"),
            ],
        )
        .await
        .ok();
    assert_eq!(patched["origin_url"], "https://myawesomesource.example.com");
    assert_eq!(patched["title"], "with origin");
    assert_eq!(patched["content"], plain["content"]);
    assert_eq!(patched["language"], plain["language"]);

    for empty in [json!({"origin_url": ""}), json!({"origin_url": null})] {
        let patched = alice
            .patch_json(&format!("/api/entries/{plain_id}"), empty)
            .await
            .ok();
        assert_eq!(patched["origin_url"], "https://myawesomesource.example.com");
    }
}

/// §5.11, §11.6: invalid values are ignored, a body full of nulls changes
/// only what is not null, and a body that is not JSON is a 400 that changes
/// nothing.
#[tokio::test]
async fn patching_ignores_invalid_values_and_nulls_and_refuses_bad_json() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(
            &fixture("127.0.0.1", "careful"),
            &[
                ("language", "fr"),
                ("preview_picture", "http://127.0.0.1:9/p.jpg"),
                ("published_at", "2016-09-08T11:55:58+0200"),
            ],
        )
        .await;
    let path = format!("/api/entries/{}", id_of(&entry));

    let patched = alice
        .patch(
            &path,
            &[
                ("language", "english"),
                ("preview_picture", "not a url"),
                ("published_at", "last tuesday"),
            ],
        )
        .await
        .ok();
    assert_eq!(patched["language"], "fr");
    assert_eq!(patched["preview_picture"], "http://127.0.0.1:9/p.jpg");
    assert_eq!(patched["published_at"], "2016-09-08T11:55:58+0200");
    assert_eq!(patched["updated_at"], entry["updated_at"]);

    let nulls = json!({
        "title": null, "content": null, "language": null, "authors": null,
        "preview_picture": null, "published_at": null, "starred": null,
        "tags": null, "public": null, "origin_url": null, "archive": 1,
    });
    let patched = alice.patch_json(&path, nulls).await.ok();
    assert_eq!(patched["is_archived"], 1);
    for same in [
        "title",
        "content",
        "language",
        "preview_picture",
        "published_at",
        "is_starred",
        "tags",
        "uid",
        "origin_url",
    ] {
        assert_eq!(patched[same], entry[same], "{same}");
    }

    let reply = alice
        .request(reqwest::Method::PATCH, &path)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(
        Reply::read(reply).await.error(400),
        "Invalid json message received"
    );
    let after = alice.get(&path).await.ok();
    assert_eq!(after["title"], entry["title"]);
    assert_eq!(after["is_archived"], 1);
}

/// §5.11: patching only the title of an archived or starred entry keeps
/// the flag and its date.
#[tokio::test]
async fn patching_only_the_title_keeps_archived_and_starred() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let archived = alice
        .save(&fixture("127.0.0.1", "a"), &[("archive", "1")])
        .await;
    let starred = alice
        .save(&fixture("127.0.0.1", "s"), &[("starred", "1")])
        .await;

    let patched = alice
        .patch(
            &format!("/api/entries/{}", id_of(&archived)),
            &[("title", "renamed")],
        )
        .await
        .ok();
    assert_eq!(patched["is_archived"], 1);
    assert_eq!(patched["archived_at"], archived["archived_at"]);
    assert!(date(&patched["archived_at"]) <= Utc::now());

    let patched = alice
        .patch(
            &format!("/api/entries/{}", id_of(&starred)),
            &[("title", "renamed")],
        )
        .await
        .ok();
    assert_eq!(patched["is_starred"], 1);
    assert_eq!(patched["starred_at"], starred["starred_at"]);
    assert!(date(&patched["starred_at"]) <= Utc::now());
}

/// §5.11: tags given replace the entry's tags; empty tags change nothing.
#[tokio::test]
async fn patching_tags_replaces_them_and_empty_tags_change_nothing() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let id = id_of(
        &alice
            .save(&fixture("127.0.0.1", "retag"), &[("tags", "a,b")])
            .await,
    );
    let path = format!("/api/entries/{id}");

    let patched = alice.patch(&path, &[("tags", "B, c")]).await.ok();
    assert_eq!(labels(&patched), ["b", "c"]);

    for empty in [
        json!({"tags": ""}),
        json!({"tags": []}),
        json!({"tags": ","}),
    ] {
        let patched = alice.patch_json(&path, empty.clone()).await.ok();
        assert_eq!(labels(&patched), ["b", "c"], "{empty}");
    }
}

/// §5.11: new content replaces the old without a fetch, recomputes the
/// reading time and resets `given_url` to the current URL.
#[tokio::test]
async fn patching_content_recomputes_reading_time_and_given_url() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let site = serve_site().await;
    let entry = alice
        .post("/api/entries", &[("url", &format!("{site}/old"))])
        .await
        .ok();
    assert_ne!(entry["given_url"], entry["url"]);
    let id = id_of(&entry);

    let long = format!("<p>{}</p>", vec!["word"; 450].join(" "));
    let patched = alice
        .patch(&format!("/api/entries/{id}"), &[("content", &long)])
        .await
        .ok();

    assert_eq!(patched["content"], long);
    assert_eq!(patched["reading_time"], 2);
    assert_eq!(patched["given_url"], entry["url"]);
    assert_eq!(patched["url"], entry["url"]);
    assert_eq!(patched["title"], "Baking sourdough");
}

// ---------------------------------------------------------------------------
// PATCH /api/entries/{id}/reload (§5.12)

/// §5.12: when the URL cannot be fetched, reload answers a bodiless 304 and
/// saves nothing.
#[tokio::test]
async fn reloading_an_unfetchable_entry_is_not_modified_and_saves_nothing() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let site = serve_site().await;
    let unreachable = alice
        .save(
            &format!("{}/entry4", closed_port_url().await),
            &[("content", "<p>kept</p>")],
        )
        .await;
    let empty = alice
        .save(&format!("{site}/empty"), &[("content", "<p>kept too</p>")])
        .await;

    for entry in [&unreachable, &empty] {
        let id = id_of(entry);
        let response = alice
            .request(reqwest::Method::PATCH, &format!("/api/entries/{id}/reload"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 304);
        assert!(response.text().await.unwrap().is_empty());

        let after = alice.get(&format!("/api/entries/{id}")).await.ok();
        assert_eq!(after["content"], entry["content"]);
        assert_eq!(after["updated_at"], entry["updated_at"]);
        assert_eq!(after["title"], entry["title"]);
    }
}

/// §5.12: a fetchable URL is fetched again and the entry refreshed.
#[tokio::test]
async fn reloading_a_fetchable_entry_refreshes_it() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let site = serve_site().await;
    let entry = alice
        .post("/api/entries", &[("url", &format!("{site}/article"))])
        .await
        .ok();
    let id = id_of(&entry);
    alice
        .patch(
            &format!("/api/entries/{id}"),
            &[("title", "mine"), ("content", "<p>mine</p>")],
        )
        .await
        .ok();

    let reloaded = alice
        .request(reqwest::Method::PATCH, &format!("/api/entries/{id}/reload"))
        .send()
        .await
        .unwrap();
    let reloaded = Reply::read(reloaded).await.ok();

    assert_eq!(reloaded["id"], id);
    assert_eq!(reloaded["title"], "Baking sourdough");
    assert!(reloaded["content"].as_str().unwrap().contains("w0x0"));
    assert_eq!(reloaded["reading_time"], 2);
}

// ---------------------------------------------------------------------------
// DELETE /api/entries/{id} (§5.13)

/// §5.13: deleting answers with the whole entry as it was; it is gone, with
/// its tag links and annotations, and a second delete is a 404.
#[tokio::test]
async fn deleting_answers_with_the_entry_as_it_was() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let url = fixture("127.0.0.1", "doomed");
    let entry = alice.save(&url, &[("tags", "t1,t2")]).await;
    annotate(&app, &entry).await;
    let id = id_of(&entry);

    let deleted = alice.delete(&format!("/api/entries/{id}")).await.ok();

    assert_eq!(deleted["id"], id);
    assert_eq!(deleted["title"], entry["title"]);
    assert_eq!(deleted["url"], url);
    assert_eq!(deleted["tags"].as_array().unwrap().len(), 2);
    assert_eq!(deleted["annotations"].as_array().unwrap().len(), 1);
    assert_eq!(
        deleted["_links"]["self"]["href"],
        format!("/api/entries/{id}")
    );
    assert_eq!(alice.get(&format!("/api/entries/{id}")).await.status, 404);
    assert_eq!(
        alice.delete(&format!("/api/entries/{id}")).await.status,
        404
    );
    assert_eq!(sql_count(&app, "SELECT count(*) FROM entry_tags").await, 0);
    assert_eq!(sql_count(&app, "SELECT count(*) FROM annotations").await, 0);
}

/// §5.13: `expect=id` answers only the id.
#[tokio::test]
async fn deleting_with_expect_id_answers_only_the_id() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let id = id_of(&alice.save(&fixture("127.0.0.1", "by-id"), &[]).await);

    let deleted = alice
        .delete(&format!("/api/entries/{id}?expect=id"))
        .await
        .ok();

    assert_eq!(deleted, json!({"id": id}));
    assert!(deleted.get("url").is_none());
    assert_eq!(
        alice
            .delete(&format!("/api/entries/{id}?expect=id"))
            .await
            .status,
        404
    );
}

/// §5.13: any other `expect` is a 400, and the entry stays.
#[tokio::test]
async fn deleting_with_a_bad_expect_is_refused_and_keeps_the_entry() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let id = id_of(&alice.save(&fixture("127.0.0.1", "kept"), &[]).await);

    let reply = alice
        .delete(&format!("/api/entries/{id}?expect=badrequest"))
        .await;

    assert_eq!(
        reply.error(400),
        "expect: 'id' or 'entry' expected, badrequest given"
    );
    assert_eq!(alice.get(&format!("/api/entries/{id}")).await.status, 200);
}
