//! The tag routes over real HTTP (wallabag-api.md §5.14–§5.16,
//! §5.21–§5.24): an entry's tags, the tag list, and deleting tags by id
//! and by label, with one user's tags out of another's reach (§2.4).
//!
//! Differences from wallabag's own tests: there are no tagging rules here,
//! so tag counts are exactly what was sent; and tags are rows per user, so
//! the "another user's tag" of upstream fixtures is a tag of bob's.

use reqwest::Method;
use serde_json::{Value, json};

use crate::entries_support::{Api, Reply, fixture, id_of, labels, sql_count};
use crate::support::TestApp;

/// The id of the entry's tag with this label.
fn tag_id(entry: &Value, label: &str) -> i64 {
    entry["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == label)
        .unwrap_or_else(|| panic!("no tag {label} in {entry}"))["id"]
        .as_i64()
        .unwrap()
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    Reply::read(request.send().await.unwrap()).await
}

/// Sets the entry's `updated_at` far in the past, so that a request that
/// moves it is told apart from one that does not.
async fn age(app: &TestApp, entry: &Value) {
    let conn = app.api_pool.get().await.unwrap();
    conn.execute(
        "UPDATE entries SET updated_at = '2000-01-01T00:00:00Z' WHERE id = $1",
        &[&id_of(entry)],
    )
    .await
    .unwrap();
}

fn is_aged(entry: &Value) -> bool {
    entry["updated_at"] == "2000-01-01T00:00:00+0000"
}

// ---------------------------------------------------------------------------
// GET /api/entries/{id}/tags (§5.14)

/// §5.14: the body is the compact JSON array of `{id, label, slug}`, keys
/// in that order, tags in stored order, exactly as PHP would encode it.
#[tokio::test]
async fn an_entrys_tags_are_listed_as_compact_objects_in_stored_order() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(
            &fixture("127.0.0.1", "tagged"),
            &[("tags", "foo, long read")],
        )
        .await;
    let id = id_of(&entry);

    let reply = alice.get(&format!("/api/entries/{id}/tags")).await;
    let expected = format!(
        r#"[{{"id":{},"label":"foo","slug":"t:foo"}},{{"id":{},"label":"long read","slug":"t:long-read"}}]"#,
        tag_id(&entry, "foo"),
        tag_id(&entry, "long read"),
    );
    assert_eq!(reply.text, expected);
    reply.ok();
    // The suffixed spelling is the same route.
    let suffixed = alice.get(&format!("/api/entries/{id}/tags.json")).await;
    assert_eq!(suffixed.text, expected);

    let untagged = alice.save(&fixture("127.0.0.1", "bare"), &[]).await;
    let reply = alice
        .get(&format!("/api/entries/{}/tags", id_of(&untagged)))
        .await;
    assert_eq!(reply.text, "[]");
}

/// §1.1, §5.14: an unknown or non-numeric entry id is a 404.
#[tokio::test]
async fn the_tags_of_a_missing_entry_are_a_404() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    assert_eq!(
        alice.get("/api/entries/999999/tags").await.error(404),
        "Not Found"
    );
    alice.get("/api/entries/abc/tags").await.error(404);
}

// ---------------------------------------------------------------------------
// POST /api/entries/{id}/tags (§5.15)

/// §5.15: posting `tag1,tag2,tag3` adds three tags to those the entry has,
/// stores the three labels, and moves `updated_at`.
#[tokio::test]
async fn posting_tags_adds_them_to_the_entrys_tags() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "post-tags"), &[("tags", "existing")])
        .await;
    let path = format!("/api/entries/{}/tags", id_of(&entry));
    age(&app, &entry).await;

    let after = alice.post(&path, &[("tags", "tag1,tag2,tag3")]).await.ok();
    assert_eq!(id_of(&after), id_of(&entry));
    assert_eq!(after["tags"].as_array().unwrap().len(), 4);
    assert_eq!(labels(&after), ["existing", "tag1", "tag2", "tag3"]);
    assert!(!is_aged(&after), "{}", after["updated_at"]);
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*) FROM tags WHERE label IN ('tag1', 'tag2', 'tag3')"
        )
        .await,
        3
    );

    // A JSON array works too; labels are trimmed and lower-cased and a tag
    // the entry has is not added twice.
    let after = alice
        .post_json(&path, json!({"tags": [" New ", "TAG1"]}))
        .await
        .ok();
    assert_eq!(labels(&after), ["existing", "new", "tag1", "tag2", "tag3"]);
}

