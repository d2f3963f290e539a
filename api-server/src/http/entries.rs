//! The entry endpoints: the list, one entry, create-or-update by URL,
//! patch, reload, delete, and the URL existence check (wallabag-api.md
//! §5.6–§5.13).
//!
//! The rules for turning a request or a fetch into stored fields live in
//! `entry_changes`, the reading of query strings in `entry_query`, the
//! output shape in `entry_wire`, the SQL in `store::entry` and
//! `store::tag`. An entry's tag routes (`tags`), the batch routes
//! (`batch`, which saves URLs through `save_url`) and exports are other
//! files' business.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use serde_json::{Map, Value, json};
use url::Url;

use super::entry_changes::{
    EntryChanges, apply_content, apply_fetch_failure, apply_fetched, fill_defaults, is_valid_url,
};
use super::entry_query::{ListRequest, content_detail, list_param, lower};
use super::entry_wire::EntryResponse;
use super::error::{ApiError, ErrorResponse};
use super::pagination::{LinkBuilder, PageResponse, Pagination};
use super::params::{Body, Query};
use crate::AppState;
use crate::auth::{AuthErrorResponse, Authenticated, CurrentUser};
use crate::fetch::{FetchError, FetchedArticle};
use crate::store::entry::{self, EntryRecord, EntryStore, hash_url};
use crate::store::tag;

/// An `{id}` path segment. A non-numeric id is a 404, as for an id that
/// does not exist (§1.1), never axum's 400.
pub struct EntryId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for EntryId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        parse_id(&raw).map(Self).ok_or(ApiError::NotFound)
    }
}

/// A path id as wallabag accepts it: plain digits that fit an `i64`.
pub(super) fn parse_id(raw: &str) -> Option<i64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

/// `GET /api/entries` — §5.7 and §4.4: the caller's entries, filtered,
/// sorted and paginated, in one query for the page plus one count.
#[utoipa::path(
    get,
    path = "/api/entries",
    tag = "entries",
    params(
        ("archive" = Option<String>, Query,
            description = "Only archived (1) or unarchived (0) entries"),
        ("starred" = Option<String>, Query,
            description = "Only starred (1) or unstarred (0) entries"),
        ("public" = Option<String>, Query, description = "Only shared (1) or unshared (0) entries"),
        ("notParsed" = Option<String>, Query,
            description = "Only entries whose fetch failed (1) or not (0)"),
        ("annotations" = Option<String>, Query,
            description = "Only entries with (1) or without (0) annotations"),
        ("sort" = Option<String>, Query,
            description = "`created` (default), `updated` or `archived`"),
        ("order" = Option<String>, Query, description = "`desc` (default) or `asc`"),
        ("page" = Option<i64>, Query, description = "Page number, from 1"),
        ("perPage" = Option<i64>, Query, description = "Entries a page (default 30)"),
        ("tags" = Option<String>, Query,
            description = "Comma-separated labels the entries must all carry"),
        ("since" = Option<i64>, Query, description = "Only entries updated after this Unix time"),
        ("detail" = Option<String>, Query,
            description = "`full` (default) or `metadata`, without content"),
        ("domain_name" = Option<String>, Query, description = "Only entries from this domain"),
        ("http_status" = Option<String>, Query,
            description = "Only entries fetched with this status"),
    ),
    responses(
        (status = 200, body = PageResponse<EntryResponse>),
        (status = 400, description = "Bad `order` or `detail`", body = ErrorResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "A page past the end", body = ErrorResponse),
    ),
)]
pub async fn list_entries(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    headers: HeaderMap,
    Query(query): Query,
) -> Result<Json<PageResponse<EntryResponse>>, ApiError> {
    let request = ListRequest::from_query(&query)?;
    // Pagerfanta refuses these before counting.
    if request.page < 1 || request.per_page < 1 {
        return Err(ApiError::NotFound);
    }

    let store = EntryStore::new(state.pool.clone());
    let total = store.count(user.id, &request.filter).await?;
    let pagination =
        Pagination::new(request.page, request.per_page, total).ok_or(ApiError::NotFound)?;
    let entries = store
        .page(
            user.id,
            &request.filter,
            request.sort,
            request.with_content,
            pagination.per_page,
            pagination.offset(),
        )
        .await?;

    let base = state
        .base_url(&headers)
        .map(String::from)
        .unwrap_or_default();
    let links = LinkBuilder::new(&base, "/api/entries", &request.link_params);
    let items = entries
        .into_iter()
        .map(|entry| EntryResponse::new(entry, &user))
        .collect();
    Ok(Json(PageResponse::new(pagination, &links, items)))
}

