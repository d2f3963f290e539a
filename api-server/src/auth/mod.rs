//! Bearer-token authentication for `/api/*` (wallabag-api.md §2): find the
//! token, validate it through cached introspection, and put the user in the
//! request for handlers to take.
//!
//! A request without a token passes through untouched: public routes serve
//! it, and protected ones refuse it through the `CurrentUser` extractor. A
//! request with a token is refused here if the token is bad, on every route,
//! public ones included, as upstream does.

pub mod introspection;
pub mod revocation;
pub mod token;
pub mod validator;

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub use validator::{CurrentUser, Refusal, TokenValidator};

use crate::http::error::ApiError;
use crate::http::params::{BODY_LIMIT, is_form};

/// The middleware: validates a token when one is present.
pub async fn authenticate(
    State(validator): State<TokenValidator>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    // The form body may carry the token; read it, then hand it on intact.
    let (body, form) = if parts.method != Method::GET && is_form(&parts.headers) {
        match to_bytes(body, BODY_LIMIT).await {
            Ok(bytes) => (Body::from(bytes.clone()), Some(bytes)),
            Err(_) => return ApiError::PayloadTooLarge.into_response(),
        }
    } else {
        (body, None)
    };

    let token = token::find_token(
        &parts.method,
        &parts.headers,
        parts.uri.query(),
        form.as_deref(),
    );
    let mut request = Request::from_parts(parts, body);
    let token = match token {
        Ok(Some(token)) => token,
        Ok(None) => return next.run(request).await,
        Err(token::TokenSourceError::Several) => return several_tokens(),
    };

    match validator.validate(&token).await {
        Ok(Ok(user)) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        Ok(Err(Refusal::Expired)) => {
            unauthorized("invalid_grant", "The access token provided has expired.")
        }
        Ok(Err(Refusal::Invalid)) => {
            unauthorized("invalid_grant", "The access token provided is invalid.")
        }
        // 503, never 401: a 401 would make the client throw away a token
        // that may be perfectly good.
        Err(err) => {
            tracing::warn!(cause = %err, "auth-server unreachable; token not cached");
            ApiError::AuthUnavailable.into_response()
        }
    }
}

/// The user the request's token acts for; 401 `access_denied` without one.
pub struct Authenticated(pub Arc<CurrentUser>);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<CurrentUser>>()
            .cloned()
            .map(Self)
            .ok_or_else(|| unauthorized("access_denied", "OAuth2 authentication required"))
    }
}

/// The body of an OAuth error: a 401 for a missing or bad token, or a 400
/// for a token given twice.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "error": "access_denied", "error_description": "OAuth2 authentication required"
}))]
pub struct AuthErrorResponse {
    pub error: &'static str,
    pub error_description: &'static str,
}

/// The exact 401 of wallabag-api.md §2.3: JSON body, no-store headers, and
/// a `WWW-Authenticate` challenge repeating the error.
pub fn unauthorized(error: &'static str, description: &'static str) -> Response {
    let challenge =
        format!("Bearer realm=\"Service\", error=\"{error}\", error_description=\"{description}\"");
    let body = AuthErrorResponse {
        error,
        error_description: description,
    };
    let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        headers.insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// A token in two places at once; the wording is the OAuth library's
/// (wallabag-api.md §2.2).
fn several_tokens() -> Response {
    let body = AuthErrorResponse {
        error: "invalid_request",
        error_description: "Only one method may be used to authenticate at a time \
                            (Auth header, GET or POST).",
    };
    let mut response = (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
