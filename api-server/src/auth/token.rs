//! Where a request carries its access token (wallabag-api.md §2.2), as a
//! plain function over the request's parts.

use axum::http::{HeaderMap, Method, header};

/// Why no single token could be read.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenSourceError {
    /// More than one source carried a token; wallabag's library refuses.
    Several,
}

/// Finds the access token in, in this order: an `Authorization` header
/// matching `Bearer<whitespace><token>` (case-sensitive, not anchored, as
/// upstream), a form body field `access_token` (form-encoded, not GET), the
/// `access_token` query parameter. A header that does not match counts as
/// no token.
pub fn find_token(
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    form_body: Option<&[u8]>,
) -> Result<Option<String>, TokenSourceError> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    let from_body = match (method, form_body) {
        (&Method::GET, _) | (_, None) => None,
        (_, Some(body)) => form_value(body, "access_token"),
    };
    let from_query = query.and_then(|q| form_value(q.as_bytes(), "access_token"));

    let mut found = [from_header, from_body, from_query].into_iter().flatten();
    let token = found.next();
    if found.next().is_some() {
        return Err(TokenSourceError::Several);
    }
    Ok(token)
}

/// The token after `Bearer` and whitespace, wherever that appears.
fn bearer_token(value: &str) -> Option<String> {
    let (_, rest) = value.split_once("Bearer")?;
    if !rest.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let token: String = rest
        .trim_start()
        .chars()
        .take_while(|c| !c.is_ascii_whitespace())
        .collect();
    (!token.is_empty()).then_some(token)
}

fn form_value(bytes: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(bytes)
        .filter(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.into_owned())
        .last()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        headers
    }

    #[test]
    fn reads_each_source() {
        let none = HeaderMap::new();
        assert_eq!(
            find_token(&Method::GET, &headers("Bearer abc"), None, None),
            Ok(Some("abc".into()))
        );
        assert_eq!(
            find_token(&Method::GET, &none, Some("x=1&access_token=q"), None),
            Ok(Some("q".into()))
        );
        assert_eq!(
            find_token(&Method::POST, &none, None, Some(b"access_token=b&url=x")),
            Ok(Some("b".into()))
        );
    }

    #[test]
    fn bearer_is_case_sensitive() {
        let lower = find_token(&Method::GET, &headers("bearer abc"), None, None);
        assert_eq!(lower, Ok(None));
        assert_eq!(
            find_token(&Method::GET, &headers("Basic abc"), None, None),
            Ok(None)
        );
    }

    #[test]
    fn a_form_token_on_get_is_ignored() {
        let none = HeaderMap::new();
        assert_eq!(
            find_token(&Method::GET, &none, None, Some(b"access_token=b")),
            Ok(None)
        );
    }

    #[test]
    fn two_sources_are_refused() {
        let found = find_token(
            &Method::GET,
            &headers("Bearer a"),
            Some("access_token=b"),
            None,
        );
        assert_eq!(found, Err(TokenSourceError::Several));
    }
}
