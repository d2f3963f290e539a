//! Rendering: every page goes out with the same protective headers, and
//! every failure as a page rather than JSON.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

/// What the page header shows for a signed-in user: their name and the
/// sign-out form, which needs the session's CSRF token.
pub struct Nav {
    pub username: String,
    pub csrf: String,
}

/// Renders a page with `status`.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => html_response(status, html),
        Err(err) => WebError::Internal(format!("cannot render a page: {err}")).into_response(),
    }
}

/// A 303 to a path or URL: after a form post, the browser follows with a
/// GET (RFC 9110 §15.4.4).
pub fn see_other(location: &str) -> Response {
    redirect(StatusCode::SEE_OTHER, location)
}

pub fn redirect(status: StatusCode, location: &str) -> Response {
    let mut response = status.into_response();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            no_store(&mut response);
            response
        }
        Err(_) => WebError::Internal("unprintable redirect location".into()).into_response(),
    }
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // No script at all, no framing (clickjacking on the consent and
    // developer pages), assets from this origin only. `form-action` is left
    // out on purpose: the consent form's answer redirects to the app, and
    // browsers apply form-action to that redirect too.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The consent page's URL carries the app's state and PKCE challenge.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    no_store(&mut response);
    response
}

/// Pages carry tokens (CSRF, secrets) and per-user content: never cached.
fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A failure shown as a page.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for WebError {
    fn from(err: StoreError) -> Self {
        Self::Internal(err.to_string())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub nav: Option<Nav>,
    pub title: &'a str,
    pub message: &'a str,
    /// The message element's id, for people and tests to find it.
    pub element_id: &'a str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            Self::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                "This request cannot be served",
                message.as_str(),
            ),
            Self::Forbidden(message) => (StatusCode::FORBIDDEN, "Not allowed", message.as_str()),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing at this address.",
            ),
            Self::Internal(cause) => {
                tracing::error!(cause = %cause, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not complete this request. Please try again.",
                )
            }
        };
        let page = ErrorPage {
            nav: None,
            title,
            message,
            element_id: "error",
        };
        match page.render() {
            Ok(html) => html_response(status, html),
            Err(_) => (status, message.to_owned()).into_response(),
        }
    }
}
