//! End-to-end tests of the fetcher against pages served on loopback.
//!
//! Every server here binds 127.0.0.1 on port 0; nothing leaves the machine.
//! Private targets such as 10.0.0.1 appear only in URLs the guard must refuse
//! before connecting, and the tests assert that it does so at once.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use super::guard::AddressPolicy;
use super::{FetchConfig, FetchError, Fetcher};

const PARAGRAPH_WORDS: usize = 90;

fn paragraph(n: usize) -> String {
    let words: Vec<String> = (0..PARAGRAPH_WORDS)
        .map(|i| format!("mot{n}x{i}"))
        .collect();
    format!("<p onclick=\"steal()\">{}</p>", words.join(" "))
}

/// A realistic article page: metadata in the head, scripts and handlers in
/// the body, relative image and link, navigation around the article.
fn article_page() -> String {
    let paragraphs: String = (0..5).map(paragraph).collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="fr-FR">
<head>
  <meta charset="utf-8">
  <title>Le pain au levain | Le Blog</title>
  <meta property="og:title" content="Le pain au levain">
  <meta property="og:image" content="/images/pain.jpg">
  <meta name="author" content="Marie Curie">
  <meta property="article:published_time" content="2024-03-01T09:15:02+01:00">
  <script>alert('head');</script>
  <style>body {{ color: red; }}</style>
</head>
<body>
  <nav><a href="/">Accueil</a> <a href="/a-propos">À propos</a></nav>
  <article>
    <h1>Le pain au levain</h1>
    {paragraphs}
    <figure><img src="/images/etape.jpg" alt="Une étape" onerror="alert(2)"><figcaption>Une étape</figcaption></figure>
    <p>Voir aussi <a href="/autre-recette" onmouseover="alert(3)">une autre recette</a>.</p>
    <script>alert('body');</script>
  </article>
  <footer>© Le Blog</footer>
</body>
</html>"#
    )
}

async fn article() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::HeaderName::from_static("x-served-by"), "test"),
        ],
        article_page(),
    )
        .into_response()
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(3)).await;
    "too late"
}

fn pages() -> Router {
    Router::new()
        .route("/article", get(article))
        .route(
            "/r1",
            get(|| async { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/r2")]) }),
        )
        .route(
            "/r2",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/article")]) }),
        )
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .route("/big", get(|| async { "x".repeat(10 * 1024) }))
        .route("/slow", get(slow))
        .route(
            "/missing",
            get(|| async { (StatusCode::NOT_FOUND, "<h1>Not found</h1>") }),
        )
        .route(
            "/to-private",
            get(|| async { Redirect::temporary("http://10.0.0.1/secret") }),
        )
        .route(
            "/to-metadata",
            get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }),
        )
        .route("/to-localhost", get(to_localhost))
        .route(
            "/plain",
            get(|| async { ([(header::CONTENT_TYPE, "text/plain")], "a <b> & c") }),
        )
        .route(
            "/image",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], vec![0u8; 16]) }),
        )
        .route(
            "/pdf",
            get(|| async { ([(header::CONTENT_TYPE, "application/pdf")], "%PDF-1.4") }),
        )
        .route("/latin1", get(latin1))
}

async fn to_localhost(headers: HeaderMap) -> Redirect {
    let port = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| host.rsplit(':').next())
        .unwrap_or("80")
        .to_owned();
    Redirect::temporary(&format!("http://localhost:{port}/article"))
}

async fn latin1() -> Response {
    let mut body = b"<html><head><title>Caf\xe9</title></head><body><article>".to_vec();
    for _ in 0..20 {
        body.extend_from_slice(
            b"<p>Le caf\xe9 est servi avec une cr\xe8me br\xfbl\xe9e tous les matins.</p>",
        );
    }
    body.extend_from_slice(b"</article></body></html>");
    (
        [(header::CONTENT_TYPE, "text/html; charset=iso-8859-1")],
        body,
    )
        .into_response()
}

async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// A server speaking raw HTTP/1.1: answers every connection with `head` and
/// `body`, then either closes or keeps the socket open without finishing.
async fn serve_raw(head: &'static str, body: Vec<u8>, hold_open: bool) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
                if hold_open {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
            });
        }
    });
    addr
}

fn config() -> FetchConfig {
    FetchConfig {
        allow_private: true,
        timeout: Duration::from_secs(10),
        ..FetchConfig::default()
    }
}