/// §5.15: no tags, or only tags the entry has, change nothing, not even
/// `updated_at`; a body that is not JSON is a 400.
#[tokio::test]
async fn posting_no_new_tags_changes_nothing() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "no-tags"), &[("tags", "kept")])
        .await;
    let entry_path = format!("/api/entries/{}", id_of(&entry));
    let path = format!("{entry_path}/tags");
    age(&app, &entry).await;

    for form in [vec![], vec![("tags", "")], vec![("tags", " , kept")]] {
        let after = alice.post(&path, &form).await.ok();
        assert_eq!(labels(&after), ["kept"], "{form:?}");
        assert!(is_aged(&after), "{form:?}");
    }
    let reply = send(
        alice
            .request(Method::POST, &path)
            .header("content-type", "application/json")
            .body("{\"tags\": "),
    )
    .await;
    assert_eq!(reply.error(400), "Invalid json message received");
    assert_eq!(labels(&alice.get(&entry_path).await.ok()), ["kept"]);
}

// ---------------------------------------------------------------------------
// DELETE /api/entries/{id}/tags/{tag} (§5.16)

/// §5.16: removing a tag from an entry leaves one tag fewer, moves
/// `updated_at` and keeps the tag row even though it is now unused;
/// removing it again is a harmless 200.
#[tokio::test]
async fn removing_a_tag_from_an_entry_unlinks_it_and_keeps_the_row() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "untag"), &[("tags", "a,b")])
        .await;
    let id = id_of(&entry);
    let path = format!("/api/entries/{id}/tags/{}", tag_id(&entry, "a"));
    age(&app, &entry).await;

    let after = alice.delete(&path).await.ok();
    assert_eq!(after["tags"].as_array().unwrap().len(), 1);
    assert_eq!(labels(&after), ["b"]);
    assert!(!is_aged(&after));
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM tags WHERE label = 'a'").await,
        1
    );

    age(&app, &entry).await;
    let again = alice.delete(&path).await.ok();
    assert_eq!(labels(&again), ["b"]);
    assert!(is_aged(&again));
    // The unused tag row still counts as the caller's tag.
    assert_eq!(
        alice.delete(&format!("{path}.json")).await.ok()["id"],
        json!(id)
    );
}

/// §5.16, §1.1: an unknown or non-numeric tag id, or a non-numeric entry
/// id, is a 404 that removes nothing.
#[tokio::test]
async fn removing_an_unknown_tag_from_an_entry_is_a_404() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "unknown-tag"), &[("tags", "a")])
        .await;
    let id = id_of(&entry);
    let tag = tag_id(&entry, "a");

    for path in [
        format!("/api/entries/{id}/tags/999999"),
        format!("/api/entries/{id}/tags/abc"),
        format!("/api/entries/{id}/tags/-1"),
        format!("/api/entries/abc/tags/{tag}"),
        format!("/api/entries/999999/tags/{tag}"),
    ] {
        assert_eq!(alice.delete(&path).await.error(404), "Not Found", "{path}");
    }
    let read = alice.get(&format!("/api/entries/{id}")).await.ok();
    assert_eq!(labels(&read), ["a"]);
}

// ---------------------------------------------------------------------------
// GET /api/tags (§5.21)

/// §5.21: the caller's tags in use, sorted by label, each with an integer
/// `nbEntries`; unused tags and other users' tags are not listed.
#[tokio::test]
async fn the_tag_list_counts_the_callers_entries_per_tag_sorted_by_label() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let bob = Api::user(&app, "bob").await;
    let first = alice
        .save(&fixture("127.0.0.1", "one"), &[("tags", "zeta,alpha")])
        .await;
    alice
        .save(&fixture("127.0.0.1", "two"), &[("tags", "alpha, unused")])
        .await;
    bob.save(&fixture("127.0.0.1", "bobs"), &[("tags", "bob")])
        .await;
    // `unused` loses its only entry, and stays as a row.
    let second = alice.get("/api/entries?tags=unused").await.ok()["_embedded"]["items"][0].clone();
    alice
        .delete(&format!(
            "/api/entries/{}/tags/{}",
            id_of(&second),
            tag_id(&second, "unused")
        ))
        .await
        .ok();

    let tags = alice.get("/api/tags").await.ok();
    assert_eq!(
        tags,
        json!([
            {"id": tag_id(&first, "alpha"), "label": "alpha", "slug": "t:alpha", "nbEntries": 2},
            {"id": tag_id(&first, "zeta"), "label": "zeta", "slug": "t:zeta", "nbEntries": 1},
        ])
    );
    assert!(!alice.get("/api/tags").await.text.contains("bob"));
    assert_eq!(alice.get("/api/tags.json").await.ok(), tags);

    let carol = Api::user(&app, "carol").await;
    assert_eq!(carol.get("/api/tags").await.ok(), json!([]));
}

