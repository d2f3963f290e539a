//! The entry endpoints (wallabag-api.md §5.6–§5.13) over real HTTP: every
//! "Tests:" item of those sections, adapted to fixtures made through the API
//! itself, plus pagination edges, user isolation, format suffixes and
//! fetching from pages served on loopback.
//!
//! Differences from wallabag's own tests: there are no tagging rules here,
//! so where upstream counts one tag more (its fixtures' rule adds `foot`),
//! these tests count exactly the tags sent.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::support::{TestApp, closed_port_url};

// ---------------------------------------------------------------------------
// Helpers

/// What the API answered.
struct Reply {
    status: u16,
    content_type: Option<String>,
    text: String,
    json: Value,
}

impl Reply {
    async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            content_type,
            text,
            json,
        }
    }

    /// A 200 JSON answer; returns its body.
    fn ok(self) -> Value {
        assert_eq!(self.status, 200, "{}", self.text);
        assert_eq!(self.content_type.as_deref(), Some("application/json"));
        self.json
    }

    /// An error answer in the API's shape; returns its message.
    fn error(self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.content_type.as_deref(), Some("application/json"));
        assert_eq!(self.json["code"], status);
        assert_eq!(self.json["error"]["code"], status);
        self.json["message"].as_str().unwrap().to_owned()
    }
}

