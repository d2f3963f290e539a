//! OAuth errors as RFC 6749 §5.2 JSON: `{"error", "error_description"}`,
//! never cached.
//!
//! wallabag's token endpoint answers 400 for every error, `invalid_client`
//! included, and its clients expect that; introspection and revocation use
//! 401 for a failed client authentication, as RFC 7662 and RFC 7009 ask.

use std::borrow::Cow;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{error}: {description}")]
    Protocol {
        status: StatusCode,
        error: &'static str,
        description: Cow<'static, str>,
    },
    /// The caller failed client authentication at an endpoint where that
    /// means 401 and a `WWW-Authenticate` challenge.
    #[error("client authentication failed")]
    Unauthenticated,
    /// Too many failed sign-ins for the account or the caller's address
    /// (`AppState::sign_in`): 429, and `Retry-After` says when to return.
    #[error("sign-in throttled")]
    Throttled { retry_after: u32 },
    #[error("internal error: {0}")]
    Internal(String),
}

impl OAuthError {
    /// A 400 with the given RFC 6749 error code and wallabag's wording.
    pub fn bad_request(error: &'static str, description: &'static str) -> Self {
        Self::Protocol {
            status: StatusCode::BAD_REQUEST,
            error,
            description: Cow::Borrowed(description),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }
}

impl From<StoreError> for OAuthError {
    fn from(err: StoreError) -> Self {
        Self::internal(err)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (status, error, description) = match &self {
            Self::Protocol {
                status,
                error,
                description,
            } => (*status, *error, description.as_ref()),
            Self::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed",
            ),
            Self::Throttled { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "invalid_grant",
                "Too many failed sign-ins for this account or address. Try again later.",
            ),
            Self::Internal(cause) => {
                // Logged once, inside the request span that carries the
                // request id; the client gets the id (response header) only.
                tracing::error!(cause = %cause, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "Internal Server Error",
                )
            }
        };
        let mut response = no_store(
            status,
            Json(ErrorBody {
                error,
                error_description: description,
            }),
        );
        match self {
            Self::Unauthenticated => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"auth-server\""),
                );
            }
            Self::Throttled { retry_after } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            Self::Protocol { .. } | Self::Internal(_) => {}
        }
        response
    }
}

/// A response that no cache may keep: token endpoint answers carry
/// credentials (RFC 6749 §5.1).
pub fn no_store(status: StatusCode, body: impl IntoResponse) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
