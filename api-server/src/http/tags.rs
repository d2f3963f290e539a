//! The tag endpoints (wallabag-api.md §5.14–§5.16, §5.21–§5.24): an
//! entry's tags, adding and removing them, the caller's tag list, and
//! deleting tags by id or by label.
//!
//! wallabag's tags are global rows; ours are the caller's own (see the
//! migration). "A tag attached to at least one of my entries" is therefore
//! one of the caller's rows that is in use, and the orphan that wallabag
//! deletes after removing a tag everywhere is always the caller's row, so
//! the deleted tag comes back without its `id`. Any change of an entry's
//! tags moves its `updated_at`, as Doctrine does for wallabag's owning-side
//! tag collection, so that clients syncing with `since` see it. The batch
//! tag routes are in `batch`; the SQL is in `store::tag`.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use super::entries::{EntryId, entry_response, parse_id};
use super::entry_wire::{EntryResponse, TagResponse};
use super::error::{ApiError, ErrorResponse};
use super::params::{Body, Query};
use crate::AppState;
use crate::auth::{AuthErrorResponse, Authenticated};
use crate::store::entry;
use crate::store::entry_batch;
use crate::store::tag::{self, Tag, normalize_labels};

/// A `{tag}` path segment: a non-numeric id is a 404, like an unknown one
/// (§1.1).
pub struct TagId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for TagId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        parse_id(&raw).map(Self).ok_or(ApiError::NotFound)
    }
}

/// The `{id}` and `{tag}` segments of `/api/entries/{id}/tags/{tag}`, both
/// 404 when not numeric.
pub struct EntryTagIds {
    pub entry: i64,
    pub tag: i64,
}

impl<S: Send + Sync> FromRequestParts<S> for EntryTagIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((entry, tag)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        Ok(Self {
            entry: parse_id(&entry).ok_or(ApiError::NotFound)?,
            tag: parse_id(&tag).ok_or(ApiError::NotFound)?,
        })
    }
}

/// An item of `GET /api/tags`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagCountResponse {
    pub id: i64,
    pub label: String,
    pub slug: String,
    #[serde(rename = "nbEntries")]
    pub nb_entries: i64,
}

/// A deleted tag: null keys are omitted on these endpoints (§1.5), and the
/// id is null once the row is gone (§5.22).
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedTagResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub label: String,
    pub slug: String,
}