// ---------------------------------------------------------------------------
// DELETE /api/tags/{tag} (§5.22)

/// §5.22: deleting a tag takes it off every entry of the caller and
/// deletes the orphan row; the answer omits the gone `id`.
#[tokio::test]
async fn deleting_a_tag_takes_it_off_every_entry_and_deletes_the_row() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let first = alice
        .save(&fixture("127.0.0.1", "one"), &[("tags", "foo,bar")])
        .await;
    let second = alice
        .save(&fixture("127.0.0.1", "two"), &[("tags", "foo")])
        .await;
    age(&app, &second).await;
    let path = format!("/api/tags/{}", tag_id(&first, "foo"));

    let deleted = alice.delete(&path).await.ok();
    assert_eq!(deleted, json!({"label": "foo", "slug": "t:foo"}));
    assert_eq!(alice.get("/api/entries?tags=foo").await.ok()["total"], 0);
    let first = alice
        .get(&format!("/api/entries/{}", id_of(&first)))
        .await
        .ok();
    assert_eq!(labels(&first), ["bar"]);
    let second = alice
        .get(&format!("/api/entries/{}", id_of(&second)))
        .await
        .ok();
    assert_eq!(labels(&second), Vec::<String>::new());
    assert!(!is_aged(&second));
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM tags WHERE label = 'foo'").await,
        0
    );

    assert_eq!(alice.delete(&path).await.error(404), "Not Found");
}

/// §5.22, §1.1: a tag that is on none of the caller's entries, an unknown
/// id and a non-numeric one are 404s that delete nothing.
#[tokio::test]
async fn deleting_an_unused_or_unknown_tag_is_a_404() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "unused"), &[("tags", "idle")])
        .await;
    let idle = tag_id(&entry, "idle");
    alice
        .delete(&format!("/api/entries/{}/tags/{idle}", id_of(&entry)))
        .await
        .ok();

    for path in [
        format!("/api/tags/{idle}"),
        "/api/tags/999999".to_owned(),
        "/api/tags/abc".to_owned(),
    ] {
        assert_eq!(alice.delete(&path).await.error(404), "Not Found", "{path}");
    }
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM tags WHERE label = 'idle'").await,
        1
    );
}

// ---------------------------------------------------------------------------
// DELETE /api/tag/label (§5.23)

/// §5.23: the label may come in the query string, a form body or a JSON
/// body; each deletes the tag everywhere and answers with it, without id.
#[tokio::test]
async fn deleting_a_tag_by_label_reads_the_query_or_the_body() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(
            &fixture("127.0.0.1", "labels"),
            &[("tags", "by query,by form,by json")],
        )
        .await;
    let path = format!("/api/entries/{}", id_of(&entry));

    let deleted = alice.delete("/api/tag/label?tag=by%20query").await.ok();
    assert_eq!(deleted, json!({"label": "by query", "slug": "t:by-query"}));
    let deleted = send(
        alice
            .request(Method::DELETE, "/api/tag/label")
            .form(&[("tag", "by form")]),
    )
    .await
    .ok();
    assert_eq!(deleted, json!({"label": "by form", "slug": "t:by-form"}));
    let deleted = send(
        alice
            .request(Method::DELETE, "/api/tag/label.json")
            .json(&json!({"tag": "by json"})),
    )
    .await
    .ok();
    assert_eq!(deleted, json!({"label": "by json", "slug": "t:by-json"}));

    assert_eq!(labels(&alice.get(&path).await.ok()), Vec::<String>::new());
    assert_eq!(sql_count(&app, "SELECT count(*) FROM tags").await, 0);
}

/// §5.23: the body wins over the query string; the label must match
/// exactly; an unknown or missing label is a 404 that deletes nothing.
#[tokio::test]
async fn deleting_a_tag_by_label_prefers_the_body_and_matches_exactly() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "exact"), &[("tags", "body,query")])
        .await;

    let deleted = send(
        alice
            .request(Method::DELETE, "/api/tag/label?tag=query")
            .form(&[("tag", "body")]),
    )
    .await
    .ok();
    assert_eq!(deleted["label"], "body");

    for path in [
        "/api/tag/label?tag=QUERY",
        "/api/tag/label?tag=%20query",
        "/api/tag/label?tag=unknown",
        "/api/tag/label",
    ] {
        assert_eq!(alice.delete(path).await.error(404), "Not Found", "{path}");
    }
    let read = alice
        .get(&format!("/api/entries/{}", id_of(&entry)))
        .await
        .ok();
    assert_eq!(labels(&read), ["query"]);
}