/// One user's view of the API.
struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl<'a> Api<'a> {
    async fn user(app: &'a TestApp, username: &str) -> Self {
        Self {
            app,
            token: app.user_token(username).await,
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .http
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
    }

    async fn get(&self, path: &str) -> Reply {
        Reply::read(
            self.request(reqwest::Method::GET, path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let request = self.request(reqwest::Method::POST, path).form(form);
        Reply::read(request.send().await.unwrap()).await
    }

    async fn post_json(&self, path: &str, body: Value) -> Reply {
        let request = self.request(reqwest::Method::POST, path).json(&body);
        Reply::read(request.send().await.unwrap()).await
    }

    async fn patch(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let request = self.request(reqwest::Method::PATCH, path).form(form);
        Reply::read(request.send().await.unwrap()).await
    }

    async fn patch_json(&self, path: &str, body: Value) -> Reply {
        let request = self.request(reqwest::Method::PATCH, path).json(&body);
        Reply::read(request.send().await.unwrap()).await
    }

    async fn delete(&self, path: &str) -> Reply {
        Reply::read(
            self.request(reqwest::Method::DELETE, path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Saves `url` with given content (so nothing is fetched) and a title;
    /// `extra` adds or overrides fields.
    async fn save(&self, url: &str, extra: &[(&str, &str)]) -> Value {
        let title = format!("title of {url}");
        let mut form = vec![
            ("url", url),
            ("title", title.as_str()),
            ("content", "<p>some content</p>"),
        ];
        for (name, value) in extra {
            form.retain(|(n, _)| n != name);
            form.push((name, value));
        }
        self.post("/api/entries", &form).await.ok()
    }
}

/// A fixture URL. Entries saved with content are never fetched, so nothing
/// ever connects to it; it is on loopback all the same.
fn fixture(host: &str, name: &str) -> String {
    format!("http://{host}:9/{name}")
}

fn id_of(entry: &Value) -> i64 {
    entry["id"].as_i64().unwrap()
}

fn labels(entry: &Value) -> Vec<String> {
    let mut labels: Vec<String> = entry["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap().to_owned())
        .collect();
    labels.sort();
    labels
}

fn ids(page: &Value) -> Vec<i64> {
    page["_embedded"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

fn href<'v>(page: &'v Value, link: &str) -> &'v str {
    page["_links"][link]["href"].as_str().unwrap()
}

fn date(text: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_str(text.as_str().unwrap(), "%Y-%m-%dT%H:%M:%S%z").unwrap()
}

/// Now, to the second, as dates come back.
fn now_seconds() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

async fn sql_count(app: &TestApp, statement: &str) -> i64 {
    let conn = app.api_pool.get().await.unwrap();
    conn.query_one(statement, &[]).await.unwrap().get(0)
}

async fn annotate(app: &TestApp, entry: &Value) {
    let conn = app.api_pool.get().await.unwrap();
    conn.execute(
        "INSERT INTO annotations (entry_id, user_id, text, quote, ranges) \
         VALUES ($1, $2, 'a note', 'quoted text', \
                 '[{\"start\": \"/p[1]\", \"startOffset\": \"0\", \"end\": \"/p[1]\", \
                    \"endOffset\": \"11\"}]')",
        &[&id_of(entry), &entry["user_id"].as_i64().unwrap()],
    )
    .await
    .unwrap();
}

const ARTICLE_WORDS: usize = 90;

/// A realistic article page: metadata in the head, navigation around the
/// article, and scripts and event handlers that must not survive.
fn article_page() -> String {
    let paragraphs: String = (0..5)
        .map(|n| {
            let words: Vec<String> = (0..ARTICLE_WORDS).map(|i| format!("w{n}x{i}")).collect();
            format!("<p onclick=\"steal()\">{}</p>\n", words.join(" "))
        })
        .collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <title>Baking sourdough | The Blog</title>
  <meta property="og:title" content="Baking sourdough">
  <meta property="og:image" content="/images/loaf.jpg">
  <meta name="author" content="Jane Baker">
  <meta property="article:published_time" content="2024-03-01T09:15:02+01:00">
  <script>alert('head');</script>
</head>
<body>
  <nav><a href="/">Home</a> <a href="/about">About</a></nav>
  <article>
    <h1>Baking sourdough</h1>
    {paragraphs}
    <p>See also <a href="/other" onmouseover="alert(3)">another recipe</a>.</p>
    <script>alert('body');</script>
  </article>
  <footer>The Blog</footer>
</body>
</html>"#
    )
}

fn html(status: StatusCode, body: String) -> axum::response::Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Serves article pages on 127.0.0.1 and returns the base URL:
/// - `/article`: the article, 200;
/// - `/old`: 301 to `/article?from=old` (path and query change);
/// - `/moved`: 301 to `/article` (only the path changes);
/// - `/non-authoritative`: the article with status 203;
/// - `/empty`: a page with a title and no article.
async fn serve_site() -> String {
    let router = Router::new()
        .route(
            "/article",
            get(|| async { html(StatusCode::OK, article_page()) }),
        )
        .route(
            "/old",
            get(|| async {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, "/article?from=old")],
                )
            }),
        )
        .route(
            "/moved",
            get(|| async {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, "/article")],
                )
            }),
        )
        .route(
            "/non-authoritative",
            get(|| async { html(StatusCode::NON_AUTHORITATIVE_INFORMATION, article_page()) }),
        )
        .route(
            "/empty",
            get(|| async {
                html(
                    StatusCode::OK,
                    "<html><head><title>Nothing here</title></head><body></body></html>".to_owned(),
                )
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

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
// GET /api/entries (§5.7, §4.4)

/// §5.7: without parameters, the caller's entries, newest first, in full.
#[tokio::test]
async fn list_defaults_to_full_entries_newest_first() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let first = alice.save(&fixture("127.0.0.1", "one"), &[]).await;
    let second = alice.save(&fixture("127.0.0.1", "two"), &[]).await;

    let reply = alice.get("/api/entries").await;
    let page = reply.ok();

    assert_eq!(page["total"], 2);
    assert_eq!(page["page"], 1);
    assert_eq!(page["pages"], 1);
    assert_eq!(page["limit"], 30);
    assert_eq!(ids(&page), [id_of(&second), id_of(&first)]);
    assert_eq!(
        page["_embedded"]["items"][0]["content"],
        "<p>some content</p>"
    );
    let host = app.base.trim_start_matches("http://");
    assert_eq!(
        href(&page, "self"),
        format!(
            "http://{host}/api/entries?sort=created&order=desc&tags=&since=0&detail=full&page=1&perPage=30"
        )
    );
    assert_eq!(href(&page, "first"), href(&page, "self"));
    assert_eq!(href(&page, "last"), href(&page, "self"));
    assert!(page["_links"].get("next").is_none());
    assert!(page["_links"].get("previous").is_none());
}

/// §5.7: `detail=metadata` leaves `content` null.
#[tokio::test]
async fn list_with_metadata_detail_leaves_content_null() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    alice.save(&fixture("127.0.0.1", "one"), &[]).await;

    let page = alice.get("/api/entries?detail=metadata").await.ok();

    let item = &page["_embedded"]["items"][0];
    assert!(item.get("content").is_some(), "the key stays");
    assert_eq!(item["content"], Value::Null);
    assert!(href(&page, "self").contains("detail=metadata"));
}

/// §5.7: `domain_name` filters exactly, and is not carried into links.
#[tokio::test]
async fn list_filters_by_domain_name_without_carrying_it_into_links() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let a = alice.save(&fixture("127.0.0.2", "a"), &[]).await;
    alice.save(&fixture("127.0.0.3", "b"), &[]).await;
    let c = alice.save(&fixture("127.0.0.2", "c"), &[]).await;

    let page = alice.get("/api/entries?domain_name=127.0.0.2").await.ok();

    assert_eq!(page["total"], 2);
    assert_eq!(ids(&page), [id_of(&c), id_of(&a)]);
    assert_eq!(
        page["_embedded"]["items"][0]["title"],
        format!("title of {}", fixture("127.0.0.2", "c"))
    );
    assert!(!href(&page, "self").contains("domain_name"));
}

/// §5.7: `http_status` filters on the status the fetch got; codes that are
/// no HTTP status are ignored.
#[tokio::test]
async fn list_filters_by_http_status_and_ignores_unknown_codes() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let site = serve_site().await;
    alice
        .post("/api/entries", &[("url", &format!("{site}/article"))])
        .await
        .ok();
    let odd = alice
        .post(
            "/api/entries",
            &[("url", &format!("{site}/non-authoritative"))],
        )
        .await
        .ok();
    alice.save(&fixture("127.0.0.1", "not-fetched"), &[]).await;

    let page = alice.get("/api/entries?http_status=203").await.ok();
    assert_eq!(page["total"], 1);
    assert_eq!(ids(&page), [id_of(&odd)]);
    assert_eq!(page["_embedded"]["items"][0]["http_status"], "203");
    assert!(!href(&page, "self").contains("http_status"));

    let page = alice.get("/api/entries?http_status=404").await.ok();
    assert_eq!(page["total"], 0);
    assert_eq!(page["page"], 1);
    assert_eq!(page["pages"], 1);
    assert_eq!(page["_embedded"]["items"], json!([]));

    let page = alice.get("/api/entries?http_status=10000").await.ok();
    assert_eq!(page["total"], 3);
}

