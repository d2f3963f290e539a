//! Annotations over real HTTP (wallabag-api.md §4.3, §5.25): listing an
//! entry's annotations, creating, editing and deleting them, the JSON-only
//! bodies they take, and their isolation between users (§2.4).

use auth_server::store::{NewUser, UserStore};
use reqwest::Method;
use serde_json::{Value, json};

use crate::entries_support::{Api, Reply, fixture, id_of, sql_count};
use crate::support::{PASSWORD, TestApp};

fn path(id: i64) -> String {
    format!("/api/annotations/{id}")
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    Reply::read(request.send().await.unwrap()).await
}

/// Sends `body` as it is, with this content type (none when `None`).
async fn send_raw(
    api: &Api<'_>,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> Reply {
    let mut request = api.request(method, path).body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    send(request).await
}

async fn annotation_count(app: &TestApp) -> i64 {
    sql_count(app, "SELECT count(*) FROM annotations").await
}

/// A saved entry of this user's, with its id.
async fn saved_entry(api: &Api<'_>, name: &str) -> i64 {
    id_of(&api.save(&fixture("127.0.0.1", name), &[]).await)
}

/// An annotation made through the API; returns the answer.
async fn annotate(api: &Api<'_>, entry: i64, body: Value) -> Value {
    api.post_json(&path(entry), body).await.ok()
}

/// A note with a quote and one range, as annotator.js sends it.
fn note(text: &str) -> Value {
    json!({
        "text": text,
        "quote": "the important sentence",
        "ranges": [{"start": "/p[2]", "startOffset": 0, "end": "/p[2]", "endOffset": 22}]
    })
}

/// Sets the entry's `updated_at` far in the past, so that a request that
/// moved it would show.
async fn age(app: &TestApp, entry: i64) {
    let conn = app.api_pool.get().await.unwrap();
    conn.execute(
        "UPDATE entries SET updated_at = '2000-01-01T00:00:00Z' WHERE id = $1",
        &[&entry],
    )
    .await
    .unwrap();
}

async fn entry_updated_at(api: &Api<'_>, entry: i64) -> Value {
    api.get(&format!("/api/entries/{entry}")).await.ok()["updated_at"].clone()
}

// ---------------------------------------------------------------------------
// POST /api/annotations/{entry} (§5.25, §4.3)

/// §5.25, §4.3: a POST answers 200 with the annotation: the owner's display
/// name, schema version v1.0, text and quote as sent, range numbers as
/// strings, wallabag's dates, keys in wallabag's order.
#[tokio::test]
async fn posting_an_annotation_answers_it_in_wallabags_shape() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, "one").await;

    let reply = alice.post_json(&path(entry), note("key point")).await;
    let text = reply.text.clone();
    let annotation = reply.ok();

    assert_eq!(annotation["user"], "alice display");
    assert_eq!(annotation["annotator_schema_version"], "v1.0");
    assert!(annotation["id"].as_i64().unwrap() > 0);
    assert_eq!(annotation["text"], "key point");
    assert_eq!(annotation["quote"], "the important sentence");
    assert_eq!(
        annotation["ranges"],
        json!([{"start": "/p[2]", "startOffset": "0", "end": "/p[2]", "endOffset": "22"}])
    );
    let created = annotation["created_at"].as_str().unwrap();
    assert_eq!(created.len(), "2016-09-08T11:55:58+0000".len(), "{created}");
    assert!(created.ends_with("+0000"));
    assert_eq!(annotation["updated_at"], annotation["created_at"]);
    let order: Vec<usize> = [
        "\"user\":",
        "\"annotator_schema_version\":",
        "\"id\":",
        "\"text\":",
        "\"created_at\":",
        "\"updated_at\":",
        "\"quote\":",
        "\"ranges\":",
    ]
    .iter()
    .map(|key| text.find(key).unwrap_or_else(|| panic!("{key} in {text}")))
    .collect();
    assert!(order.is_sorted(), "key order of {text}");
    let range_order: Vec<usize> = [
        "\"start\":",
        "\"startOffset\":",
        "\"end\":",
        "\"endOffset\":",
    ]
    .iter()
    .map(|key| text.find(key).unwrap())
    .collect();
    assert!(range_order.is_sorted(), "range key order of {text}");
    assert_eq!(annotation_count(&app).await, 1);
}

