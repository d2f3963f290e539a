//! Request parameters as wallabag reads them (wallabag-api.md §1.2, §1.3,
//! §11.6, §11.7): each endpoint reads one bag, the query string or the body;
//! bodies may be form-encoded or JSON; flags follow PHP truthiness, except
//! that the words `false` and `no` mean what the client meant.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method, header};
use serde_json::Value;

use super::error::ApiError;

/// The largest body read: an entry's HTML content can be big.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// One bag of parameters. JSON values keep their types; form values are
/// strings. A JSON `null` counts as absent.
#[derive(Clone, Debug, Default)]
pub struct Bag {
    values: HashMap<String, Value>,
    /// Every value of a plain form key given more than once: PHP keeps the
    /// last, but some clients send lists that way (§11.8).
    repeated: HashMap<String, Vec<String>>,
}

/// The query string of a request, as a bag.
#[derive(Clone, Debug, Default)]
pub struct Query(pub Bag);

/// The body of a request, as a bag, whatever its encoding.
#[derive(Clone, Debug, Default)]
pub struct Body(pub Bag);

pub fn is_form(headers: &HeaderMap) -> bool {
    media_type(headers).as_deref() == Some("application/x-www-form-urlencoded")
}

/// The lower-cased media type of the body, without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(Bag::from_form(
            parts.uri.query().unwrap_or_default().as_bytes(),
        )))
    }
}

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let method = request.method().clone();
        let media_type = media_type(request.headers());
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        if bytes.is_empty() {
            return Ok(Self::default());
        }
        match media_type.as_deref() {
            Some("application/x-www-form-urlencoded") => Ok(Self(Bag::from_form(&bytes))),
            Some(t) if t == "application/json" || t.ends_with("+json") => {
                Bag::from_json(&bytes).map(Self)
            }
            // Without a content type, an /api body is read as JSON, the
            // route's format (§1.2).
            None => Bag::from_json(&bytes).map(Self),
            // Multipart is understood by PHP for POST only; other types are
            // not understood at all, so the request carries no parameters.
            Some(_) if method == Method::POST => Err(ApiError::bad_request(
                "Unsupported body encoding: send application/x-www-form-urlencoded or JSON",
            )),
            Some(_) => Ok(Self::default()),
        }
    }
}

impl Bag {
    /// Form or query decoding. `key[]` and `key[n]` collect into an array
    /// under `key`; a repeated plain key keeps its last value and also
    /// collects into a list.
    pub fn from_form(bytes: &[u8]) -> Self {
        let mut bag = Self::default();
        for (key, value) in url::form_urlencoded::parse(bytes) {
            let value = value.into_owned();
            match key.find('[') {
                Some(at) if key.ends_with(']') => {
                    let slot = bag
                        .values
                        .entry(key[..at].to_owned())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(items) = slot {
                        items.push(Value::String(value));
                    }
                }
                _ => {
                    let name = key.into_owned();
                    let seen = bag.repeated.entry(name.clone()).or_default();
                    seen.push(value.clone());
                    bag.values.insert(name, Value::String(value));
                }
            }
        }
        bag.repeated.retain(|_, values| values.len() > 1);
        bag
    }

    fn from_json(bytes: &[u8]) -> Result<Self, ApiError> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(object)) => Ok(Self {
                values: object.into_iter().filter(|(_, v)| !v.is_null()).collect(),
                repeated: HashMap::new(),
            }),
            _ => Err(ApiError::bad_request("Invalid json message received")),
        }
    }

    pub fn value(&self, name: &str) -> Option<&Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.value(name).is_some()
    }

    /// A scalar as a string; arrays and objects read as absent.
    pub fn string(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_owned()),
            _ => None,
        }
    }

    /// A non-empty scalar string.
    pub fn non_empty(&self, name: &str) -> Option<String> {
        self.string(name).filter(|s| !s.is_empty())
    }

    /// A flag: absent is `None`; present is PHP truthiness, except that the
    /// words `false` and `no` (any case) are false, as clients mean them.
    pub fn flag(&self, name: &str) -> Option<bool> {
        Some(match self.value(name)? {
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
            Value::String(s) => truthy(s),
            Value::Array(items) => !items.is_empty(),
            Value::Object(map) => !map.is_empty(),
            Value::Null => return None,
        })
    }

    /// An integer with PHP `(int)` semantics: leading digits, garbage is 0,
    /// out-of-range values clamp (§11.9).
    pub fn int(&self, name: &str) -> Option<i64> {
        Some(match self.value(name)? {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .unwrap_or(0),
            Value::String(s) => php_int(s),
            Value::Bool(b) => i64::from(*b),
            _ => 0,
        })
    }

    /// A list of strings given as a comma-separated string or an array.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        if let Some(values) = self.repeated.get(name) {
            return Some(values.clone());
        }
        match self.value(name)? {
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(|v| match v {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => self
                .string(name)
                .map(|s| s.split(',').map(str::to_owned).collect()),
        }
    }
}

/// PHP truthiness of a string, with `false`/`no` read as clients mean them.
pub fn truthy(value: &str) -> bool {
    !(value.is_empty()
        || value == "0"
        || value.eq_ignore_ascii_case("false")
        || value.eq_ignore_ascii_case("no"))
}

/// PHP `(int)` of a string: optional sign, leading digits, the rest ignored.
pub fn php_int(value: &str) -> i64 {
    let trimmed = value.trim_start();
    let (sign, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return 0;
    }
    digits
        .parse::<i64>()
        .map_or(if sign < 0 { i64::MIN } else { i64::MAX }, |n| sign * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_php_truthiness_with_client_words() {
        let bag = Bag::from_form(b"a=1&b=0&c=&d=false&e=yes&f=False&g=no&h=2");
        let flags: Vec<Option<bool>> = ["a", "b", "c", "d", "e", "f", "g", "h", "z"]
            .iter()
            .map(|k| bag.flag(k))
            .collect();
        assert_eq!(
            flags,
            [
                Some(true),
                Some(false),
                Some(false),
                Some(false),
                Some(true),
                Some(false),
                Some(false),
                Some(true),
                None
            ]
        );
    }

    #[test]
    fn integers_parse_like_php() {
        assert_eq!(php_int("2x"), 2);
        assert_eq!(php_int("abc"), 0);
        assert_eq!(php_int("-3"), -3);
        assert_eq!(php_int("9223372036854775807"), i64::MAX);
        assert_eq!(php_int("99999999999999999999"), i64::MAX);
    }

    #[test]
    fn bracketed_and_repeated_keys_collect_into_arrays() {
        let bag = Bag::from_form(b"urls[]=a&urls[]=b&hashed_urls=x&hashed_urls=y&urls%5B0%5D=c");
        assert_eq!(bag.list("urls").unwrap(), ["a", "b", "c"]);
        // A repeated plain key reads as its last value, as in PHP, or as
        // the list of all.
        assert_eq!(bag.string("hashed_urls").unwrap(), "y");
        assert_eq!(bag.list("hashed_urls").unwrap(), ["x", "y"]);
    }

    #[test]
    fn json_null_is_absent() {
        let bag = Bag::from_json(br#"{"archive": null, "starred": 1}"#).unwrap();
        assert_eq!(bag.flag("archive"), None);
        assert_eq!(bag.flag("starred"), Some(true));
        assert!(Bag::from_json(b"[1]").is_err());
    }

    #[test]
    fn lists_come_as_commas_or_arrays() {
        let bag = Bag::from_json(br#"{"a": "x,y", "b": ["x", "y"]}"#).unwrap();
        assert_eq!(bag.list("a"), bag.list("b"));
    }
}