/// `GET /api/entries/{id}/tags` — §5.14: the entry's tags as a compact
/// array of `{id, label, slug}`, in the order the entry lists them.
#[utoipa::path(
    get,
    path = "/api/entries/{id}/tags",
    tag = "tags",
    params(
        ("id" = i64, Path, description = "The entry's id"),
    ),
    responses(
        (status = 200, body = Vec<TagResponse>),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn list_entry_tags(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    EntryId(id): EntryId,
) -> Result<Json<Vec<TagResponse>>, ApiError> {
    let conn = state.pool.get().await?;
    let tags = tag::entry_tags(&conn, user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(tags.into_iter().map(TagResponse::from).collect()))
}

/// `POST /api/entries/{id}/tags` — §5.15: adds the body's `tags` (a comma
/// string or an array; trimmed, lower-cased) to those the entry has. No
/// tags is no change. Answers with the entry.
#[utoipa::path(
    post,
    path = "/api/entries/{id}/tags",
    tag = "tags",
    params(
        ("id" = i64, Path, description = "The entry's id"),
    ),
    request_body(
        description = "`tags`: comma-separated labels, or an array",
        content(
            (Object = "application/x-www-form-urlencoded"),
            (Object = "application/json", example = json!({"tags": "rust,long read"})),
        ),
    ),
    responses(
        (status = 200, body = EntryResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn add_entry_tags(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    EntryId(id): EntryId,
    Body(body): Body,
) -> Result<Json<EntryResponse>, ApiError> {
    let labels = body.list("tags").map(normalize_labels).unwrap_or_default();

    let mut conn = state.pool.get().await?;
    let tx = conn.transaction().await?;
    entry::lock_record(&tx, user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let tag_ids = tag::ensure_tags(&tx, user.id, &labels).await?;
    if tag::attach_tags(&tx, id, &tag_ids).await? > 0 {
        entry_batch::touch_entries(&tx, user.id, &[id], Utc::now()).await?;
    }
    let response = entry_response(&tx, &user, id).await?;
    tx.commit().await?;
    Ok(response)
}

/// `DELETE /api/entries/{id}/tags/{tag}` — §5.16: unlinks one tag from the
/// entry (nothing happens if it was not linked) and answers with the entry.
/// A tag id the caller does not have is a 404. The tag row stays, even
/// when no entry carries it any more.
#[utoipa::path(
    delete,
    path = "/api/entries/{id}/tags/{tag}",
    tag = "tags",
    params(
        ("id" = i64, Path, description = "The entry's id"),
        ("tag" = i64, Path, description = "The tag's id"),
    ),
    responses(
        (status = 200, body = EntryResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn remove_entry_tag(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    ids: EntryTagIds,
) -> Result<Json<EntryResponse>, ApiError> {
    let mut conn = state.pool.get().await?;
    let tx = conn.transaction().await?;
    entry::lock_record(&tx, user.id, ids.entry)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !tag::user_has_tag(&tx, user.id, ids.tag).await? {
        return Err(ApiError::NotFound);
    }
    if tag::detach_tags(&tx, ids.entry, &[ids.tag]).await? > 0 {
        entry_batch::touch_entries(&tx, user.id, &[ids.entry], Utc::now()).await?;
    }
    let response = entry_response(&tx, &user, ids.entry).await?;
    tx.commit().await?;
    Ok(response)
}

/// `GET /api/tags` — §5.21: the caller's tags that are on at least one of
/// their entries, sorted by label, each with `nbEntries`.
#[utoipa::path(
    get,
    path = "/api/tags",
    tag = "tags",
    responses(
        (status = 200, body = Vec<TagCountResponse>),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
    ),
)]
pub async fn list_tags(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<Json<Vec<TagCountResponse>>, ApiError> {
    let conn = state.pool.get().await?;
    let tags = tag::tags_in_use(&conn, user.id).await?;
    Ok(Json(
        tags.into_iter()
            .map(|count| TagCountResponse {
                id: count.tag.id,
                label: count.tag.label,
                slug: count.tag.slug,
                nb_entries: count.entries,
            })
            .collect(),
    ))
}

/// `DELETE /api/tags/{tag}` — §5.22: removes the tag from all the caller's
/// entries and deletes it; 404 unless it is on one of them.
#[utoipa::path(
    delete,
    path = "/api/tags/{tag}",
    tag = "tags",
    params(
        ("tag" = i64, Path, description = "The tag's id"),
    ),
    responses(
        (status = 200, body = DeletedTagResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn delete_tag(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    TagId(id): TagId,
) -> Result<Json<DeletedTagResponse>, ApiError> {
    let deleted = delete_tags_in_use(&state, user.id, &[id], &[]).await?;
    deleted
        .into_iter()
        .next()
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// `DELETE /api/tag/label` — §5.23: as §5.22, for the tag whose label is
/// exactly `tag`, read from the body first, then the query string.
#[utoipa::path(
    delete,
    path = "/api/tag/label",
    tag = "tags",
    params(
        ("tag" = String, Query, description = "The label (the body's `tag` comes first)"),
    ),
    responses(
        (status = 200, body = DeletedTagResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn delete_tag_by_label(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Query(query): Query,
    Body(body): Body,
) -> Result<Json<DeletedTagResponse>, ApiError> {
    let label = body
        .string("tag")
        .or_else(|| query.string("tag"))
        .unwrap_or_default();
    let deleted = delete_tags_in_use(&state, user.id, &[], &[label]).await?;
    deleted
        .into_iter()
        .next()
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// `DELETE /api/tags/label` — §5.24: as §5.22 for every tag named in
/// `tags` (comma-separated, not trimmed; body first, then query string).
/// Answers with those found, ordered by slug; 404 when none is.
#[utoipa::path(
    delete,
    path = "/api/tags/label",
    tag = "tags",
    params(
        ("tags" = String, Query,
            description = "Comma-separated labels (the body's `tags` comes first)"),
    ),
    responses(
        (status = 200, body = Vec<DeletedTagResponse>),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn delete_tags_by_label(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Query(query): Query,
    Body(body): Body,
) -> Result<Json<Vec<DeletedTagResponse>>, ApiError> {
    let labels = body
        .list("tags")
        .or_else(|| query.list("tags"))
        .unwrap_or_default();
    let deleted = delete_tags_in_use(&state, user.id, &[], &labels).await?;
    if deleted.is_empty() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(deleted))
}

/// The deletion of §5.22–§5.24, in one transaction: finds the caller's tags
/// in use with these ids or labels, unlinks them from all the caller's
/// entries and deletes the rows left orphaned. Returns the tags found,
/// ordered by slug; none when nothing matched.
async fn delete_tags_in_use(
    state: &AppState,
    user_id: i64,
    ids: &[i64],
    labels: &[String],
) -> Result<Vec<DeletedTagResponse>, ApiError> {
    let mut conn = state.pool.get().await?;
    let tx = conn.transaction().await?;
    let tags = tag::lock_tags_in_use(&tx, user_id, ids, labels).await?;
    if tags.is_empty() {
        return Ok(Vec::new());
    }

    let tag_ids: Vec<i64> = tags.iter().map(|t| t.id).collect();
    let entries = tag::detach_from_all_entries(&tx, user_id, &tag_ids).await?;
    entry_batch::touch_entries(&tx, user_id, &entries, Utc::now()).await?;
    let removed = tag::delete_orphans(&tx, user_id, &tag_ids).await?;
    tx.commit().await?;

    Ok(tags
        .into_iter()
        .map(|Tag { id, label, slug }| DeletedTagResponse {
            id: (!removed.contains(&id)).then_some(id),
            label,
            slug,
        })
        .collect())
}