/// `GET /api/entries/{id}` — §5.8: one of the caller's entries; `detail`
/// as in the list.
#[utoipa::path(
    get,
    path = "/api/entries/{id}",
    tag = "entries",
    params(
        ("id" = i64, Path, description = "The entry's id"),
        ("detail" = Option<String>, Query,
            description = "`full` (default) or `metadata`, without content"),
    ),
    responses(
        (status = 200, body = EntryResponse),
        (status = 400, description = "Bad `detail`", body = ErrorResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn show_entry(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    EntryId(id): EntryId,
    Query(query): Query,
) -> Result<Json<EntryResponse>, ApiError> {
    let with_content = content_detail(&lower(&query, "detail", "full"))?;
    let entry = EntryStore::new(state.pool.clone())
        .find(user.id, id, with_content)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(EntryResponse::new(entry, &user)))
}

/// `POST /api/entries` — §5.10: saves a URL, or updates the caller's entry
/// that already has it (same id, still 200). The page is fetched unless
/// content is given; a failed fetch still saves the entry, as not parsed.
#[utoipa::path(
    post,
    path = "/api/entries",
    tag = "entries",
    request_body(
        description = "The URL to save; without `content` the page is fetched. Also `title`, \
                       `tags`, `archive`, `starred`, `public`, `language`, `preview_picture`, \
                       `published_at`, `authors`, `origin_url`",
        content(
            (Object = "application/x-www-form-urlencoded"),
            (Object = "application/json", example = json!({
                "url": "https://example.org/post", "tags": "rust,long read", "archive": 0
            })),
        ),
    ),
    responses(
        (status = 200, description = "The new or updated entry", body = EntryResponse),
        (status = 400, description = "Not a valid URL", body = ErrorResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
    ),
)]
pub async fn create_entry(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Body(body): Body,
) -> Result<Json<EntryResponse>, ApiError> {
    let url = body.string("url").unwrap_or_default();
    if !is_valid_url(&url) {
        // wallabag's validator message, newline included; a missing url is
        // reported as an empty one.
        return Err(ApiError::bad_request(format!(
            "The url '\"{url}\"' is not a valid url\n"
        )));
    }
    let changes = EntryChanges::from_body(&body);
    let hash = hash_url(&url);
    let store = EntryStore::new(state.pool.clone());

    // Download before the transaction, so no lock is held meanwhile. An
    // existing entry keeps its content instead of being fetched again.
    let fetched = match changes.content {
        Some(_) => None,
        None => match store.find_by_url_hash(user.id, &hash).await? {
            Some((_, existing)) if has_content(&existing) => None,
            Some((_, existing)) => {
                Some(fetch_article(&state, existing.url.as_deref().unwrap_or(&url)).await)
            }
            None => Some(fetch_article(&state, &url).await),
        },
    };

    let now = Utc::now();
    let mut conn = state.pool.get().await?;
    let tx = conn.transaction().await?;
    let id = save_url(&tx, user.id, &url, &changes, fetched.as_ref(), now).await?;
    let response = entry_response(&tx, &user, id).await?;
    tx.commit().await?;
    Ok(response)
}

/// The write half of saving a URL (§5.10), shared with the batch create
/// (§5.17): under the URL's lock, updates the user's entry that has the URL
/// or creates one, from the given changes and what fetching gave (`None`:
/// nothing was fetched). Returns the entry's id.
pub(super) async fn save_url(
    tx: &Transaction<'_>,
    user_id: i64,
    url: &str,
    changes: &EntryChanges,
    fetched: Option<&Result<FetchedArticle, FetchError>>,
    now: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let hash = hash_url(url);
    entry::lock_url(tx, user_id, &hash).await?;
    let existing = entry::find_record_by_url_hash(tx, user_id, &hash).await?;
    let mut record = match &existing {
        Some((_, before)) => before.clone(),
        None => EntryRecord::for_url(url),
    };

    if let Some(content) = &changes.content {
        apply_content(&mut record, content);
    } else if !has_content(&record) {
        match fetched {
            Some(Ok(article)) => apply_fetched(&mut record, article),
            _ => apply_fetch_failure(&mut record),
        }
    }
    changes.apply_metadata(&mut record);
    changes.apply_flags(&mut record, now);
    fill_defaults(&mut record);

    // Tags are added to those the entry has (§5.10). No tagging rules exist
    // here, so unlike wallabag no rule adds tags of its own.
    let id = match &existing {
        Some((id, _)) => *id,
        None => entry::insert_entry(tx, user_id, &record, now).await?,
    };
    let tag_ids = tag::ensure_tags(tx, user_id, &changes.tags).await?;
    let linked = tag::attach_tags(tx, id, &tag_ids).await?;
    if let Some((_, before)) = &existing
        && (*before != record || linked > 0)
    {
        entry::update_entry(tx, user_id, id, &record, now).await?;
    }
    Ok(id)
}

