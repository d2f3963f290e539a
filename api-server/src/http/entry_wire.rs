//! The entry as clients receive it (wallabag-api.md §4.1, with tags as in
//! §4.2 and annotations as in §4.3): keys in wallabag's order, nulls kept,
//! flags as integers, `http_status` as a string, and the guarantees real
//! clients lean on (§11.10): a title that is never null, `headers` never
//! `[]`, `tags` and `annotations` always arrays.

use chrono::FixedOffset;
use serde::Serialize;
use serde_json::Value;
use url::Url;
use utoipa::ToSchema;

use super::pagination::Href;
use super::wire;
use crate::auth::CurrentUser;
use crate::store::entry::{EntryRecord, StoredAnnotation, StoredEntry};
use crate::store::tag::Tag;

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryResponse {
    pub is_archived: u8,
    pub is_starred: u8,
    pub user_name: String,
    pub user_email: String,
    pub user_id: i64,
    pub tags: Vec<TagResponse>,
    pub is_public: bool,
    pub id: i64,
    pub uid: Option<String>,
    pub title: String,
    pub url: Option<String>,
    pub hashed_url: Option<String>,
    pub origin_url: Option<String>,
    pub given_url: Option<String>,
    pub hashed_given_url: Option<String>,
    pub archived_at: Option<String>,
    pub content: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
    pub published_by: Option<Vec<String>>,
    pub starred_at: Option<String>,
    /// Always an array: wallabag may say `null` for an entry created in the
    /// same request, which helps no client.
    pub annotations: Vec<AnnotationResponse>,
    pub mimetype: Option<String>,
    pub language: Option<String>,
    pub reading_time: i32,
    pub domain_name: Option<String>,
    pub preview_picture: Option<String>,
    pub http_status: Option<String>,
    /// The fetch's response headers, name to value; never `[]`.
    #[schema(value_type = Option<HashMap<String, String>>)]
    pub headers: Option<Value>,
    #[serde(rename = "_links")]
    pub links: SelfLink,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagResponse {
    pub id: i64,
    pub label: String,
    pub slug: String,
}

/// An annotation inside an entry: nulls kept, unlike the annotation
/// endpoints' own answers.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EntryAnnotationResponse)]
pub struct AnnotationResponse {
    pub user: Option<String>,
    pub annotator_schema_version: &'static str,
    pub id: i64,
    pub text: String,
    pub created_at: String,
    pub updated_at: String,
    pub quote: String,
    /// Range objects: `start`, `startOffset`, `end`, `endOffset`, as strings.
    #[schema(value_type = Vec<Object>)]
    pub ranges: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SelfLink {
    #[serde(rename = "self")]
    pub this: Href,
}

impl EntryResponse {
    /// The entry as its owner, `user`, sees it.
    pub fn new(entry: StoredEntry, user: &CurrentUser) -> Self {
        let StoredEntry {
            id,
            created_at,
            updated_at,
            record,
            tags,
            annotations,
        } = entry;
        let title = title_of(&record);
        let published_at = record.published_at.map(|at| {
            match record.published_offset.and_then(FixedOffset::east_opt) {
                Some(offset) => wire::date_in(at, offset),
                None => wire::date(at),
            }
        });
        let headers = record
            .headers
            .filter(|h| h.as_object().is_some_and(|map| !map.is_empty()));

        Self {
            is_archived: u8::from(record.is_archived),
            is_starred: u8::from(record.is_starred),
            user_name: user.username.clone(),
            user_email: user.email.clone(),
            user_id: user.id,
            tags: tags.into_iter().map(TagResponse::from).collect(),
            is_public: record.uid.is_some(),
            id,
            uid: record.uid,
            title,
            url: record.url,
            hashed_url: record.hashed_url,
            origin_url: record.origin_url,
            given_url: record.given_url,
            hashed_given_url: record.hashed_given_url,
            archived_at: record.archived_at.map(wire::date),
            content: record.content,
            created_at: wire::date(created_at),
            updated_at: wire::date(updated_at),
            published_at,
            published_by: record.published_by,
            starred_at: record.starred_at.map(wire::date),
            annotations: annotations
                .into_iter()
                .map(|a| AnnotationResponse::new(a, user))
                .collect(),
            mimetype: record.mimetype,
            language: record.language,
            reading_time: record.reading_time,
            domain_name: record.domain_name,
            preview_picture: record.preview_picture,
            http_status: record.http_status,
            headers,
            links: SelfLink {
                this: Href {
                    href: format!("/api/entries/{id}"),
                },
            },
        }
    }
}

/// The entry's title, or for an entry stored without one its URL's host: a
/// null title crashes at least one CLI (§11.10).
pub fn title_of(record: &EntryRecord) -> String {
    record
        .title
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| fallback_title(record.url.as_deref()))
}

fn fallback_title(url: Option<&str>) -> String {
    let Some(url) = url else {
        return String::new();
    };
    Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| url.to_owned())
}

impl From<Tag> for TagResponse {
    fn from(tag: Tag) -> Self {
        Self {
            id: tag.id,
            label: tag.label,
            slug: tag.slug,
        }
    }
}

impl AnnotationResponse {
    /// Annotations are made by the entry's owner, so `user` is the owner's
    /// display name.
    fn new(annotation: StoredAnnotation, owner: &CurrentUser) -> Self {
        Self {
            user: owner.name.clone(),
            annotator_schema_version: "v1.0",
            id: annotation.id,
            text: annotation.text,
            created_at: wire::date(annotation.created_at),
            updated_at: wire::date(annotation.updated_at),
            quote: annotation.quote,
            ranges: annotation.ranges,
        }
    }
}
