//! The article fetcher: download a page the user saved and turn it into the
//! content and metadata of an entry (wallabag-api.md §4.1, §5.10, §5.12).
//!
//! [`Fetcher::fetch`] downloads with its own redirect loop, an SSRF guard on
//! every hop ([`guard`]), a deadline and a size cap ([`http`]), decodes the
//! charset ([`charset`]), extracts the readable article ([`extract`]) and
//! sanitises it ([`sanitize`]). It reports failures as [`FetchError`]; what an
//! entry looks like when a fetch fails (wallabag's fixed "can't retrieve"
//! message, a 304 on reload) is the API's business, not this module's.
//!
//! What a response becomes, by its `Content-Type`:
//! - HTML (or no type at all): the readable article. When readability finds no
//!   article body, `content` is empty and the title and metadata are kept; the
//!   API should treat empty content as "not parsed".
//! - `text/plain`: the text in a `<pre>`.
//! - `image/*`: an `<img>` of the URL, which is also the preview picture; the
//!   image itself is not downloaded.
//! - anything else (PDF, JSON, archives): [`FetchError::UnsupportedContent`],
//!   which the API handles like any other failed fetch, as wallabag does when
//!   it cannot read a document.

mod charset;
mod extract;
mod guard;
mod http;
mod sanitize;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use url::Url;

use self::guard::{AddressPolicy, GuardedResolver};
use self::http::{Body, Page};

pub use self::sanitize::{reading_time, sanitize_html, sanitize_html_with_base};

/// Limits and identity of the fetcher.
#[derive(Clone, Debug)]
pub struct FetchConfig {
    /// Allow loopback, private and link-local destinations. Off in production:
    /// only for instances that read pages from their own network, and tests.
    pub allow_private: bool,
    /// Deadline for the whole download, redirects and body included.
    pub timeout: Duration,
    /// Largest body read, in bytes.
    pub max_bytes: usize,
    /// Most redirects followed before giving up.
    pub max_redirects: usize,
    /// `User-Agent` sent with every request.
    pub user_agent: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(15),
            max_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
            user_agent: "wallabag-compatible-reader/0.1 (+self-hosted)".to_owned(),
        }
    }
}

/// A fetched page, ready to become an entry.
#[derive(Clone, Debug)]
pub struct FetchedArticle {
    /// The URL after redirects.
    pub final_url: Url,
    pub title: Option<String>,
    /// The readable content as sanitised HTML, links and images absolute.
    /// Empty when the page had no recognisable article.
    pub content: String,
    /// Minutes: floor(words / 200).
    pub reading_time: i32,
    /// A locale such as `en` or `fr_FR` (`-` normalised to `_`).
    pub language: Option<String>,
    /// The `Content-Type` header value, e.g. `text/html; charset=utf-8`.
    pub mimetype: Option<String>,
    pub http_status: u16,
    /// Response headers of the final hop; names lower-case, repeated headers
    /// joined with `", "`.
    pub headers: BTreeMap<String, String>,
    pub authors: Vec<String>,
    pub published_at: Option<DateTime<FixedOffset>>,
    /// `og:image` or readability's lead image, absolute, http(s) only.
    pub preview_picture: Option<Url>,
    /// Host of `final_url`.
    pub domain_name: Option<String>,
}

/// Why a fetch produced no article.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    #[error("unsupported URL scheme {0:?}: only http and https are fetched")]
    UnsupportedScheme(String),
    /// The URL, a redirect or a DNS answer pointed at a non-public address.
    #[error("refused to fetch {0}: not a public address")]
    Blocked(String),
    #[error("the fetch timed out")]
    Timeout,
    #[error("the response is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("more than {limit} redirects")]
    TooManyRedirects { limit: usize },
    /// The final response was not a success (a 404 page is not an article).
    #[error("the server answered HTTP {0}")]
    Http(u16),
    /// A `Content-Type` that is neither HTML, plain text nor an image.
    #[error("unsupported content type {0:?}")]
    UnsupportedContent(String),
    /// Connection, TLS or protocol failure; the text is the whole cause chain.
    #[error("network error: {0}")]
    Network(String),
    /// The HTTP client could not be built (no TLS root certificates, say).
    #[error("could not build the HTTP client: {0}")]
    Client(String),
    #[error("article extraction failed: {0}")]
    Extraction(String),
}

