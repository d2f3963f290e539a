//! Web sessions: who is signed in, CSRF tokens, and where a sign-in may
//! return to.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use chrono::Utc;
use cookie::SameSite;
use subtle::ConstantTimeEq;

use super::cookies;
use super::page::{Nav, WebError};
use crate::http::AppState;
use crate::oauth::opaque;
use crate::store::session::Session;

/// The signed-in user of a request.
pub struct SignedIn {
    pub session: Session,
    id_hash: Vec<u8>,
}

impl SignedIn {
    pub fn nav(&self) -> Nav {
        Nav {
            username: self.session.username.clone(),
            csrf: self.session.csrf_token.clone(),
        }
    }

    /// Refuses a form whose token is not this session's (CSRF: another
    /// site can make the browser post, but cannot read the token).
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), WebError> {
        if tokens_match(&self.session.csrf_token, presented) {
            Ok(())
        } else {
            Err(WebError::Forbidden(
                "This form has expired or did not come from this site. \
                 Go back, reload the page and try again."
                    .into(),
            ))
        }
    }

    pub fn user_id(&self) -> i64 {
        self.session.user_id
    }
}

/// The session a request's cookie names, if it is live.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<SignedIn>, WebError> {
    let Some(id) = cookies::read(headers, cookies::SESSION) else {
        return Ok(None);
    };
    let id_hash = opaque::digest(&id);
    let session = state.sessions.find(&id_hash).await?;
    Ok(session.map(|session| SignedIn { session, id_hash }))
}

/// Opens a session for a user who just signed in, with fresh id and CSRF
/// token (a new id at every sign-in defeats session fixation). Returns
/// the `Set-Cookie` value.
pub async fn start(state: &AppState, user_id: i64) -> Result<HeaderValue, WebError> {
    let id = opaque::generate();
    let ttl = Duration::from_secs(state.config.session_ttl.into());
    let expires_at = Utc::now() + chrono::Duration::seconds(state.config.session_ttl.into());
    state
        .sessions
        .create(
            &opaque::digest(&id),
            user_id,
            &opaque::generate(),
            expires_at,
        )
        .await?;
    Ok(cookies::set(
        cookies::SESSION,
        id,
        "/",
        ttl,
        SameSite::Lax,
        state.config.secure_cookies(),
    ))
}

/// Ends a session; returns the `Set-Cookie` value that drops the cookie.
pub async fn end(state: &AppState, signed_in: &SignedIn) -> Result<HeaderValue, WebError> {
    state.sessions.delete(&signed_in.id_hash).await?;
    Ok(cookies::clear(
        cookies::SESSION,
        "/",
        state.config.secure_cookies(),
    ))
}

/// Compares a presented CSRF token with the expected one in constant time.
pub fn tokens_match(expected: &str, presented: Option<&str>) -> bool {
    match presented {
        Some(presented) if !expected.is_empty() => {
            expected.as_bytes().ct_eq(presented.as_bytes()).into()
        }
        _ => false,
    }
}

/// A path to come back to after signing in, if it is one of ours: a local
/// absolute path, never `//host` or `/\host`, which browsers read as
/// another site (an open redirect).
pub fn local_path(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.starts_with("/\\")
            && !n.contains(['\r', '\n'])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/developer")), Some("/developer"));
        assert_eq!(
            local_path(Some("/oauth/v2/auth?client_id=1_a")),
            Some("/oauth/v2/auth?client_id=1_a")
        );
        assert_eq!(local_path(Some("//evil.example/")), None);
        assert_eq!(local_path(Some("/\\evil.example/")), None);
        assert_eq!(local_path(Some("https://evil.example/")), None);
        assert_eq!(local_path(None), None);
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        assert!(tokens_match("abc", Some("abc")));
        assert!(!tokens_match("abc", Some("abd")));
        assert!(!tokens_match("abc", None));
        assert!(!tokens_match("", Some("")));
    }
}