/// `PATCH /api/entries/{id}` — §5.11: changes only the fields given, read
/// from the body alone. Tags given replace the entry's tags; nothing here
/// clears tags or `origin_url`.
#[utoipa::path(
    patch,
    path = "/api/entries/{id}",
    tag = "entries",
    params(
        ("id" = i64, Path, description = "The entry's id"),
    ),
    request_body(
        description = "The fields to change, as in `POST /api/entries`; tags given replace \
                       the entry's",
        content(
            (Object = "application/x-www-form-urlencoded"),
            (Object = "application/json", example = json!({"archive": 1, "tags": ["read"]})),
        ),
    ),
    responses(
        (status = 200, body = EntryResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn update_entry(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    EntryId(id): EntryId,
    Body(body): Body,
) -> Result<Json<EntryResponse>, ApiError> {
    let changes = EntryChanges::from_body(&body);
    let now = Utc::now();

    let mut conn = state.pool.get().await?;
    let tx = conn.transaction().await?;
    let before = entry::lock_record(&tx, user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut record = before.clone();

    if let Some(content) = &changes.content {
        // Given content is cleaned, never fetched; wallabag's content step
        // also resets the given URL to the current one.
        apply_content(&mut record, content);
        if let Some(url) = record.url.clone() {
            record.set_given_url(&url);
        }
    }
    changes.apply_metadata(&mut record);
    changes.apply_flags(&mut record, now);
    fill_defaults(&mut record);

    let tags_changed = if changes.tags.is_empty() {
        false
    } else {
        let tag_ids = tag::ensure_tags(&tx, user.id, &changes.tags).await?;
        tag::replace_tags(&tx, id, &tag_ids).await?
    };
    // As with Doctrine, a request that changes nothing leaves `updated_at`.
    if record != before || tags_changed {
        entry::update_entry(&tx, user.id, id, &record, now).await?;
    }
    let response = entry_response(&tx, &user, id).await?;
    tx.commit().await?;
    Ok(response)
}

/// `PATCH /api/entries/{id}/reload` — §5.12: fetches the entry's URL again.
/// When that fails, or finds no article, the answer is a bodiless 304 and
/// nothing is saved.
#[utoipa::path(
    patch,
    path = "/api/entries/{id}/reload",
    tag = "entries",
    params(
        ("id" = i64, Path, description = "The entry's id"),
    ),
    responses(
        (status = 200, body = EntryResponse),
        (status = 304, description = "The page could not be fetched again; nothing changed"),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn reload_entry(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    EntryId(id): EntryId,
) -> Result<Response, ApiError> {
    let store = EntryStore::new(state.pool.clone());
    let current = store
        .find_record(user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let article = match fetch_article(&state, current.url.as_deref().unwrap_or_default()).await {
        Ok(article) if !article.content.trim().is_empty() => article,
        Ok(_) | Err(_) => return Ok(StatusCode::NOT_MODIFIED.into_response()),
    };

    let now = Utc::now();
    let mut conn = state.pool.get().await?;
    let tx = conn.transaction().await?;
    let before = entry::lock_record(&tx, user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut record = before.clone();
    apply_fetched(&mut record, &article);
    fill_defaults(&mut record);
    if record != before {
        entry::update_entry(&tx, user.id, id, &record, now).await?;
    }
    let response = entry_response(&tx, &user, id).await?;
    tx.commit().await?;
    Ok(response.into_response())
}

/// `DELETE /api/entries/{id}` — §5.13: deletes for good (tag links and
/// annotations go with it) and answers with the entry as it was, or only
/// its id with `expect=id`.
#[utoipa::path(
    delete,
    path = "/api/entries/{id}",
    tag = "entries",
    params(
        ("id" = i64, Path, description = "The entry's id"),
        ("expect" = Option<String>, Query,
            description = "`entry` (default): answer the entry; `id`: answer `{\"id\": …}`"),
    ),
    responses(
        (status = 200, description = "The entry as it was, or its id", body = EntryResponse),
        (status = 400, description = "Bad `expect`", body = ErrorResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn delete_entry(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    EntryId(id): EntryId,
    Query(query): Query,
) -> Result<Response, ApiError> {
    let mut conn = state.pool.get().await?;
    let tx = conn.transaction().await?;
    // Not found comes before a bad `expect`, as upstream resolves the entry
    // first; either way nothing is deleted.
    entry::lock_record(&tx, user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let expect = query.string("expect").unwrap_or_else(|| "entry".to_owned());
    let response = match expect.as_str() {
        "entry" => entry_response(&tx, &user, id).await?.into_response(),
        "id" => Json(json!({ "id": id })).into_response(),
        _ => {
            return Err(ApiError::bad_request(format!(
                "expect: 'id' or 'entry' expected, {expect} given"
            )));
        }
    };
    entry::delete_entry(&tx, user.id, id).await?;
    tx.commit().await?;
    Ok(response)
}

/// `GET /api/entries/exists` — §5.6 and §11.8: whether the caller saved
/// these URLs (or URL hashes). With `return_id` the answer is the entry id
/// or `null`, never `false`.
#[utoipa::path(
    get,
    path = "/api/entries/exists",
    tag = "entries",
    params(
        ("url" = Option<String>, Query, description = "One URL"),
        ("urls[]" = Option<Vec<String>>, Query, description = "Several URLs"),
        ("hashed_url" = Option<String>, Query, description = "One URL's SHA-1"),
        ("hashed_urls[]" = Option<Vec<String>>, Query, description = "Several URLs' SHA-1"),
        ("return_id" = Option<String>, Query,
            description = "Answer entry ids (or null) instead of true/false"),
    ),
    responses(
        (status = 200,
            description = "`{\"exists\": …}` for one URL, or an object keyed by URL",
            body = Object),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "No URL given", body = ErrorResponse),
    ),
)]
pub async fn check_entries_exist(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Query(query): Query,
) -> Result<Json<Value>, ApiError> {
    let return_id = query.flag("return_id").unwrap_or(false);
    let url = query.non_empty("url");
    let hashed_url = query.non_empty("hashed_url");

    // (key in the answer, hash looked up), in wallabag's order: hashed_urls,
    // hashed_url, urls, url.
    let mut lookups: Vec<(String, String)> = Vec::new();
    for hash in list_param(&query, "hashed_urls") {
        lookups.push((hash.clone(), hash));
    }
    if let Some(hash) = &hashed_url {
        lookups.push((hash.clone(), hash.clone()));
    }
    for url in list_param(&query, "urls") {
        let hash = hash_url(&url);
        lookups.push((url, hash));
    }
    if let Some(url) = &url {
        lookups.push((url.clone(), hash_url(url)));
    }
    if lookups.is_empty() {
        return Err(ApiError::NotFound);
    }

    let hashes: Vec<String> = lookups.iter().map(|(_, hash)| hash.clone()).collect();
    let matches = EntryStore::new(state.pool.clone())
        .match_url_hashes(user.id, &hashes)
        .await?;
    let answer = |hash: &str| {
        let id = matches
            .iter()
            .find(|(_, hashed, _)| hashed.as_deref() == Some(hash))
            .or_else(|| {
                matches
                    .iter()
                    .find(|(_, _, given)| given.as_deref() == Some(hash))
            })
            .map(|(id, _, _)| *id);
        if return_id {
            json!(id)
        } else {
            json!(id.is_some())
        }
    };

    if url.is_some() || hashed_url.is_some() {
        // The single form answers for the first key, even when lists were
        // also given.
        return Ok(Json(json!({ "exists": answer(&lookups[0].1) })));
    }
    let answers: Map<String, Value> = lookups
        .iter()
        .map(|(key, hash)| (key.clone(), answer(hash)))
        .collect();
    Ok(Json(Value::Object(answers)))
}

fn has_content(record: &EntryRecord) -> bool {
    record.content.as_deref().is_some_and(|c| !c.is_empty())
}

pub(super) async fn fetch_article(
    state: &AppState,
    url: &str,
) -> Result<FetchedArticle, FetchError> {
    let parsed = Url::parse(url).map_err(|err| FetchError::InvalidUrl(err.to_string()))?;
    state.fetcher.fetch(&parsed).await.inspect_err(|err| {
        tracing::debug!(cause = %err, "article not fetched");
    })
}

/// The entry as it stands in the transaction, read on the transaction's own
/// connection: a second pooled connection per request could starve the
/// pool under load.
pub(super) async fn entry_response(
    tx: &Transaction<'_>,
    user: &CurrentUser,
    id: i64,
) -> Result<Json<EntryResponse>, ApiError> {
    let entry = entry::find_entry(tx, user.id, id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(EntryResponse::new(entry, user)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_digits() {
        assert_eq!(parse_id("42"), Some(42));
        assert_eq!(parse_id("+42"), None);
        assert_eq!(parse_id("-1"), None);
        assert_eq!(parse_id("abc"), None);
        assert_eq!(parse_id(""), None);
        assert_eq!(parse_id("99999999999999999999"), None);
    }
}
