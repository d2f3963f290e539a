//! The web pages' own `Form` and `Query` extractors: axum's answer a
//! malformed request with a plain-text 400, 415 or 422; these answer with
//! the error page, a 400 that says what could not be read.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::page::WebError;

/// A form-encoded body (`application/x-www-form-urlencoded`).
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<T>::from_request(request, state)
            .await
            .map(|axum::Form(value)| Self(value))
            .map_err(|rejection| {
                WebError::BadRequest(format!(
                    "This form could not be read: {}.",
                    rejection.body_text()
                ))
            })
    }
}

/// The query string.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection| {
                WebError::BadRequest(format!(
                    "This address could not be read: {}.",
                    rejection.body_text()
                ))
            })
    }
}