/// §5.7: every option at once; the links carry each of the list's own.
#[tokio::test]
async fn list_accepts_every_option_at_once_and_links_carry_them() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(
            &fixture("127.0.0.1", "all"),
            &[("archive", "1"), ("starred", "1"), ("tags", "foo")],
        )
        .await;
    annotate(&app, &entry).await;

    let page = alice
        .get(
            "/api/entries?archive=1&starred=1&sort=updated&order=asc&page=1&perPage=2&tags=foo\
             &since=1443274283&public=0&notParsed=0&http_status=200&annotations=1",
        )
        .await
        .ok();

    assert!(page["_embedded"]["items"].is_array());
    assert_eq!(page["limit"], 2);
    for link in ["self", "first", "last"] {
        let href = href(&page, link);
        for part in [
            "archive=1",
            "starred=1",
            "sort=updated",
            "order=asc",
            "tags=foo",
            "since=1443274283",
            "public=0",
            "annotations=1",
            "notParsed=0",
        ] {
            assert!(href.contains(part), "{link} lacks {part}: {href}");
        }
        assert!(href.ends_with("&page=1&perPage=2"), "{href}");
    }
    // Not fetched, so it has no http_status: the filter leaves nothing.
    assert_eq!(page["total"], 0);
    let without_status = alice
        .get(
            "/api/entries?archive=1&starred=1&sort=updated&order=asc&perPage=2&tags=foo\
             &since=1443274283&public=0&notParsed=0&annotations=1",
        )
        .await
        .ok();
    assert_eq!(ids(&without_status), [id_of(&entry)]);
}

