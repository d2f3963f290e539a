//! API errors in the shape wallabag clients read (wallabag-api.md §1.6 and
//! §11.11): `{"code": 404, "message": "Not Found"}`, with the same pair
//! repeated under `error` for older clients. Only a 400 says why; other
//! statuses say their reason phrase.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("payload too large")]
    PayloadTooLarge,
    /// auth-server could not be asked about an uncached token.
    #[error("authorization server unavailable")]
    AuthUnavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        crate::store::StoreError::from(err).into()
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(err: tokio_postgres::Error) -> Self {
        crate::store::StoreError::from(err).into()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        Self::internal(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, message.clone()),
            Self::NotFound => (StatusCode::NOT_FOUND, "Not Found".to_owned()),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed".to_owned(),
            ),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large".to_owned(),
            ),
            Self::AuthUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "The authorization server cannot be reached to check the access token; \
                 try again shortly"
                    .to_owned(),
            ),
            Self::Internal(cause) => {
                // Logged once, in the request span that carries the id.
                tracing::error!(cause = %cause, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error".to_owned(),
                )
            }
        };
        let code = status.as_u16();
        let mut response = (
            status,
            Json(json!({
                "code": code,
                "message": message,
                "error": {"code": code, "message": message},
            })),
        )
            .into_response();
        if matches!(self, Self::AuthUnavailable) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}
