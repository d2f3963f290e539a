//! Reading OAuth parameters and client credentials from a request.
//!
//! wallabag's token endpoint reads the query string on GET and only the
//! body on POST, in whichever of form or JSON encoding the client chose
//! (wallabag-api.md §3.1). oxide-auth reads neither JSON nor body
//! credentials on every flow, so parameters are normalised here, once.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::OAuthError;

/// The request's OAuth parameters, each a single string. Non-scalar JSON
/// values are dropped, so they read as missing.
#[derive(Debug, Default)]
pub struct OAuthParams(pub HashMap<String, String>);

impl OAuthParams {
    /// A parameter, treating an empty value as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

impl<S: Send + Sync> FromRequest<S> for OAuthParams {
    type Rejection = OAuthError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if request.method() == Method::GET {
            let query = request.uri().query().unwrap_or_default();
            return Ok(Self(parse_form(query.as_bytes())));
        }

        let media_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| OAuthError::bad_request("invalid_request", "Request body too large"))?;

        if media_type == "application/x-www-form-urlencoded" {
            Ok(Self(parse_form(&body)))
        } else if media_type == "application/json" || media_type.ends_with("+json") {
            parse_json(&body).map(Self)
        } else {
            // A body in no recognised encoding is ignored, as wallabag does.
            Ok(Self::default())
        }
    }
}

/// Form or query decoding; a repeated key keeps its last value, as PHP does.
fn parse_form(bytes: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn parse_json(bytes: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let invalid = || OAuthError::bad_request("invalid_request", "Invalid json message received");
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| invalid())?;
    let serde_json::Value::Object(object) = value else {
        return Err(invalid());
    };
    Ok(object
        .into_iter()
        .filter_map(|(key, value)| {
            let value = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => if b { "1" } else { "" }.to_owned(),
                _ => return None,
            };
            Some((key, value))
        })
        .collect())
}

/// The client credentials a request presents: HTTP Basic first, otherwise
/// `client_id` and `client_secret` parameters (RFC 6749 §2.3.1).
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<String>,
}

impl ClientCredentials {
    pub fn from_request(headers: &HeaderMap, params: &OAuthParams) -> Option<Self> {
        basic_credentials(headers).or_else(|| {
            params.get("client_id").map(|id| Self {
                client_id: id.to_owned(),
                secret: params.get("client_secret").map(str::to_owned),
            })
        })
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<ClientCredentials> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    if id.is_empty() {
        return None;
    }
    Some(ClientCredentials {
        client_id: id.to_owned(),
        secret: Some(secret.to_owned()).filter(|s| !s.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn json_keeps_scalars_and_drops_structures() {
        let params = parse_json(br#"{"grant_type":["password"],"username":"a","n":5}"#).unwrap();
        assert!(!params.contains_key("grant_type"));
        assert_eq!(params["username"], "a");
        assert_eq!(params["n"], "5");
    }

    #[test]
    fn json_that_is_not_an_object_is_refused() {
        assert!(parse_json(b"[1,2]").is_err());
        assert!(parse_json(b"{oops").is_err());
    }

    #[test]
    fn basic_credentials_win_over_parameters() {
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode("1_abc:s3cret");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        let params = OAuthParams(HashMap::from([("client_id".into(), "2_other".into())]));
        let creds = ClientCredentials::from_request(&headers, &params).unwrap();
        assert_eq!(creds.client_id, "1_abc");
        assert_eq!(creds.secret.as_deref(), Some("s3cret"));
    }
}