/// §5.7: `public=1` lists shared entries; the default page size is 30.
#[tokio::test]
async fn list_filters_public_entries() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let shared = alice
        .save(&fixture("127.0.0.1", "shared"), &[("public", "1")])
        .await;
    let private = alice.save(&fixture("127.0.0.1", "private"), &[]).await;

    let page = alice.get("/api/entries?public=1").await.ok();
    assert_eq!(page["total"], 1);
    assert_eq!(ids(&page), [id_of(&shared)]);
    assert_eq!(page["limit"], 30);
    assert!(href(&page, "self").contains("public=1"));

    let page = alice.get("/api/entries?public=0").await.ok();
    assert_eq!(ids(&page), [id_of(&private)]);
    assert!(href(&page, "self").contains("public=0"));
}

/// §5.7: `annotations=1` lists only annotated entries, `annotations=0` only
/// the others.
#[tokio::test]
async fn list_filters_by_annotations() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let one = alice.save(&fixture("127.0.0.1", "entry1"), &[]).await;
    let two = alice.save(&fixture("127.0.0.1", "entry2"), &[]).await;
    let plain = alice.save(&fixture("127.0.0.1", "entry4"), &[]).await;
    annotate(&app, &one).await;
    annotate(&app, &two).await;

    let page = alice.get("/api/entries?annotations=1").await.ok();
    assert_eq!(ids(&page), [id_of(&two), id_of(&one)]);
    assert!(href(&page, "self").contains("annotations=1"));

    let page = alice.get("/api/entries?annotations=0").await.ok();
    assert_eq!(ids(&page), [id_of(&plain)]);
    assert!(href(&page, "self").contains("annotations=0"));
}

/// §5.7: `page` and `perPage` pick the page; `limit` echoes `perPage`.
#[tokio::test]
async fn list_pages_by_page_and_per_page() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let mut saved = Vec::new();
    for n in 0..5 {
        saved.push(id_of(
            &alice
                .save(&fixture("127.0.0.1", &format!("e{n}")), &[])
                .await,
        ));
    }

    let page = alice.get("/api/entries?page=2&perPage=2").await.ok();

    assert_eq!(page["page"], 2);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["pages"], 3);
    assert_eq!(page["total"], 5);
    assert_eq!(ids(&page), [saved[2], saved[1]]);
}

/// §5.7: an unknown `order` or `detail` is a 400 with wallabag's message.
#[tokio::test]
async fn list_refuses_an_unknown_order_or_detail() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    let reply = alice
        .get("/api/entries?starred=1&sort=updated&order=unknown")
        .await;
    assert_eq!(
        reply.error(400),
        "Order \"unknown\" parameter is wrong, allowed: asc or desc"
    );
    let reply = alice.get("/api/entries?detail=BAD").await;
    assert_eq!(
        reply.error(400),
        "Detail \"bad\" parameter is wrong, allowed: full or metadata"
    );
}

