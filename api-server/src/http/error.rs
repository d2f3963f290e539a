//! API errors in the shape wallabag clients read (wallabag-api.md §1.6 and
//! §11.11): `{"code": 404, "message": "Not Found"}`, with the same pair
//! repeated under `error` for older clients. Only a 400 says why; other
//! statuses say their reason phrase.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

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

/// The error body: the status and why, at the top level for newer clients
/// and under `error` for older ones.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "code": 404, "message": "Not Found", "error": {"code": 404, "message": "Not Found"}
}))]
pub struct ErrorResponse {
    pub code: u16,
    /// Why, for a 400; the status's reason phrase otherwise.
    pub message: String,
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: u16,
    pub message: String,
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
        let body = ErrorResponse {
            code,
            error: ErrorDetail {
                code,
                message: message.clone(),
            },
            message,
        };
        let mut response = (status, Json(body)).into_response();
        if matches!(self, Self::AuthUnavailable) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}
