//! The download: a bounded redirect loop with the SSRF check on every hop, and
//! a body read that stops at the size cap.
//!
//! The deadline is applied by the caller around [`Fetcher::download`] as a
//! whole; this module only enforces the per-hop rules. It hands back bytes and
//! headers, and leaves decoding and extraction to the rest of the module.

use std::collections::BTreeMap;
use std::error::Error as StdError;

use reqwest::header::{self, HeaderMap};
use reqwest::{Response, StatusCode};
use url::Url;

use super::guard::{blocked_in_chain, check_url};
use super::{FetchError, Fetcher};

/// What [`Fetcher::download`] got from the last hop.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) final_url: Url,
    pub(crate) status: u16,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) mimetype: Option<String>,
    pub(crate) body: Body,
}

/// The body, kept only for the kinds of content we turn into articles.
#[derive(Debug)]
pub(crate) enum Body {
    Html(Vec<u8>),
    Text(Vec<u8>),
    /// An image is shown by URL; its bytes are never read.
    Image,
}

impl Fetcher {
    /// Follows redirects from `url` to a successful response and reads it.
    pub(crate) async fn download(&self, url: &Url) -> Result<Page, FetchError> {
        let mut current = url.clone();
        let mut redirects = 0;
        loop {
            // Security: the SSRF check runs on the submitted URL and on every
            // redirect target, before anything is sent to it.
            check_url(&current, self.policy)?;
            let response = self.request(&current).await?;
            let status = response.status();

            if is_followed_redirect(status) {
                if redirects >= self.config.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        limit: self.config.max_redirects,
                    });
                }
                let next = redirect_target(&current, response.headers())?;
                tracing::debug!(
                    from = %loggable(&current),
                    to = %loggable(&next),
                    status = status.as_u16(),
                    "following redirect"
                );
                redirects += 1;
                current = next;
                continue;
            }

            // An error page is not the article the user saved.
            if !status.is_success() {
                return Err(FetchError::Http(status.as_u16()));
            }
            return self.read_page(current, response).await;
        }
    }

    /// Sends one GET without following redirects. The resolver behind the
    /// client refuses forbidden addresses; [`map_reqwest`] reports that as
    /// [`FetchError::Blocked`].
    pub(crate) async fn request(&self, url: &Url) -> Result<Response, FetchError> {
        self.client
            .get(url.clone())
            .header(
                header::ACCEPT,
                "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,*/*;q=0.5",
            )
            .send()
            .await
            .map_err(map_reqwest)
    }

    async fn read_page(&self, final_url: Url, mut response: Response) -> Result<Page, FetchError> {
        let headers = collect_headers(response.headers());
        let mimetype = headers.get("content-type").cloned();

        let body = match ContentKind::of(mimetype.as_deref()) {
            ContentKind::Html => Body::Html(self.read_body(&mut response).await?),
            ContentKind::Text => Body::Text(self.read_body(&mut response).await?),
            ContentKind::Image => Body::Image,
            ContentKind::Other(essence) => return Err(FetchError::UnsupportedContent(essence)),
        };

        Ok(Page {
            final_url,
            status: response.status().as_u16(),
            headers,
            mimetype,
            body,
        })
    }

    /// Reads the body, refusing more than `max_bytes`.
    async fn read_body(&self, response: &mut Response) -> Result<Vec<u8>, FetchError> {
        let limit = self.config.max_bytes;

        // An honest Content-Length lets us refuse before reading anything...
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(FetchError::TooLarge { limit });
        }

        // ...but the cap is enforced on the bytes actually received, since a
        // chunked or close-delimited body has no length and a server may lie.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(map_reqwest)? {
            if body.len() + chunk.len() > limit {
                return Err(FetchError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// What kind of content a `Content-Type` announces.
#[derive(Debug, PartialEq, Eq)]
enum ContentKind {
    Html,
    Text,
    Image,
    Other(String),
}

impl ContentKind {
    fn of(content_type: Option<&str>) -> Self {
        let essence = content_type
            .and_then(|value| value.split(';').next())
            .map(|essence| essence.trim().to_ascii_lowercase())
            .unwrap_or_default();
        match essence.as_str() {
            // A page served without a type is, in practice, HTML.
            "" | "text/html" | "application/xhtml+xml" => Self::Html,
            "text/plain" => Self::Text,
            _ if essence.starts_with("image/") => Self::Image,
            _ => Self::Other(essence),
        }
    }
}

/// The redirects we follow. 300 (a choice for the user), 304 (we sent no
/// validators) and 305 (a proxy instruction) are not.
fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Where a redirect points, resolved against the URL that answered it.
pub(crate) fn redirect_target(current: &Url, headers: &HeaderMap) -> Result<Url, FetchError> {
    let location = headers
        .get(header::LOCATION)
        .ok_or_else(|| FetchError::InvalidUrl("redirect without a Location header".to_owned()))?
        .to_str()
        .map_err(|_| FetchError::InvalidUrl("redirect Location is not text".to_owned()))?;
    let mut next = current
        .join(location.trim())
        .map_err(|err| FetchError::InvalidUrl(format!("redirect Location: {err}")))?;

    // RFC 9110 §10.2.2: a Location without a fragment inherits the original's.
    if next.fragment().is_none() {
        next.set_fragment(current.fragment());
    }
    Ok(next)
}

fn collect_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut collected: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        collected
            .entry(name.as_str().to_owned())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    collected
}

/// Classifies a reqwest failure.
pub(crate) fn map_reqwest(err: reqwest::Error) -> FetchError {
    if let Some(host) = blocked_in_chain(&err) {
        return FetchError::Blocked(host);
    }
    if err.is_timeout() {
        return FetchError::Timeout;
    }
    FetchError::Network(error_chain(&err.without_url()))
}

/// An error and its sources as one line: reqwest's own message ("error sending
/// request") says little without the cause underneath.
pub(crate) fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(err) = source {
        let message = err.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = err.source();
    }
    text
}