/// §5.7: flags, `sort` and `notParsed` filter and are carried into links.
#[tokio::test]
async fn list_links_carry_flags_sort_and_not_parsed() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let starred = alice
        .save(&fixture("127.0.0.1", "starred"), &[("starred", "1")])
        .await;
    let archived = alice
        .save(&fixture("127.0.0.1", "archived"), &[("archive", "1")])
        .await;
    // Not fetchable: saved as not parsed.
    let broken = alice
        .post(
            "/api/entries",
            &[("url", &format!("{}/broken", closed_port_url().await))],
        )
        .await
        .ok();

    let page = alice.get("/api/entries?starred=1&sort=updated").await.ok();
    assert_eq!(ids(&page), [id_of(&starred)]);
    assert!(href(&page, "self").contains("starred=1"));
    assert!(href(&page, "self").contains("sort=updated"));

    let page = alice.get("/api/entries?archive=1").await.ok();
    assert_eq!(ids(&page), [id_of(&archived)]);
    assert!(href(&page, "self").contains("archive=1"));

    let page = alice.get("/api/entries?notParsed=1").await.ok();
    assert_eq!(ids(&page), [id_of(&broken)]);
    assert!(href(&page, "self").contains("notParsed=1"));

    let page = alice.get("/api/entries?notParsed=0").await.ok();
    assert_eq!(ids(&page), [id_of(&archived), id_of(&starred)]);
    assert!(href(&page, "self").contains("notParsed=0"));

    // The word "false" means false (§11.7).
    let page = alice.get("/api/entries?archive=false").await.ok();
    assert_eq!(ids(&page), [id_of(&broken), id_of(&starred)]);
    assert!(href(&page, "self").contains("archive=0"));
}

/// §5.7: `tags` needs every listed label, matched exactly and untrimmed;
/// `tags[]` is ignored.
#[tokio::test]
async fn list_filters_by_all_listed_tags_exactly() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let both = alice
        .save(&fixture("127.0.0.1", "both"), &[("tags", "foo,bar")])
        .await;
    alice
        .save(&fixture("127.0.0.1", "foo"), &[("tags", "foo")])
        .await;
    alice
        .save(&fixture("127.0.0.1", "food"), &[("tags", "food,bar")])
        .await;

    let page = alice.get("/api/entries?tags=foo,bar").await.ok();
    assert_eq!(ids(&page), [id_of(&both)]);
    let first = &page["_embedded"]["items"][0];
    assert_eq!(labels(first), ["bar", "foo"]);
    assert!(href(&page, "self").contains("tags=foo,bar"));

    // Not trimmed: " bar" is no label.
    let page = alice.get("/api/entries?tags=foo,%20bar").await.ok();
    assert_eq!(page["total"], 0);
    assert!(href(&page, "self").contains("tags=foo,%20bar"));

    let page = alice.get("/api/entries?tags[]=foo&tags[]=bar").await.ok();
    assert_eq!(page["total"], 3);
    assert!(href(&page, "self").contains("tags=&"));
}

/// §5.7: `since` keeps entries updated after that second.
#[tokio::test]
async fn list_filters_by_since() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    alice.save(&fixture("127.0.0.1", "recent"), &[]).await;

    let page = alice.get("/api/entries?since=1443274283").await.ok();
    assert_eq!(page["total"], 1);
    assert!(href(&page, "self").contains("since=1443274283"));

    let future = Utc::now().timestamp() + 1000;
    let page = alice
        .get(&format!("/api/entries?since={future}"))
        .await
        .ok();
    assert_eq!(page["_embedded"]["items"], json!([]));
    assert_eq!(page["total"], 0);
    assert_eq!(page["page"], 1);
    assert_eq!(page["pages"], 1);
}

/// §4.4: an empty list is one page, with no next or previous link.
#[tokio::test]
async fn empty_list_has_one_page_and_no_next_or_previous() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    let page = alice.get("/api/entries").await.ok();

    assert_eq!(page["total"], 0);
    assert_eq!(page["page"], 1);
    assert_eq!(page["pages"], 1);
    assert_eq!(page["_embedded"], json!({"items": []}));
    let keys: Vec<&String> = page.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 6);
    let links: Vec<&String> = page["_links"].as_object().unwrap().keys().collect();
    assert_eq!(links.len(), 3, "{links:?}");
}

