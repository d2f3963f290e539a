//! Helpers for the entry tests: a per-user client for the API, readers for
//! the JSON it answers, fixtures made through the API itself, and a site on
//! loopback serving article pages to fetch.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::support::TestApp;

/// What the API answered.
pub struct Reply {
    pub status: u16,
    content_type: Option<String>,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub async fn read(response: reqwest::Response) -> Self {
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
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "{}", self.text);
        assert_eq!(self.content_type.as_deref(), Some("application/json"));
        self.json
    }

    /// An error answer in the API's shape; returns its message.
    pub fn error(self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.content_type.as_deref(), Some("application/json"));
        assert_eq!(self.json["code"], status);
        assert_eq!(self.json["error"]["code"], status);
        self.json["message"].as_str().unwrap().to_owned()
    }
}

/// One user's view of the API.
pub struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl<'a> Api<'a> {
    pub async fn user(app: &'a TestApp, username: &str) -> Self {
        Self {
            app,
            token: app.user_token(username).await,
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .http
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
    }

    pub async fn get(&self, path: &str) -> Reply {
        Reply::read(
            self.request(reqwest::Method::GET, path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let request = self.request(reqwest::Method::POST, path).form(form);
        Reply::read(request.send().await.unwrap()).await
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Reply {
        let request = self.request(reqwest::Method::POST, path).json(&body);
        Reply::read(request.send().await.unwrap()).await
    }

    pub async fn patch(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let request = self.request(reqwest::Method::PATCH, path).form(form);
        Reply::read(request.send().await.unwrap()).await
    }

    pub async fn patch_json(&self, path: &str, body: Value) -> Reply {
        let request = self.request(reqwest::Method::PATCH, path).json(&body);
        Reply::read(request.send().await.unwrap()).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
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
    pub async fn save(&self, url: &str, extra: &[(&str, &str)]) -> Value {
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
pub fn fixture(host: &str, name: &str) -> String {
    format!("http://{host}:9/{name}")
}

pub fn id_of(entry: &Value) -> i64 {
    entry["id"].as_i64().unwrap()
}

pub fn labels(entry: &Value) -> Vec<String> {
    let mut labels: Vec<String> = entry["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap().to_owned())
        .collect();
    labels.sort();
    labels
}

pub fn ids(page: &Value) -> Vec<i64> {
    page["_embedded"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

pub fn href<'v>(page: &'v Value, link: &str) -> &'v str {
    page["_links"][link]["href"].as_str().unwrap()
}

pub fn date(text: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_str(text.as_str().unwrap(), "%Y-%m-%dT%H:%M:%S%z").unwrap()
}

/// Now, to the second, as dates come back.
pub fn now_seconds() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

pub async fn sql_count(app: &TestApp, statement: &str) -> i64 {
    let conn = app.api_pool.get().await.unwrap();
    conn.query_one(statement, &[]).await.unwrap().get(0)
}

pub async fn annotate(app: &TestApp, entry: &Value) {
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
pub async fn serve_site() -> String {
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