/// A URL for logs: scheme, host, port and path, without credentials or query
/// string, which may carry tokens.
pub(crate) fn loggable(url: &Url) -> String {
    let mut shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    shown.push_str(url.path());
    shown
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;
    use crate::fetch::guard::AddressPolicy;

    fn location(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::LOCATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn redirect_targets_resolve_relative_locations() {
        let current = Url::parse("https://example.org/a/b?q=1#frag").unwrap();
        let next = redirect_target(&current, &location("../c")).unwrap();
        assert_eq!(next.as_str(), "https://example.org/c#frag");
        let next = redirect_target(&current, &location("//other.example/x#y")).unwrap();
        assert_eq!(next.as_str(), "https://other.example/x#y");
        assert!(redirect_target(&current, &HeaderMap::new()).is_err());
    }

    /// The loop checks each hop with `check_url` before sending; a redirect
    /// target pointing inside the network is refused at that check.
    #[test]
    fn redirect_targets_to_private_addresses_fail_the_hop_check() {
        let current = Url::parse("https://example.org/start").unwrap();
        for target in [
            "http://127.0.0.1/",
            "http://localhost:8080/",
            "http://[::ffff:10.0.0.1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://0.0.0.0/",
        ] {
            let next = redirect_target(&current, &location(target)).unwrap();
            assert!(
                matches!(
                    check_url(&next, AddressPolicy::PublicOnly),
                    Err(FetchError::Blocked(_))
                ),
                "{target} should be blocked"
            );
        }
        let next = redirect_target(&current, &location("file:///etc/passwd")).unwrap();
        assert!(matches!(
            check_url(&next, AddressPolicy::PublicOnly),
            Err(FetchError::UnsupportedScheme(_))
        ));
    }

    #[test]
    fn content_kinds_follow_the_media_type() {
        assert_eq!(ContentKind::of(None), ContentKind::Html);
        assert_eq!(
            ContentKind::of(Some("text/html; charset=utf-8")),
            ContentKind::Html
        );
        assert_eq!(
            ContentKind::of(Some("Application/XHTML+XML")),
            ContentKind::Html
        );
        assert_eq!(ContentKind::of(Some("text/plain")), ContentKind::Text);
        assert_eq!(ContentKind::of(Some("image/png")), ContentKind::Image);
        assert_eq!(
            ContentKind::of(Some("application/pdf")),
            ContentKind::Other("application/pdf".to_owned())
        );
    }

    #[test]
    fn repeated_headers_are_joined_under_lower_case_names() {
        let mut headers = HeaderMap::new();
        headers.append("Set-Cookie", HeaderValue::from_static("a=1"));
        headers.append("set-cookie", HeaderValue::from_static("b=2"));
        headers.insert("X-Thing", HeaderValue::from_static("yes"));
        let collected = collect_headers(&headers);
        assert_eq!(collected["set-cookie"], "a=1, b=2");
        assert_eq!(collected["x-thing"], "yes");
    }

    #[test]
    fn logged_urls_drop_credentials_and_query() {
        let url = Url::parse("https://user:pw@example.org:8443/p/a?token=secret#f").unwrap();
        assert_eq!(loggable(&url), "https://example.org:8443/p/a");
    }
}