// ---------------------------------------------------------------------------
// DELETE /api/tags/label (§5.24)

/// §5.24: several labels, by query or body, answer an array ordered by
/// slug; the tags leave every entry and their rows go. The route wins
/// over `/api/tags/{tag}`.
#[tokio::test]
async fn deleting_tags_by_labels_answers_them_ordered_by_slug() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(
            &fixture("127.0.0.1", "many"),
            &[("tags", "zeta,alpha,kept,omega,beta")],
        )
        .await;
    let path = format!("/api/entries/{}", id_of(&entry));

    let deleted = alice.delete("/api/tags/label?tags=zeta,alpha").await.ok();
    assert_eq!(
        deleted,
        json!([
            {"label": "alpha", "slug": "t:alpha"},
            {"label": "zeta", "slug": "t:zeta"},
        ])
    );
    let deleted = send(
        alice
            .request(Method::DELETE, "/api/tags/label.json")
            .form(&[("tags", "omega,beta")]),
    )
    .await
    .ok();
    assert_eq!(
        deleted,
        json!([
            {"label": "beta", "slug": "t:beta"},
            {"label": "omega", "slug": "t:omega"},
        ])
    );

    assert_eq!(labels(&alice.get(&path).await.ok()), ["kept"]);
    assert_eq!(sql_count(&app, "SELECT count(*) FROM tags").await, 1);
}

/// §5.24: labels are not trimmed; when only some are found only those are
/// deleted, and when none is the answer is a 404.
#[tokio::test]
async fn deleting_tags_by_labels_skips_labels_it_does_not_find() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "some"), &[("tags", "foo,bar")])
        .await;
    let path = format!("/api/entries/{}", id_of(&entry));

    assert_eq!(
        alice
            .delete("/api/tags/label?tags=unknown,other")
            .await
            .error(404),
        "Not Found"
    );
    alice.delete("/api/tags/label").await.error(404);
    assert_eq!(labels(&alice.get(&path).await.ok()), ["bar", "foo"]);

    // " bar" is not "bar".
    let deleted = alice.delete("/api/tags/label?tags=foo,%20bar").await.ok();
    assert_eq!(deleted, json!([{"label": "foo", "slug": "t:foo"}]));
    assert_eq!(labels(&alice.get(&path).await.ok()), ["bar"]);
}

// ---------------------------------------------------------------------------
// Who reaches the tag routes (§2.3, §2.4)

/// §2.4: bob neither sees nor changes alice's entries' tags, nor deletes
/// her tags, by id or label, through any tag route; each attempt is a 404
/// that changes nothing.
#[tokio::test]
async fn another_user_cannot_see_add_remove_or_delete_tags() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let bob = Api::user(&app, "bob").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "alices"), &[("tags", "secret")])
        .await;
    let bobs = bob.save(&fixture("127.0.0.1", "bobs"), &[]).await;
    let id = id_of(&entry);
    let secret = tag_id(&entry, "secret");
    age(&app, &entry).await;

    bob.get(&format!("/api/entries/{id}/tags")).await.error(404);
    bob.post(&format!("/api/entries/{id}/tags"), &[("tags", "bobs")])
        .await
        .error(404);
    bob.delete(&format!("/api/entries/{id}/tags/{secret}"))
        .await
        .error(404);
    // Alice's tag id on bob's own entry is not a tag of his.
    bob.delete(&format!("/api/entries/{}/tags/{secret}", id_of(&bobs)))
        .await
        .error(404);
    bob.delete(&format!("/api/tags/{secret}")).await.error(404);
    bob.delete("/api/tag/label?tag=secret").await.error(404);
    bob.delete("/api/tags/label?tags=secret").await.error(404);
    assert_eq!(bob.get("/api/tags").await.ok(), json!([]));

    let after = alice.get(&format!("/api/entries/{id}")).await.ok();
    assert_eq!(after["tags"], entry["tags"]);
    assert!(is_aged(&after));
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM tags WHERE label = 'bobs'").await,
        0
    );
    assert_eq!(alice.get("/api/tags").await.ok()[0]["nbEntries"], 1);
}

/// §2.3: every tag route needs a token.
#[tokio::test]
async fn tag_routes_need_a_token() {
    let app = TestApp::start().await;

    for (method, path) in [
        (Method::GET, "/api/entries/1/tags"),
        (Method::POST, "/api/entries/1/tags"),
        (Method::DELETE, "/api/entries/1/tags/1"),
        (Method::GET, "/api/tags"),
        (Method::DELETE, "/api/tags/1"),
        (Method::DELETE, "/api/tag/label?tag=a"),
        (Method::DELETE, "/api/tags/label?tags=a"),
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
