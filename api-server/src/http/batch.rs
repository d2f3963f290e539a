//! The batch endpoints (wallabag-api.md §5.17–§5.20): save or delete
//! entries by URL, and add or remove tags on entries found by URL, many at
//! a time.
//!
//! Their input is JSON inside the query string (`?urls=[...]`,
//! `?list=[...]`, §1.2), and their answer is one `{url, entry}` per input
//! item, in order. Each request is one transaction: it applies entirely or
//! not at all. Pages for new entries are fetched before that transaction
//! begins, so no transaction waits on the network. Saving a URL itself is
//! `entries::save_url`, the code path of `POST /api/entries`.

use std::collections::{HashMap, HashSet};

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use utoipa::ToSchema;

use super::entries::{fetch_article, save_url};
use super::entry_changes::{EntryChanges, is_valid_url};
use super::error::{ApiError, ErrorResponse};
use super::params::{Bag, Query};
use crate::AppState;
use crate::auth::{AuthErrorResponse, Authenticated};
use crate::fetch::{FetchError, FetchedArticle};
use crate::store::entry::hash_url;
use crate::store::entry_batch;
use crate::store::tag::{self, normalize_labels};

/// wallabag's `api_limit_mass_actions`: the most URLs one batch create
/// takes (§5.17). The other batch routes have no limit.
pub const MASS_ACTION_LIMIT: usize = 10;

/// One item of a batch answer. `entry` is the entry's id, `false` when
/// there is none, or for the batch delete whether one was deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemResponse {
    pub url: String,
    pub entry: Value,
}