/// §5.25 (API only): a null quote, or none, is stored and answered as "";
/// so is a missing text.
#[tokio::test]
async fn a_null_or_missing_quote_becomes_an_empty_string() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, "one").await;

    let null_quote = annotate(&alice, entry, json!({"text": "a", "quote": null})).await;
    assert_eq!(null_quote["quote"], "");
    let no_quote = annotate(&alice, entry, json!({"text": "b"})).await;
    assert_eq!(no_quote["quote"], "");
    let nothing = annotate(&alice, entry, json!({})).await;
    assert_eq!(
        (&nothing["text"], &nothing["quote"]),
        (&json!(""), &json!(""))
    );
    assert_eq!(nothing["ranges"], json!([]));
}

/// §5.25: a quote of 10,001 characters is a 400 whose body is `{}`, and
/// nothing is stored; 10,000 is accepted.
#[tokio::test]
async fn a_quote_over_ten_thousand_characters_is_refused_with_an_empty_object() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, "one").await;

    let long = "a".repeat(10_001);
    let reply = alice
        .post_json(&path(entry), json!({"text": "t", "quote": long}))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json, json!({}));
    assert_eq!(annotation_count(&app).await, 0);

    let longest = annotate(&alice, entry, json!({"quote": "é".repeat(10_000)})).await;
    assert_eq!(longest["quote"].as_str().unwrap().chars().count(), 10_000);
}

/// §4.3: empty range values come back as absent keys (null keys are left
/// out), values are trimmed, extra keys dropped; inside the entry the same
/// annotation keeps its nulls (§1.5).
#[tokio::test]
async fn empty_range_values_are_left_out_alone_and_null_inside_the_entry() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, "one").await;

    let annotation = annotate(
        &alice,
        entry,
        json!({"ranges": [{"start": " /p[1] ", "startOffset": 3, "end": "",
                           "color": "red"}]}),
    )
    .await;
    assert_eq!(
        annotation["ranges"],
        json!([{"start": "/p[1]", "startOffset": "3"}])
    );

    let inside = alice.get(&format!("/api/entries/{entry}")).await.ok();
    let ranges = &inside["annotations"][0]["ranges"][0];
    assert_eq!(ranges["start"], "/p[1]");
    assert_eq!(ranges["startOffset"], "3");
    assert!(ranges.get("end").is_some_and(Value::is_null), "{ranges}");
    assert!(ranges.get("endOffset").is_some_and(Value::is_null));
    assert!(ranges.get("color").is_none());
}

/// §1.2: form bodies are not understood. As in wallabag, a form POST
/// makes an empty annotation (its body does not decode as JSON).
#[tokio::test]
async fn a_form_body_is_not_read_and_makes_an_empty_annotation() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, "one").await;

    let annotation = alice
        .post(&path(entry), &[("text", "hello"), ("quote", "world")])
        .await
        .ok();
    assert_eq!(
        (&annotation["text"], &annotation["quote"]),
        (&json!(""), &json!(""))
    );

    // JSON sent without saying so is still read, as wallabag decodes the
    // raw body.
    let plain = send_raw(
        &alice,
        Method::POST,
        &path(entry),
        Some("text/plain"),
        r#"{"text": "plain"}"#,
    )
    .await
    .ok();
    assert_eq!(plain["text"], "plain");
}

/// §1.2, §5.25: a body declared JSON (or undeclared) that is not a JSON
/// object is a 400, and so are values a form cannot take; nothing is
/// stored.
#[tokio::test]
async fn bodies_that_are_not_annotations_are_refused_and_store_nothing() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, "one").await;
    let at = path(entry);

    let broken = send_raw(&alice, Method::POST, &at, Some("application/json"), "{").await;
    assert_eq!(broken.error(400), "Invalid json message received");
    let undeclared = send_raw(&alice, Method::POST, &at, None, "text=hi").await;
    assert_eq!(undeclared.error(400), "Invalid json message received");
    let scalar = send_raw(&alice, Method::POST, &at, Some("text/plain"), "42").await;
    assert_eq!((scalar.status, &scalar.json), (400, &json!({})));
    for body in [
        json!({"text": ["a", "list"]}),
        json!({"ranges": "not a list"}),
        json!({"ranges": [1, 2]}),
        json!({"ranges": [{"start": {"an": "object"}}]}),
    ] {
        let reply = alice.post_json(&at, body.clone()).await;
        assert_eq!((reply.status, &reply.json), (400, &json!({})), "{body}");
    }
    assert_eq!(annotation_count(&app).await, 0);
}

// ---------------------------------------------------------------------------
// GET /api/annotations/{entry} (§5.25)

