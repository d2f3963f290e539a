//! `GET /api/search` (wallabag-api.md §5.26): the caller's entries holding a
//! term, in the list's pagination envelope (§4.4).
//!
//! The matching rules and the SQL behind them, with why every case is
//! served by an index, are in `store::search`; entries are shaped by
//! `entry_wire` as everywhere else.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::Value;

use super::entry_wire::EntryResponse;
use super::error::{ApiError, ErrorResponse};
use super::pagination::{LinkBuilder, PageResponse, Pagination};
use super::params::Query;
use crate::AppState;
use crate::auth::{AuthErrorResponse, Authenticated};
use crate::store::search::{SearchPlan, SearchStore};

/// `GET /api/search` — §5.26 and §4.4: the caller's entries whose title,
/// content, URL or annotation text contains `term`, case-insensitively
/// (all of them without a term), newest first, `page` and `perPage` as in
/// the list. The links carry `term`, `page` and `perPage`; a page past the
/// end is a 404.
#[utoipa::path(
    get,
    path = "/api/search",
    tag = "entries",
    params(
        ("term" = Option<String>, Query,
            description = "Text to find in titles, contents, URLs and annotation texts; \
                           all entries without it"),
        ("page" = Option<i64>, Query, description = "Page number, from 1"),
        ("perPage" = Option<i64>, Query, description = "Entries a page (default 30)"),
    ),
    responses(
        (status = 200, body = PageResponse<EntryResponse>),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "A page past the end", body = ErrorResponse),
    ),
)]
pub async fn search_entries(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    headers: HeaderMap,
    Query(query): Query,
) -> Result<Json<PageResponse<EntryResponse>>, ApiError> {
    let term = match query.value("term") {
        None => None,
        Some(Value::String(term)) => Some(term.clone()),
        // `term[]=`: Symfony's InputBag refuses a list where it expects a
        // string, with this message, rather than search for nothing.
        Some(_) => {
            return Err(ApiError::bad_request(
                "Input value \"term\" contains a non-scalar value.",
            ));
        }
    };
    let page = query.int("page").unwrap_or(1);
    let per_page = query.int("perPage").unwrap_or(30);
    // Pagerfanta refuses these before counting.
    if page < 1 || per_page < 1 {
        return Err(ApiError::NotFound);
    }

    let plan = SearchPlan::for_term(term.as_deref());
    let offset = (page - 1).saturating_mul(per_page);
    let found = SearchStore::new(state.pool.clone())
        .find(user.id, &plan, per_page, offset)
        .await?;
    // An empty page carries no count: on page 1 nothing matches at all;
    // further on, the page is past the end.
    let total = match found.total {
        Some(total) => total,
        None if page == 1 => 0,
        None => return Err(ApiError::NotFound),
    };
    let pagination = Pagination::new(page, per_page, total).ok_or(ApiError::NotFound)?;

    let base = state
        .base_url(&headers)
        .map(String::from)
        .unwrap_or_default();
    // A null term is left out of the links; an empty one stays (`term=`).
    let link_params: Vec<(&str, String)> = term.into_iter().map(|t| ("term", t)).collect();
    let links = LinkBuilder::new(&base, "/api/search", &link_params);
    let items = found
        .entries
        .into_iter()
        .map(|entry| EntryResponse::new(entry, &user))
        .collect();
    Ok(Json(PageResponse::new(pagination, &links, items)))
}