/// An item of `?list=`: a URL and the tags to add or remove, as a comma
/// string (or, leniently, an array).
#[derive(Debug, Deserialize)]
struct TagListItem {
    url: String,
    #[serde(default)]
    tags: Option<Labels>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Labels {
    Text(String),
    List(Vec<String>),
}

impl Labels {
    /// The labels as sent, split on commas and trimmed, empties skipped;
    /// not lower-cased.
    fn trimmed(&self) -> Vec<String> {
        let raw: Vec<&str> = match self {
            Self::Text(text) => text.split(',').collect(),
            Self::List(items) => items.iter().map(String::as_str).collect(),
        };
        raw.into_iter()
            .map(str::trim)
            .filter(|label| !label.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// `POST /api/entries/lists` — §5.17: saves each URL of `urls` that the
/// caller has not saved yet, fetching it as `POST /api/entries` does, and
/// answers each with its entry's id. More than ten URLs is a 400 `API limit
/// reached`. An invalid URL is answered with `entry: false` and saved
/// nowhere, where wallabag would store it.
#[utoipa::path(
    post,
    path = "/api/entries/lists",
    tag = "batch",
    params(
        ("urls" = String, Query, description = "A JSON array of URLs, at most 10"),
    ),
    responses(
        (status = 200,
            description = "Each URL with its entry's id, or false", body = Vec<BatchItemResponse>),
        (status = 400, description = "More than 10 URLs", body = ErrorResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
    ),
)]
pub async fn create_entries(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Query(query): Query,
) -> Result<Json<Vec<BatchItemResponse>>, ApiError> {
    let urls = url_list(&query)?;
    if urls.len() > MASS_ACTION_LIMIT {
        return Err(ApiError::bad_request("API limit reached"));
    }
    if urls.is_empty() {
        return Ok(Json(Vec::new()));
    }

    let hashes: Vec<String> = urls
        .iter()
        .filter(|url| is_valid_url(url))
        .map(|url| hash_url(url))
        .collect();
    let saved = {
        let conn = state.pool.get().await?;
        entry_batch::find_ids_by_url_hashes(&conn, user.id, &hashes).await?
    };
    let mut unsaved: Vec<String> = urls
        .iter()
        .filter(|url| is_valid_url(url) && !saved.contains_key(&hash_url(url)))
        .cloned()
        .collect();
    unsaved.sort();
    unsaved.dedup();
    let pages = fetch_pages(&state, unsaved).await;

    let now = Utc::now();
    let changes = EntryChanges::default();
    let mut conn = state.pool.get().await?;
    let tx = conn.transaction().await?;
    entry_batch::lock_urls(&tx, user.id, &hashes).await?;
    let mut answers = Vec::with_capacity(urls.len());
    for url in urls {
        let entry = if is_valid_url(&url) {
            json!(save_url(&tx, user.id, &url, &changes, pages.get(&url), now).await?)
        } else {
            json!(false)
        };
        answers.push(BatchItemResponse { url, entry });
    }
    tx.commit().await?;
    Ok(Json(answers))
}

/// `DELETE /api/entries/list` — §5.18: deletes the caller's entry for each
/// URL of `urls`; `entry` says whether there was one. As in wallabag's
/// item-by-item loop, a URL whose entry an earlier item deleted answers
/// `false`.
#[utoipa::path(
    delete,
    path = "/api/entries/list",
    tag = "batch",
    params(
        ("urls" = String, Query, description = "A JSON array of URLs"),
    ),
    responses(
        (status = 200,
            description = "Each URL with whether an entry was deleted",
            body = Vec<BatchItemResponse>),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
    ),
)]
pub async fn delete_entries(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Query(query): Query,
) -> Result<Json<Vec<BatchItemResponse>>, ApiError> {
    let urls = url_list(&query)?;
    if urls.is_empty() {
        return Ok(Json(Vec::new()));
    }
    let hashes: Vec<String> = urls.iter().map(|url| hash_url(url)).collect();

    let mut conn = state.pool.get().await?;
    let tx = conn.transaction().await?;
    let found = entry_batch::find_ids_by_url_hashes(&tx, user.id, &hashes).await?;
    let mut claimed = HashSet::new();
    let targets: Vec<Option<i64>> = hashes
        .iter()
        .map(|hash| found.get(hash).copied().filter(|id| claimed.insert(*id)))
        .collect();
    let ids: Vec<i64> = targets.iter().flatten().copied().collect();
    let deleted: HashSet<i64> = entry_batch::delete_entries(&tx, user.id, &ids)
        .await?
        .into_iter()
        .collect();
    tx.commit().await?;

    Ok(Json(
        urls.into_iter()
            .zip(targets)
            .map(|(url, target)| BatchItemResponse {
                url,
                entry: json!(target.is_some_and(|id| deleted.contains(&id))),
            })
            .collect(),
    ))
}

/// `POST /api/entries/tags/lists` — §5.19: adds each item's `tags`
/// (trimmed, lower-cased) to the caller's entry for its `url`, and answers
/// with the entry's id, or `false` when the caller has none.
#[utoipa::path(
    post,
    path = "/api/entries/tags/lists",
    tag = "batch",
    params(
        ("list" = String, Query, description = "A JSON array of `{\"url\": …, \"tags\": \"a,b\"}`"),
    ),
    responses(
        (status = 200,
            description = "Each URL with its entry's id, or false", body = Vec<BatchItemResponse>),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
    ),
)]
pub async fn add_tags_to_entries(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Query(query): Query,
) -> Result<Json<Vec<BatchItemResponse>>, ApiError> {
    let items = tag_list(&query)?;
    if items.is_empty() {
        return Ok(Json(Vec::new()));
    }
    let hashes: Vec<String> = items.iter().map(|item| hash_url(&item.url)).collect();

    let mut conn = state.pool.get().await?;
    let tx = conn.transaction().await?;
    let found = entry_batch::find_ids_by_url_hashes(&tx, user.id, &hashes).await?;
    // Locked so that no entry is deleted between here and its new links.
    let ids: Vec<i64> = found.values().copied().collect();
    let present: HashSet<i64> = entry_batch::lock_entries(&tx, user.id, &ids)
        .await?
        .into_iter()
        .collect();
    let targets: Vec<Option<i64>> = hashes
        .iter()
        .map(|hash| found.get(hash).copied().filter(|id| present.contains(id)))
        .collect();

    let wanted: Vec<(i64, Vec<String>)> = items
        .iter()
        .zip(&targets)
        .filter_map(|(item, target)| Some((target.as_ref().copied()?, item.tags.as_ref()?)))
        .map(|(id, labels)| (id, normalize_labels(labels.trimmed())))
        .collect();
    let labels = normalize_labels(wanted.iter().flat_map(|(_, labels)| labels));
    let tag_ids: HashMap<&String, i64> = labels
        .iter()
        .zip(tag::ensure_tags(&tx, user.id, &labels).await?)
        .collect();
    let pairs: Vec<(i64, i64)> = wanted
        .iter()
        .flat_map(|(id, labels)| {
            labels
                .iter()
                .filter_map(|label| tag_ids.get(label).map(|tag| (*id, *tag)))
        })
        .collect();
    let changed = tag::attach_pairs(&tx, &pairs).await?;
    entry_batch::touch_entries(&tx, user.id, &changed, Utc::now()).await?;
    tx.commit().await?;

    Ok(Json(answer_with_ids(items, targets)))
}

/// `DELETE /api/entries/tags/list` — §5.20: removes each item's `tags`
/// (trimmed, not lower-cased, so matched exactly) from the caller's entry
/// for its `url`; labels that name no tag are skipped. Tag rows stay.
#[utoipa::path(
    delete,
    path = "/api/entries/tags/list",
    tag = "batch",
    params(
        ("list" = String, Query, description = "A JSON array of `{\"url\": …, \"tags\": \"a,b\"}`"),
    ),
    responses(
        (status = 200,
            description = "Each URL with its entry's id, or false", body = Vec<BatchItemResponse>),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
    ),
)]
pub async fn remove_tags_from_entries(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    Query(query): Query,
) -> Result<Json<Vec<BatchItemResponse>>, ApiError> {
    let items = tag_list(&query)?;
    if items.is_empty() {
        return Ok(Json(Vec::new()));
    }
    let hashes: Vec<String> = items.iter().map(|item| hash_url(&item.url)).collect();

    let mut conn = state.pool.get().await?;
    let tx = conn.transaction().await?;
    let found = entry_batch::find_ids_by_url_hashes(&tx, user.id, &hashes).await?;
    let targets: Vec<Option<i64>> = hashes.iter().map(|hash| found.get(hash).copied()).collect();
    let pairs: Vec<(i64, String)> = items
        .iter()
        .zip(&targets)
        .filter_map(|(item, target)| Some((target.as_ref().copied()?, item.tags.as_ref()?)))
        .flat_map(|(id, labels)| labels.trimmed().into_iter().map(move |label| (id, label)))
        .collect();
    let changed = tag::detach_labels(&tx, user.id, &pairs).await?;
    entry_batch::touch_entries(&tx, user.id, &changed, Utc::now()).await?;
    tx.commit().await?;

    Ok(Json(answer_with_ids(items, targets)))
}