/// §5.25: the caller's annotations on their entry, oldest first, with
/// their count; an entry without any has `{"total": 0, "rows": []}`.
#[tokio::test]
async fn listing_an_entrys_annotations_gives_total_and_rows() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, "one").await;
    let other = saved_entry(&alice, "two").await;
    let first = annotate(&alice, entry, note("first")).await;
    let second = annotate(&alice, entry, note("second")).await;
    annotate(&alice, other, note("elsewhere")).await;

    let list = alice.get(&path(entry)).await.ok();
    assert_eq!(list["total"], 2);
    assert_eq!(list["rows"], json!([first, second]));

    let empty = saved_entry(&alice, "three").await;
    assert_eq!(
        alice.get(&format!("{}.json", path(empty))).await.ok(),
        json!({"total": 0, "rows": []})
    );
}

/// §1.1: unknown and non-numeric ids are 404 for every method.
#[tokio::test]
async fn unknown_and_malformed_ids_are_not_found() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, "one").await;
    annotate(&alice, entry, note("kept")).await;

    for id in ["999999", "abc", "-1", "1x"] {
        let at = format!("/api/annotations/{id}");
        assert_eq!(alice.get(&at).await.error(404), "Not Found", "{id}");
        assert_eq!(
            alice.post_json(&at, note("x")).await.error(404),
            "Not Found"
        );
        let put = send(alice.request(Method::PUT, &at).json(&json!({"text": "x"}))).await;
        assert_eq!(put.error(404), "Not Found");
        assert_eq!(alice.delete(&at).await.error(404), "Not Found");
    }
    assert_eq!(annotation_count(&app).await, 1);
}

// ---------------------------------------------------------------------------
// PUT /api/annotations/{annotation} (§5.25)

/// §5.25: PUT changes only the text; the answer keeps user, version and
/// quote.
#[tokio::test]
async fn putting_an_annotation_changes_only_its_text() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, "one").await;
    let annotation = annotate(&alice, entry, note("before")).await;
    let id = id_of(&annotation);

    let request = alice
        .request(Method::PUT, &format!("{}.json", path(id)))
        .json(&json!({"text": "after", "quote": "ignored", "ranges": []}));
    let edited = send(request).await.ok();

    assert_eq!(edited["id"], id);
    assert_eq!(edited["user"], "alice display");
    assert_eq!(edited["annotator_schema_version"], "v1.0");
    assert_eq!(edited["text"], "after");
    assert_eq!(edited["quote"], "the important sentence");
    assert_eq!(edited["ranges"], annotation["ranges"]);
    assert_eq!(edited["created_at"], annotation["created_at"]);
    let listed = alice.get(&path(entry)).await.ok();
    assert_eq!(listed["rows"][0], edited);
}

/// §5.25: a PUT body that is not JSON is a 400 (wallabag: 500) and
/// changes nothing.
#[tokio::test]
async fn putting_a_body_that_is_not_json_is_refused_and_changes_nothing() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, "one").await;
    let annotation = annotate(&alice, entry, note("kept")).await;
    let at = path(id_of(&annotation));

    let form = send(alice.request(Method::PUT, &at).form(&[("text", "form")])).await;
    assert_eq!(form.error(400), "Invalid json message received");
    let empty = send_raw(&alice, Method::PUT, &at, Some("application/json"), "").await;
    assert_eq!(empty.error(400), "Invalid json message received");
    let list = send(
        alice
            .request(Method::PUT, &at)
            .json(&json!({"text": ["x"]})),
    )
    .await;
    assert_eq!((list.status, &list.json), (400, &json!({})));

    assert_eq!(alice.get(&path(entry)).await.ok()["rows"][0], annotation);
}

// ---------------------------------------------------------------------------
// DELETE /api/annotations/{annotation} (§5.25)

/// §5.25, §4.3: DELETE answers the annotation as it was, without its id,
/// and the row is gone.
#[tokio::test]
async fn deleting_an_annotation_answers_it_without_its_id() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, "one").await;
    let annotation = annotate(&alice, entry, note("gone soon")).await;
    let kept = annotate(&alice, entry, note("kept")).await;

    let deleted = alice.delete(&path(id_of(&annotation))).await.ok();

    assert!(deleted.get("id").is_none(), "{deleted}");
    let mut expected = annotation.clone();
    expected.as_object_mut().unwrap().remove("id");
    assert_eq!(deleted, expected);
    assert_eq!(deleted["text"], "gone soon");
    let list = alice.get(&path(entry)).await.ok();
    assert_eq!(list, json!({"total": 1, "rows": [kept]}));
    assert_eq!(
        alice.delete(&path(id_of(&annotation))).await.error(404),
        "Not Found"
    );
}