fn url(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

/// Asserts nobody connected to `listener`: a completed TCP handshake would be
/// waiting in its backlog, so a zero-time accept would succeed.
async fn assert_no_connection(listener: &TcpListener) {
    let accepted = tokio::time::timeout(Duration::ZERO, listener.accept()).await;
    assert!(
        accepted.is_err(),
        "the fetcher connected to a refused address"
    );
}

/// A realistic article comes back with its metadata and sanitised content.
#[tokio::test]
async fn an_article_page_yields_clean_content_and_metadata() {
    let addr = serve(pages()).await;
    let fetcher = Fetcher::new(config()).unwrap();

    let article = fetcher.fetch(&url(addr, "/article")).await.unwrap();

    assert_eq!(article.final_url, url(addr, "/article"));
    assert_eq!(article.title.as_deref(), Some("Le pain au levain"));
    for gone in [
        "<script",
        "alert",
        "onclick",
        "onerror",
        "onmouseover",
        "color: red",
    ] {
        assert!(
            !article.content.contains(gone),
            "{gone} survived: {}",
            article.content
        );
    }
    assert!(
        article.content.contains("mot0x0 mot0x1"),
        "{}",
        article.content
    );
    assert!(article.content.contains("mot4x89"), "{}", article.content);
    assert!(
        article
            .content
            .contains(&format!(r#"src="http://{addr}/images/etape.jpg""#)),
        "{}",
        article.content
    );
    assert!(
        article
            .content
            .contains(&format!(r#"href="http://{addr}/autre-recette""#)),
        "{}",
        article.content
    );
    // 5 × 90 generated words plus a handful of ordinary ones: 2 minutes.
    assert_eq!(article.reading_time, 2);
    assert_eq!(article.language.as_deref(), Some("fr_FR"));
    assert_eq!(article.authors, ["Marie Curie"]);
    assert_eq!(
        article
            .published_at
            .map(|date| date.to_rfc3339())
            .as_deref(),
        Some("2024-03-01T09:15:02+01:00")
    );
    assert_eq!(
        article.preview_picture.map(String::from),
        Some(format!("http://{addr}/images/pain.jpg"))
    );
    assert_eq!(
        article.mimetype.as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(article.http_status, 200);
    assert_eq!(
        article.headers.get("x-served-by").map(String::as_str),
        Some("test")
    );
    assert!(article.headers.contains_key("content-type"));
    assert_eq!(article.domain_name.as_deref(), Some("127.0.0.1"));
}

/// A 301 then a 302 lead to the article; the final URL is the last hop.
#[tokio::test]
async fn a_redirect_chain_reaches_the_article() {
    let addr = serve(pages()).await;
    let fetcher = Fetcher::new(config()).unwrap();

    let article = fetcher.fetch(&url(addr, "/r1")).await.unwrap();

    assert_eq!(article.final_url, url(addr, "/article"));
    assert_eq!(article.title.as_deref(), Some("Le pain au levain"));
}

/// A page that redirects to itself stops at the redirect limit.
#[tokio::test]
async fn a_redirect_loop_is_too_many_redirects() {
    let addr = serve(pages()).await;
    let fetcher = Fetcher::new(config()).unwrap();

    let err = fetcher.fetch(&url(addr, "/loop")).await.unwrap_err();

    assert!(
        matches!(err, FetchError::TooManyRedirects { limit: 5 }),
        "{err:?}"
    );
}

/// A body over the cap is refused, whether or not its length is announced.
#[tokio::test]
async fn an_oversized_body_is_too_large() {
    let addr = serve(pages()).await;
    let raw = serve_raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n",
        vec![b'x'; 10 * 1024],
        false,
    )
    .await;
    let fetcher = Fetcher::new(FetchConfig {
        max_bytes: 1024,
        ..config()
    })
    .unwrap();

    let announced = fetcher.fetch(&url(addr, "/big")).await.unwrap_err();
    let unannounced = fetcher.fetch(&url(raw, "/")).await.unwrap_err();

    assert!(
        matches!(announced, FetchError::TooLarge { limit: 1024 }),
        "{announced:?}"
    );
    assert!(
        matches!(unannounced, FetchError::TooLarge { limit: 1024 }),
        "{unannounced:?}"
    );
}

/// A server slow to answer, or one that stalls mid-body, hits the deadline.
#[tokio::test]
async fn a_slow_server_times_out() {
    let addr = serve(pages()).await;
    let stalled = serve_raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n",
        b"<p>only the beginning".to_vec(),
        true,
    )
    .await;
    let fetcher = Fetcher::new(FetchConfig {
        timeout: Duration::from_millis(300),
        ..config()
    })
    .unwrap();

    let started = Instant::now();
    let slow = fetcher.fetch(&url(addr, "/slow")).await.unwrap_err();
    let stalled = fetcher.fetch(&url(stalled, "/")).await.unwrap_err();

    assert!(matches!(slow, FetchError::Timeout), "{slow:?}");
    assert!(matches!(stalled, FetchError::Timeout), "{stalled:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// An error page is a failed fetch, not an article.
#[tokio::test]
async fn a_404_is_an_http_error() {
    let addr = serve(pages()).await;
    let fetcher = Fetcher::new(config()).unwrap();

    let err = fetcher.fetch(&url(addr, "/missing")).await.unwrap_err();

    assert!(matches!(err, FetchError::Http(404)), "{err:?}");
}

/// With private addresses refused, loopback and internal targets fail at once
/// and nothing connects, even where a server is listening.
#[tokio::test]
async fn private_targets_are_blocked_without_connecting() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let fetcher = Fetcher::new(FetchConfig::default()).unwrap();

    for target in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        "http://10.0.0.1/".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://0.0.0.0/entry4".to_owned(),
    ] {
        let started = Instant::now();
        let err = fetcher
            .fetch(&Url::parse(&target).unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Blocked(_)), "{target}: {err:?}");
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{target} was slow to refuse"
        );
    }
    assert_no_connection(&listener).await;
}

/// A host name is checked on the addresses it resolves to, inside the
/// connector: this request skips the URL check and still never connects.
#[tokio::test]
async fn names_resolving_to_private_addresses_are_blocked_by_the_resolver() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let fetcher = Fetcher::new(FetchConfig::default()).unwrap();

    let target = Url::parse(&format!("http://localhost:{port}/")).unwrap();
    let err = fetcher.request(&target).await.unwrap_err();

    assert!(
        matches!(err, FetchError::Blocked(ref host) if host == "localhost"),
        "{err:?}"
    );
    assert_no_connection(&listener).await;
}

/// Every redirect hop is checked: a page on an allowed address that redirects
/// into the network is refused at that hop. The test policy admits exactly
/// 127.0.0.1 (where the pages are served) on top of public addresses.
#[tokio::test]
async fn a_redirect_to_a_private_address_is_blocked() {
    let addr = serve(pages()).await;
    let policy = AddressPolicy::PublicAnd(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let fetcher = Fetcher::with_policy(config(), policy).unwrap();

    // The policy lets the test server itself through...
    let article = fetcher.fetch(&url(addr, "/r1")).await.unwrap();
    assert_eq!(article.final_url, url(addr, "/article"));

    // ...and refuses every private redirect target.
    for (path, host) in [
        ("/to-private", "10.0.0.1"),
        ("/to-metadata", "169.254.169.254"),
        ("/to-localhost", "localhost"),
    ] {
        let err = fetcher.fetch(&url(addr, path)).await.unwrap_err();
        assert!(
            matches!(err, FetchError::Blocked(ref h) if h == host),
            "{path}: {err:?}"
        );
    }
}

/// An https URL goes through rustls: against a plain-HTTP server the handshake
/// fails cleanly as a network error.
#[tokio::test]
async fn https_is_attempted_with_tls() {
    let addr = serve(pages()).await;
    let fetcher = Fetcher::new(config()).unwrap();
    // A second client must not trip over the already-installed crypto provider.
    let _again = Fetcher::new(config()).unwrap();

    let target = Url::parse(&format!("https://{addr}/article")).unwrap();
    let err = fetcher.fetch(&target).await.unwrap_err();

    assert!(matches!(err, FetchError::Network(_)), "{err:?}");
}

/// Plain text is kept in a `<pre>`, an image becomes an `<img>` and its own
/// preview, and other documents are unsupported.
#[tokio::test]
async fn non_html_responses_by_content_type() {
    let addr = serve(pages()).await;
    let fetcher = Fetcher::new(config()).unwrap();

    let plain = fetcher.fetch(&url(addr, "/plain")).await.unwrap();
    assert_eq!(plain.content, "<pre>a &lt;b&gt; &amp; c</pre>");

    let image = fetcher.fetch(&url(addr, "/image")).await.unwrap();
    assert_eq!(
        image.content,
        format!(r#"<img src="http://{addr}/image" alt="">"#)
    );
    assert_eq!(image.preview_picture, Some(url(addr, "/image")));

    let pdf = fetcher.fetch(&url(addr, "/pdf")).await.unwrap_err();
    assert!(matches!(pdf, FetchError::UnsupportedContent(ref t) if t == "application/pdf"));
}

/// A page in ISO-8859-1 is decoded by its declared charset.
#[tokio::test]
async fn a_latin1_page_is_decoded() {
    let addr = serve(pages()).await;
    let fetcher = Fetcher::new(config()).unwrap();

    let article = fetcher.fetch(&url(addr, "/latin1")).await.unwrap();

    assert_eq!(article.title.as_deref(), Some("Café"));
    assert!(
        article.content.contains("crème brûlée"),
        "{}",
        article.content
    );
}

/// Schemes other than http and https are refused before any request.
#[tokio::test]
async fn other_schemes_are_refused() {
    let fetcher = Fetcher::new(config()).unwrap();
    let err = fetcher
        .fetch(&Url::parse("file:///etc/passwd").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::UnsupportedScheme(ref s) if s == "file"),
        "{err:?}"
    );
}
