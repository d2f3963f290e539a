//! `GET /share/{uid}`: the public page of an entry its owner shared.
//!
//! No token: anyone with the link may read it. The page shows the entry's
//! title, source and content, never anything about its owner.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::error::{ApiError, ErrorResponse};
use crate::AppState;
use crate::store::share::ShareStore;

#[derive(Template)]
#[template(path = "share.html")]
struct SharePage {
    title: String,
    url: Option<String>,
    domain: String,
    authors: String,
    published: Option<String>,
    language: String,
    /// Stored sanitised (scripts and handlers removed when it was saved),
    /// so it is rendered as HTML.
    content: String,
}

/// `GET /share/{uid}` — the public page of a shared entry (the wallabag
/// feature behind an entry's `is_public`); 404 when not, or no longer,
/// shared.
#[utoipa::path(
    get,
    path = "/share/{uid}",
    tag = "share",
    params(
        ("uid" = String, Path, description = "The entry's public id"),
    ),
    responses(
        (status = 200, description = "The entry as a web page", content_type = "text/html"),
        (status = 404, description = "Not shared", body = ErrorResponse),
    ),
    security(()),
)]
pub async fn show_shared_entry(
    State(state): State<AppState>,
    Path(uid): Path<String>,
) -> Result<Response, ApiError> {
    let entry = ShareStore::new(state.pool.clone())
        .find(&uid)
        .await?
        .ok_or(ApiError::NotFound)?;

    let domain = entry.domain_name.clone().unwrap_or_default();
    let page = SharePage {
        title: entry.title.unwrap_or_else(|| domain.clone()),
        url: entry.url,
        domain,
        authors: entry.published_by.unwrap_or_default().join(", "),
        published: entry
            .published_at
            .map(|at| at.format("%Y-%m-%d").to_string()),
        language: entry
            .language
            .map(|l| l.replace('_', "-"))
            .unwrap_or_else(|| "en".to_owned()),
        content: entry.content.unwrap_or_default(),
    };
    let html = page.render().map_err(ApiError::internal)?;

    let mut response = (StatusCode::OK, Html(html)).into_response();
    // Defence in depth behind the sanitiser: even if markup slipped
    // through, this page runs no script and loads nothing but images.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'",
        ),
    );
    Ok(response)
}