// ---------------------------------------------------------------------------
// Around the annotations

/// §5.25, §4.1: creating, editing and deleting annotations leave the
/// entry's `updated_at` alone.
#[tokio::test]
async fn annotation_changes_do_not_touch_the_entrys_updated_at() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, "one").await;
    age(&app, entry).await;
    let aged = json!("2000-01-01T00:00:00+0000");

    let annotation = annotate(&alice, entry, note("new")).await;
    assert_eq!(entry_updated_at(&alice, entry).await, aged);
    let put = alice
        .request(Method::PUT, &path(id_of(&annotation)))
        .json(&json!({"text": "edited"}));
    send(put).await.ok();
    assert_eq!(entry_updated_at(&alice, entry).await, aged);
    alice.delete(&path(id_of(&annotation))).await.ok();
    assert_eq!(entry_updated_at(&alice, entry).await, aged);
}

/// §4.3: a user without a display name has annotations without `user`
/// on their own, and with `"user": null` inside entries.
#[tokio::test]
async fn a_user_without_a_display_name_leaves_user_out() {
    let app = TestApp::start().await;
    let hash = auth_server::password::hash_now(PASSWORD).unwrap();
    UserStore::new(app.auth_pool.clone())
        .create(&NewUser {
            username: "carol",
            email: "carol@example.com",
            name: None,
            password_hash: &hash,
        })
        .await
        .unwrap();
    let token = app.login("carol").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let request = app
        .http
        .post(app.url("/api/entries"))
        .bearer_auth(&token)
        .form(&[
            ("url", fixture("127.0.0.1", "carol").as_str()),
            ("content", "<p>c</p>"),
        ]);
    let entry = id_of(&send(request).await.ok());

    let request = app
        .http
        .post(app.url(&path(entry)))
        .bearer_auth(&token)
        .json(&note("anonymous"));
    let annotation = send(request).await.ok();
    assert!(annotation.get("user").is_none(), "{annotation}");

    let request = app
        .http
        .get(app.url(&format!("/api/entries/{entry}")))
        .bearer_auth(&token);
    let inside = send(request).await.ok();
    let user = inside["annotations"][0].get("user");
    assert!(user.is_some_and(Value::is_null), "{inside}");
}

/// §2.4: another user's entry and annotations are 404 for every method,
/// and their attempts change nothing.
#[tokio::test]
async fn another_user_cannot_list_add_edit_or_delete_annotations() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let bob = Api::user(&app, "bob").await;
    let entry = saved_entry(&alice, "one").await;
    let annotation = annotate(&alice, entry, note("alice's")).await;
    let id = id_of(&annotation);
    let bobs_entry = saved_entry(&bob, "two").await;

    assert_eq!(bob.get(&path(entry)).await.error(404), "Not Found");
    assert_eq!(
        bob.post_json(&path(entry), note("bob's")).await.error(404),
        "Not Found"
    );
    // A bad body on someone else's entry is still just not found.
    let long = json!({"quote": "a".repeat(10_001)});
    assert_eq!(
        bob.post_json(&path(entry), long).await.error(404),
        "Not Found"
    );
    let put = bob
        .request(Method::PUT, &path(id))
        .json(&json!({"text": "bob's"}));
    assert_eq!(send(put).await.error(404), "Not Found");
    let bad_put = send_raw(&bob, Method::PUT, &path(id), Some("application/json"), "{").await;
    assert_eq!(bad_put.error(404), "Not Found");
    assert_eq!(bob.delete(&path(id)).await.error(404), "Not Found");

    // Bob's own entry lists none of Alice's annotations, even by id.
    assert_eq!(
        bob.get(&path(bobs_entry)).await.ok(),
        json!({"total": 0, "rows": []})
    );
    assert_eq!(
        alice.get(&path(entry)).await.ok(),
        json!({"total": 1, "rows": [annotation]})
    );
}

/// §2.3: the annotation routes need a token.
#[tokio::test]
async fn annotation_routes_need_a_token() {
    let app = TestApp::start().await;
    for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
        let reply = send(
            app.http
                .request(method.clone(), app.url("/api/annotations/1")),
        )
        .await;
        assert_eq!(reply.status, 401, "{method}");
        assert_eq!(reply.json["error"], "access_denied");
    }
}