fn answer_with_ids(items: Vec<TagListItem>, targets: Vec<Option<i64>>) -> Vec<BatchItemResponse> {
    items
        .into_iter()
        .zip(targets)
        .map(|(item, target)| BatchItemResponse {
            url: item.url,
            entry: target.map_or(json!(false), |id| json!(id)),
        })
        .collect()
}

/// `urls`: a JSON array of URL strings. Absent or empty means none.
/// Leniently, `urls[]=...` keys are read as the array they spell.
fn url_list(query: &Bag) -> Result<Vec<String>, ApiError> {
    match query.value("urls") {
        None => Ok(Vec::new()),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(Vec::new()),
        Some(Value::String(text)) => serde_json::from_str(text).map_err(|err| {
            ApiError::bad_request(format!(
                "urls must be a JSON array of URL strings, \
                 like [\"https://example.org/a\"]: {err}"
            ))
        }),
        // Form decoding only ever makes strings.
        Some(Value::Array(items)) => Ok(items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect()),
        Some(_) => Err(ApiError::bad_request(
            "urls must be a JSON array of URL strings",
        )),
    }
}

/// `list`: a JSON array of `{"url": ..., "tags": "a, b"}` objects. Absent
/// or empty means none.
fn tag_list(query: &Bag) -> Result<Vec<TagListItem>, ApiError> {
    let text = match query.value("list") {
        None => return Ok(Vec::new()),
        Some(Value::String(text)) if text.trim().is_empty() => return Ok(Vec::new()),
        Some(Value::String(text)) => text,
        Some(_) => return Err(list_error("not a string")),
    };
    serde_json::from_str(text).map_err(|err| list_error(&err.to_string()))
}

fn list_error(cause: &str) -> ApiError {
    ApiError::bad_request(format!(
        "list must be a JSON array of objects like \
         {{\"url\": \"https://example.org/a\", \"tags\": \"a, b\"}}: {cause}"
    ))
}

/// Fetches the pages at once, each under the fetcher's own deadline. A
/// fetch that fails, or whose task dies, leaves its URL out; it is then
/// saved as not parsed.
async fn fetch_pages(
    state: &AppState,
    urls: Vec<String>,
) -> HashMap<String, Result<FetchedArticle, FetchError>> {
    let mut fetches = JoinSet::new();
    for url in urls {
        let state = state.clone();
        fetches.spawn(async move {
            let page = fetch_article(&state, &url).await;
            (url, page)
        });
    }
    let mut pages = HashMap::new();
    while let Some(joined) = fetches.join_next().await {
        match joined {
            Ok((url, page)) => {
                pages.insert(url, page);
            }
            Err(err) => tracing::warn!(cause = %err, "article fetch task failed"),
        }
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_lists_are_json_arrays_of_strings() {
        let bag = Bag::from_form(br#"urls=["http://a.example/1","http://b.example/2"]"#);
        assert_eq!(
            url_list(&bag).unwrap(),
            ["http://a.example/1", "http://b.example/2"]
        );
        assert!(url_list(&Bag::from_form(b"urls=")).unwrap().is_empty());
        assert!(url_list(&Bag::default()).unwrap().is_empty());
        assert!(url_list(&Bag::from_form(b"urls=[1,2]")).is_err());
        assert!(url_list(&Bag::from_form(b"urls=[\"a\"")).is_err());
        assert_eq!(
            url_list(&Bag::from_form(b"urls[]=x&urls[]=y")).unwrap(),
            ["x", "y"]
        );
    }

    #[test]
    fn tag_lists_take_comma_strings_or_arrays_and_trim_without_lowering() {
        let bag = Bag::from_form(
            br#"list=[{"url":"u1","tags":" Foo-Tag, bar ,,"},{"url":"u2","tags":["x "]},{"url":"u3"}]"#,
        );
        let items = tag_list(&bag).unwrap();
        let labels: Vec<Vec<String>> = items
            .iter()
            .map(|item| item.tags.as_ref().map(Labels::trimmed).unwrap_or_default())
            .collect();
        assert_eq!(labels, [vec!["Foo-Tag", "bar"], vec!["x"], vec![]]);
        assert!(tag_list(&Bag::from_form(br#"list=[{"tags":"a"}]"#)).is_err());
        assert!(tag_list(&Bag::from_form(b"list={}")).is_err());
    }
}