/// §4.4: pages that do not exist are 404s.
#[tokio::test]
async fn pages_out_of_range_are_not_found() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    for n in 0..3 {
        alice
            .save(&fixture("127.0.0.1", &format!("e{n}")), &[])
            .await;
    }

    for query in [
        "page=4&perPage=1",
        "page=2",
        "page=0",
        "page=-1",
        "page=abc",
        "perPage=0",
        "perPage=-5",
        "perPage=abc",
        "page=9223372036854775807",
    ] {
        let reply = alice.get(&format!("/api/entries?{query}")).await;
        assert_eq!(reply.error(404), "Not Found", "{query}");
    }
    // The last page exists.
    let last = alice.get("/api/entries?page=3&perPage=1").await.ok();
    assert_eq!(
        (last["page"].as_i64(), last["pages"].as_i64()),
        (Some(3), Some(3))
    );
}

/// §4.4: one entry per page; `next` and `previous` appear only where a page
/// exists, and following them walks the whole list.
#[tokio::test]
async fn walking_one_entry_per_page_follows_next_and_previous_links() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let mut saved = Vec::new();
    for n in 0..3 {
        saved.push(id_of(
            &alice
                .save(&fixture("127.0.0.1", &format!("e{n}")), &[])
                .await,
        ));
    }
    saved.reverse();

    let mut seen = Vec::new();
    let mut path = "/api/entries?perPage=1".to_owned();
    loop {
        let page = alice.get(&path).await.ok();
        let number = page["page"].as_i64().unwrap();
        assert_eq!(page["pages"], 3);
        assert_eq!(page["_links"].get("previous").is_some(), number > 1);
        assert_eq!(page["_links"].get("next").is_some(), number < 3);
        if number > 1 {
            assert!(href(&page, "previous").ends_with(&format!("page={}&perPage=1", number - 1)));
        }
        assert!(href(&page, "last").ends_with("page=3&perPage=1"));
        seen.extend(ids(&page));
        match page["_links"].get("next") {
            Some(next) => {
                path = next["href"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches(&app.base)
                    .to_owned();
            }
            None => break,
        }
    }
    assert_eq!(seen, saved);
}

/// §11.9: `perPage` up to i64::MAX, and beyond, is accepted.
#[tokio::test]
async fn huge_per_page_is_accepted() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    alice.save(&fixture("127.0.0.1", "one"), &[]).await;

    for per_page in ["9223372036854775807", "99999999999999999999"] {
        let page = alice
            .get(&format!("/api/entries?perPage={per_page}"))
            .await
            .ok();
        assert_eq!(page["total"], 1);
        assert_eq!(page["pages"], 1);
        assert_eq!(page["limit"], i64::MAX);
        assert!(href(&page, "self").ends_with("page=1&perPage=9223372036854775807"));
    }
}

/// §5.7: `sort=updated` orders by the last change, `sort=archived` by the
/// archiving date, in either order; an unknown sort is accepted.
#[tokio::test]
async fn list_sorts_by_updated_and_archived_dates() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let old = id_of(&alice.save(&fixture("127.0.0.1", "old"), &[]).await);
    let new = id_of(&alice.save(&fixture("127.0.0.1", "new"), &[]).await);
    let conn = app.api_pool.get().await.unwrap();
    // Make `old` the most recently updated and archived, a day apart.
    conn.batch_execute(&format!(
        "UPDATE entries SET updated_at = now() + interval '1 day', is_archived = true, \
             archived_at = now() + interval '1 day' WHERE id = {old}; \
         UPDATE entries SET is_archived = true, archived_at = now() WHERE id = {new};"
    ))
    .await
    .unwrap();

    let order = |query: &'static str| {
        let alice = &alice;
        async move { ids(&alice.get(&format!("/api/entries?{query}")).await.ok()) }
    };
    assert_eq!(order("sort=updated").await, [old, new]);
    assert_eq!(order("sort=updated&order=asc").await, [new, old]);
    assert_eq!(order("sort=archived&order=desc").await, [old, new]);
    assert_eq!(order("sort=ARCHIVED&order=ASC").await, [new, old]);
    assert_eq!(order("sort=created").await, [new, old]);
    assert_eq!(order("sort=nonsense").await.len(), 2);
}

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
