//! The cookies the web pages set. Every one is HttpOnly (no script reads
//! it), host-only, and `Secure` whenever the public URL is https.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};

/// The signed-in session's random id.
pub const SESSION: &str = "session";
/// The sign-in form's CSRF token, before there is a session.
pub const SIGN_IN: &str = "sign_in_csrf";
/// A new client's secret, shown on the developer page for a few minutes
/// after creation and never stored by the server.
pub const NEW_CLIENT: &str = "new_client";

/// The value of a request cookie.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

/// A `Set-Cookie` value.
///
/// `SameSite=Lax` for the session: an app sends the user here with a
/// top-level link, which must arrive signed in, while cross-site posts
/// (CSRF) arrive without it. `Strict` where no such link exists.
pub fn set(
    name: &'static str,
    value: String,
    path: &'static str,
    max_age: Duration,
    same_site: SameSite,
    secure: bool,
) -> HeaderValue {
    let cookie = Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .secure(secure)
        .same_site(same_site)
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ))
        .build();
    header_value(&cookie)
}

/// A `Set-Cookie` value that deletes the cookie.
pub fn clear(name: &'static str, path: &'static str, secure: bool) -> HeaderValue {
    let mut cookie = Cookie::build((name, ""))
        .path(path)
        .http_only(true)
        .secure(secure)
        .build();
    cookie.make_removal();
    header_value(&cookie)
}

fn header_value(cookie: &Cookie<'_>) -> HeaderValue {
    // Names and values are ours and URL-safe, so this never fails; an empty
    // header (ignored by browsers) is the fallback rather than a panic.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}