/// Fetches articles. Cheap to clone: one connection pool is shared.
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    config: Arc<FetchConfig>,
    policy: AddressPolicy,
}

impl Fetcher {
    /// Builds the fetcher and its HTTP client.
    pub fn new(config: FetchConfig) -> Result<Self, FetchError> {
        let policy = AddressPolicy::from_allow_private(config.allow_private);
        Self::with_policy(config, policy)
    }

    pub(crate) fn with_policy(
        config: FetchConfig,
        policy: AddressPolicy,
    ) -> Result<Self, FetchError> {
        shared::tls::install_crypto_provider();

        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.as_str())
            // Security: redirects are followed by our own loop, which runs the
            // SSRF check on every hop; reqwest's would not.
            .redirect(reqwest::redirect::Policy::none())
            // Security: a proxy would resolve names itself, out of the guard's
            // sight, so proxy environment variables are ignored.
            .no_proxy()
            // Security: every name reqwest connects to is resolved here, and
            // refused if it points at a forbidden address.
            .dns_resolver(GuardedResolver { policy })
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|err| FetchError::Client(http::error_chain(&err)))?;

        Ok(Self {
            client,
            config: Arc::new(config),
            policy,
        })
    }

    /// Downloads `url` and extracts its article.
    pub async fn fetch(&self, url: &Url) -> Result<FetchedArticle, FetchError> {
        let target = http::loggable(url);
        tracing::debug!(%target, "fetching article");

        let page = match tokio::time::timeout(self.config.timeout, self.download(url)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(FetchError::Timeout),
        };
        let page = page.inspect_err(|err| {
            tracing::debug!(%target, cause = %err, "fetch failed");
        })?;
        tracing::debug!(
            %target,
            final_url = %http::loggable(&page.final_url),
            status = page.status,
            mimetype = page.mimetype.as_deref(),
            "fetched"
        );

        // Parsing a few megabytes of HTML takes CPU time that must not stall
        // the async workers serving other requests.
        tokio::task::spawn_blocking(move || build_article(page))
            .await
            .map_err(|err| FetchError::Extraction(err.to_string()))
    }
}

/// Turns a downloaded page into an article (blocking: parses HTML).
fn build_article(page: Page) -> FetchedArticle {
    let Page {
        final_url,
        status,
        headers,
        mimetype,
        body,
    } = page;

    let extracted = match body {
        Body::Html(bytes) => {
            let html = charset::decode(&bytes, mimetype.as_deref());
            extract::extract_html(&html, &final_url)
        }
        Body::Text(bytes) => {
            let text = charset::decode(&bytes, mimetype.as_deref());
            let content = format!("<pre>{}</pre>", escape_text(&text));
            extract::Extracted {
                reading_time: reading_time(&content),
                content,
                ..extract::Extracted::default()
            }
        }
        Body::Image => extract::Extracted {
            content: format!(r#"<img src="{}" alt="">"#, escape_text(final_url.as_str())),
            preview_picture: Some(final_url.clone()),
            ..extract::Extracted::default()
        },
    };

    let language = extracted.language.or_else(|| {
        headers
            .get("content-language")
            .and_then(|value| extract::normalize_language(value))
    });

    FetchedArticle {
        domain_name: final_url.host_str().map(str::to_owned),
        final_url,
        title: extracted.title,
        content: extracted.content,
        reading_time: extracted.reading_time,
        language,
        mimetype,
        http_status: status,
        headers,
        authors: extracted.authors,
        published_at: extracted.published_at,
        preview_picture: extracted.preview_picture,
    }
}

/// Escapes text for an HTML text node or a quoted attribute.
fn escape_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}
