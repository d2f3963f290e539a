//! The `entries` table: the filtered list, single reads with their tags and
//! annotations aggregated in, and the writes of the entry endpoints
//! (wallabag-api.md §4.1, §5.6–§5.13).
//!
//! Every statement is scoped by `user_id`, so another user's entry is simply
//! not found. Reads fold each entry's tags and annotations in with
//! subqueries, so a page of entries is one query. How request fields change
//! an entry is decided in `http::entry_changes`; this module only stores the
//! result.

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use serde::Deserialize;
use sha1::{Digest, Sha1};
use tokio_postgres::Row;
use tokio_postgres::types::{Json, ToSql};

use super::StoreError;
use super::tag::Tag;

/// The stored fields of an entry that requests change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EntryRecord {
    pub uid: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    pub hashed_url: Option<String>,
    pub origin_url: Option<String>,
    pub given_url: Option<String>,
    pub hashed_given_url: Option<String>,
    pub is_archived: bool,
    pub archived_at: Option<DateTime<Utc>>,
    pub is_starred: bool,
    pub starred_at: Option<DateTime<Utc>>,
    pub content: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// Seconds east of UTC that `published_at` was given in, to echo it so.
    pub published_offset: Option<i32>,
    pub published_by: Option<Vec<String>>,
    pub mimetype: Option<String>,
    pub language: Option<String>,
    pub reading_time: i32,
    pub domain_name: Option<String>,
    pub preview_picture: Option<String>,
    pub http_status: Option<String>,
    /// A JSON object of strings, or NULL; never an empty object or array.
    pub headers: Option<serde_json::Value>,
    pub is_not_parsed: bool,
}

impl EntryRecord {
    /// A new entry for a submitted URL: it is both the URL and the given URL
    /// until a fetch says otherwise.
    pub fn for_url(url: &str) -> Self {
        let mut record = Self::default();
        record.set_url(url);
        record.set_given_url(url);
        record
    }

    /// Sets `url` and its lookup hash together.
    pub fn set_url(&mut self, url: &str) {
        self.hashed_url = Some(hash_url(url));
        self.url = Some(url.to_owned());
    }

    /// Sets `given_url` and its lookup hash together.
    pub fn set_given_url(&mut self, url: &str) {
        self.hashed_given_url = Some(hash_url(url));
        self.given_url = Some(url.to_owned());
    }
}

/// An entry as read back, with its tags and annotations.
#[derive(Clone, Debug)]
pub struct StoredEntry {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub record: EntryRecord,
    pub tags: Vec<Tag>,
    pub annotations: Vec<StoredAnnotation>,
}

/// An annotation as it appears inside an entry.
#[derive(Clone, Debug, Deserialize)]
pub struct StoredAnnotation {
    pub id: i64,
    pub text: String,
    pub quote: String,
    pub ranges: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The list filters of `GET /api/entries` (§5.7); `None` means no filter.
#[derive(Clone, Debug, Default)]
pub struct EntryFilter {
    pub archived: Option<bool>,
    pub starred: Option<bool>,
    pub public: Option<bool>,
    pub not_parsed: Option<bool>,
    pub annotated: Option<bool>,
    pub updated_since: Option<DateTime<Utc>>,
    pub domain_name: Option<String>,
    pub http_status: Option<String>,
    /// The entry must carry every one of these labels, matched exactly.
    pub tags: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Created,
    Updated,
    Archived,
    /// An unknown `sort`: wallabag then adds no ORDER BY at all. We order by
    /// id ascending, the order such a query gives in practice, so that pages
    /// do not overlap.
    Unordered,
}

#[derive(Clone, Copy, Debug)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

/// `sha1(urldecode(url))` in hex: wallabag's key for finding an entry by
/// URL.
pub fn hash_url(url: &str) -> String {
    format!("{:x}", Sha1::digest(urldecode(url)))
}

/// PHP's `urldecode`: `+` becomes a space and every valid `%XX` its byte;
/// malformed escapes stay as they are. The result need not be UTF-8.
pub fn urldecode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes[i] {
            b'%' => bytes
                .get(i + 1)
                .and_then(|&b| hex(b))
                .zip(bytes.get(i + 2).and_then(|&b| hex(b))),
            _ => None,
        };
        match (bytes[i], escaped) {
            (_, Some((high, low))) => {
                decoded.push(high << 4 | low);
                i += 3;
                continue;
            }
            (b'+', None) => decoded.push(b' '),
            (byte, None) => decoded.push(byte),
        }
        i += 1;
    }
    decoded
}

fn hex(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// The entry columns every read returns; `content` and the aggregates are
/// added by `select_entries`.
const ENTRY_COLUMNS: &str = "e.id, e.created_at, e.updated_at, e.uid, e.title, e.url, \
    e.hashed_url, e.origin_url, e.given_url, e.hashed_given_url, e.is_archived, e.archived_at, \
    e.is_starred, e.starred_at, e.published_at, e.published_offset, e.published_by, e.mimetype, \
    e.language, e.reading_time, e.domain_name, e.preview_picture, e.http_status, e.headers, \
    e.is_not_parsed";

/// A SELECT of full entries from `entries e`: the columns, the content only
/// when the parameter numbered `with_content` is true (`detail=metadata`
/// leaves it out), and each entry's tags and annotations as JSON arrays.
pub(super) fn select_entries(with_content: u8) -> String {
    format!(
        "SELECT {ENTRY_COLUMNS}, \
             CASE WHEN ${with_content}::BOOLEAN THEN e.content END AS content, \
             COALESCE((SELECT json_agg(json_build_object('id', t.id, 'label', t.label, \
                                                         'slug', t.slug) ORDER BY t.id) \
                       FROM entry_tags et JOIN tags t ON t.id = et.tag_id \
                       WHERE et.entry_id = e.id), '[]'::JSON) AS tags, \
             COALESCE((SELECT json_agg(json_build_object('id', a.id, 'text', a.text, \
                                                         'quote', a.quote, 'ranges', a.ranges, \
                                                         'created_at', a.created_at, \
                                                         'updated_at', a.updated_at) \
                                       ORDER BY a.id) \
                       FROM annotations a \
                       WHERE a.entry_id = e.id), '[]'::JSON) AS annotations \
         FROM entries e"
    )
}

/// The list filters, over parameters $1 to $10 (see `filter_params`). A
/// NULL parameter disables its filter.
const LIST_WHERE: &str = "WHERE e.user_id = $1 \
      AND ($2::BOOLEAN IS NULL OR e.is_archived = $2) \
      AND ($3::BOOLEAN IS NULL OR e.is_starred = $3) \
      AND ($4::BOOLEAN IS NULL OR (e.uid IS NOT NULL) = $4) \
      AND ($5::BOOLEAN IS NULL OR e.is_not_parsed = $5) \
      AND ($6::BOOLEAN IS NULL \
           OR EXISTS (SELECT 1 FROM annotations a WHERE a.entry_id = e.id) = $6) \
      AND ($7::TIMESTAMPTZ IS NULL OR e.updated_at > $7) \
      AND ($8::TEXT IS NULL OR e.domain_name = $8) \
      AND ($9::TEXT IS NULL OR e.http_status = $9) \
      AND (cardinality($10::TEXT[]) = 0 OR NOT EXISTS ( \
          SELECT 1 FROM unnest($10::TEXT[]) AS wanted (label) \
          WHERE NOT EXISTS ( \
              SELECT 1 FROM entry_tags et JOIN tags t ON t.id = et.tag_id \
              WHERE et.entry_id = e.id AND t.label = wanted.label)))";

fn filter_params<'a>(user_id: &'a i64, filter: &'a EntryFilter) -> Vec<&'a (dyn ToSql + Sync)> {
    vec![
        user_id,
        &filter.archived,
        &filter.starred,
        &filter.public,
        &filter.not_parsed,
        &filter.annotated,
        &filter.updated_since,
        &filter.domain_name,
        &filter.http_status,
        &filter.tags,
    ]
}

/// ORDER BY for each sort. Ties break on id so that pages never overlap.
/// NULL `archived_at` sorts as the smallest value, as on MySQL and SQLite,
/// so that `sort=archived&order=desc` starts with archived entries.
fn order_by(sort: Sort) -> &'static str {
    match (sort.key, sort.descending) {
        (SortKey::Created, false) | (SortKey::Unordered, _) => "e.id ASC",
        (SortKey::Created, true) => "e.id DESC",
        (SortKey::Updated, false) => "e.updated_at ASC, e.id ASC",
        (SortKey::Updated, true) => "e.updated_at DESC, e.id DESC",
        (SortKey::Archived, false) => "e.archived_at ASC NULLS FIRST, e.id ASC",
        (SortKey::Archived, true) => "e.archived_at DESC NULLS LAST, e.id DESC",
    }
}

#[derive(Clone)]
pub struct EntryStore {
    pool: Pool,
}

impl EntryStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// How many of the user's entries pass the filter.
    pub async fn count(&self, user_id: i64, filter: &EntryFilter) -> Result<i64, StoreError> {
        let sql = format!("SELECT count(*) FROM entries e {LIST_WHERE}");
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(&sql).await?;
        let row = conn
            .query_one(&stmt, &filter_params(&user_id, filter))
            .await?;
        Ok(row.get(0))
    }

    /// One page of the user's entries that pass the filter: one query, tags
    /// and annotations included. The page's ids are picked first, so that
    /// tags, annotations and content are built for its rows only, not for
    /// every row an OFFSET skips.
    pub async fn page(
        &self,
        user_id: i64,
        filter: &EntryFilter,
        sort: Sort,
        with_content: bool,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let order = order_by(sort);
        let sql = format!(
            "WITH page AS ( \
                 SELECT e.id FROM entries e {LIST_WHERE} ORDER BY {order} LIMIT $12 OFFSET $13) \
             {} WHERE e.id IN (SELECT id FROM page) ORDER BY {order}",
            select_entries(11),
        );
        let mut params = filter_params(&user_id, filter);
        params.extend_from_slice(&[&with_content, &limit, &offset]);
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(&sql).await?;
        let rows = conn.query(&stmt, &params).await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// One of the user's entries.
    pub async fn find(
        &self,
        user_id: i64,
        id: i64,
        with_content: bool,
    ) -> Result<Option<StoredEntry>, StoreError> {
        let conn = self.pool.get().await?;
        find_entry(&conn, user_id, id, with_content).await
    }

    /// The user's entry whose URL or given URL has this hash (§5.10), with
    /// its id.
    pub async fn find_by_url_hash(
        &self,
        user_id: i64,
        hash: &str,
    ) -> Result<Option<(i64, EntryRecord)>, StoreError> {
        let conn = self.pool.get().await?;
        find_record_by_url_hash(&conn, user_id, hash).await
    }

    /// The stored fields of one of the user's entries, without locking it.
    pub async fn find_record(
        &self,
        user_id: i64,
        id: i64,
    ) -> Result<Option<EntryRecord>, StoreError> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS}, e.content FROM entries e WHERE e.id = $1 AND e.user_id = $2"
        );
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(&sql).await?;
        let row = conn.query_opt(&stmt, &[&id, &user_id]).await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// For `exists` (§5.6): the user's entries whose URL or given URL has one
    /// of these hashes, as (id, hashed_url, hashed_given_url), oldest first.
    pub async fn match_url_hashes(
        &self,
        user_id: i64,
        hashes: &[String],
    ) -> Result<Vec<(i64, Option<String>, Option<String>)>, StoreError> {
        let conn = self.pool.get().await?;
        let stmt = conn
            .prepare_cached(
                "SELECT id, hashed_url, hashed_given_url FROM entries \
                 WHERE user_id = $1 AND (hashed_url = ANY($2) OR hashed_given_url = ANY($2)) \
                 ORDER BY id",
            )
            .await?;
        let rows = conn.query(&stmt, &[&user_id, &hashes]).await?;
        Ok(rows
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2)))
            .collect())
    }
}

/// One of the user's entries, read through any client or transaction.
pub async fn find_entry<C: GenericClient>(
    client: &C,
    user_id: i64,
    id: i64,
    with_content: bool,
) -> Result<Option<StoredEntry>, StoreError> {
    let sql = format!("{} WHERE e.id = $1 AND e.user_id = $2", select_entries(3));
    let stmt = client.prepare_cached(&sql).await?;
    let row = client
        .query_opt(&stmt, &[&id, &user_id, &with_content])
        .await?;
    row.as_ref().map(entry_from_row).transpose()
}

/// The user's entry with this URL hash: a match on `hashed_url` wins over
/// one on `hashed_given_url`, as wallabag looks them up in that order.
pub async fn find_record_by_url_hash<C: GenericClient>(
    client: &C,
    user_id: i64,
    hash: &str,
) -> Result<Option<(i64, EntryRecord)>, StoreError> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS}, e.content FROM entries e \
         WHERE e.user_id = $1 AND (e.hashed_url = $2 OR e.hashed_given_url = $2) \
         ORDER BY (e.hashed_url = $2) DESC, e.id LIMIT 1"
    );
    let stmt = client.prepare_cached(&sql).await?;
    let row = client.query_opt(&stmt, &[&user_id, &hash]).await?;
    row.map(|row| Ok((row.try_get("id")?, record_from_row(&row)?)))
        .transpose()
}

/// Serialises saves of one URL by one user until the transaction ends, so
/// that two requests posting the same URL at once make one entry, not two.
pub async fn lock_url(
    tx: &deadpool_postgres::Transaction<'_>,
    user_id: i64,
    hash: &str,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1)")
        .await?;
    tx.execute(&stmt, &[&url_lock_key(user_id, hash)]).await?;
    Ok(())
}

/// The advisory-lock key of one URL of one user.
pub(super) fn url_lock_key(user_id: i64, hash: &str) -> i64 {
    let key = format!("{user_id}:{hash}");
    let digest = Sha1::digest(key.as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// The stored fields of one of the user's entries, locked until the
/// transaction ends.
pub async fn lock_record(
    tx: &deadpool_postgres::Transaction<'_>,
    user_id: i64,
    id: i64,
) -> Result<Option<EntryRecord>, StoreError> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS}, e.content FROM entries e \
         WHERE e.id = $1 AND e.user_id = $2 FOR UPDATE"
    );
    let stmt = tx.prepare_cached(&sql).await?;
    let row = tx.query_opt(&stmt, &[&id, &user_id]).await?;
    row.as_ref().map(record_from_row).transpose()
}

const WRITE_COLUMNS: &str = "uid, title, url, hashed_url, origin_url, given_url, \
    hashed_given_url, is_archived, archived_at, is_starred, starred_at, content, published_at, \
    published_offset, published_by, mimetype, language, reading_time, domain_name, \
    preview_picture, http_status, headers, is_not_parsed";

fn record_params(record: &EntryRecord) -> [&(dyn ToSql + Sync); 23] {
    [
        &record.uid,
        &record.title,
        &record.url,
        &record.hashed_url,
        &record.origin_url,
        &record.given_url,
        &record.hashed_given_url,
        &record.is_archived,
        &record.archived_at,
        &record.is_starred,
        &record.starred_at,
        &record.content,
        &record.published_at,
        &record.published_offset,
        &record.published_by,
        &record.mimetype,
        &record.language,
        &record.reading_time,
        &record.domain_name,
        &record.preview_picture,
        &record.http_status,
        &record.headers,
        &record.is_not_parsed,
    ]
}

/// Stores a new entry created at `now`; returns its id.
pub async fn insert_entry(
    tx: &deadpool_postgres::Transaction<'_>,
    user_id: i64,
    record: &EntryRecord,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let sql = format!(
        "INSERT INTO entries (user_id, created_at, updated_at, {WRITE_COLUMNS}) \
         VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19, $20, $21, $22, $23, $24, $25) \
         RETURNING id"
    );
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&user_id, &now];
    params.extend_from_slice(&record_params(record));
    let stmt = tx.prepare_cached(&sql).await?;
    let row = tx.query_one(&stmt, &params).await?;
    Ok(row.get(0))
}

/// Rewrites one of the user's entries, updated at `now`.
pub async fn update_entry(
    tx: &deadpool_postgres::Transaction<'_>,
    user_id: i64,
    id: i64,
    record: &EntryRecord,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql = "UPDATE entries SET updated_at = $3, uid = $4, title = $5, url = $6, \
                   hashed_url = $7, origin_url = $8, given_url = $9, hashed_given_url = $10, \
                   is_archived = $11, archived_at = $12, is_starred = $13, starred_at = $14, \
                   content = $15, published_at = $16, published_offset = $17, \
                   published_by = $18, mimetype = $19, language = $20, reading_time = $21, \
                   domain_name = $22, preview_picture = $23, http_status = $24, headers = $25, \
                   is_not_parsed = $26 \
               WHERE id = $1 AND user_id = $2";
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&id, &user_id, &now];
    params.extend_from_slice(&record_params(record));
    let stmt = tx.prepare_cached(sql).await?;
    tx.execute(&stmt, &params).await?;
    Ok(())
}

/// Deletes one of the user's entries, with its tag links and annotations
/// (the foreign keys cascade). Returns whether it existed.
pub async fn delete_entry(
    tx: &deadpool_postgres::Transaction<'_>,
    user_id: i64,
    id: i64,
) -> Result<bool, StoreError> {
    let stmt = tx
        .prepare_cached("DELETE FROM entries WHERE id = $1 AND user_id = $2")
        .await?;
    Ok(tx.execute(&stmt, &[&id, &user_id]).await? > 0)
}

fn record_from_row(row: &Row) -> Result<EntryRecord, StoreError> {
    Ok(EntryRecord {
        uid: row.try_get("uid")?,
        title: row.try_get("title")?,
        url: row.try_get("url")?,
        hashed_url: row.try_get("hashed_url")?,
        origin_url: row.try_get("origin_url")?,
        given_url: row.try_get("given_url")?,
        hashed_given_url: row.try_get("hashed_given_url")?,
        is_archived: row.try_get("is_archived")?,
        archived_at: row.try_get("archived_at")?,
        is_starred: row.try_get("is_starred")?,
        starred_at: row.try_get("starred_at")?,
        content: row.try_get("content")?,
        published_at: row.try_get("published_at")?,
        published_offset: row.try_get("published_offset")?,
        published_by: row.try_get("published_by")?,
        mimetype: row.try_get("mimetype")?,
        language: row.try_get("language")?,
        reading_time: row.try_get("reading_time")?,
        domain_name: row.try_get("domain_name")?,
        preview_picture: row.try_get("preview_picture")?,
        http_status: row.try_get("http_status")?,
        headers: row.try_get("headers")?,
        is_not_parsed: row.try_get("is_not_parsed")?,
    })
}

pub(super) fn entry_from_row(row: &Row) -> Result<StoredEntry, StoreError> {
    let Json(tags): Json<Vec<Tag>> = row.try_get("tags")?;
    let Json(annotations): Json<Vec<StoredAnnotation>> = row.try_get("annotations")?;
    Ok(StoredEntry {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        record: record_from_row(row)?,
        tags,
        annotations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hashes_decode_like_php_urldecode_first() {
        // sha1("abc")
        let abc = "a9993e364706816aba3e25717850c26c9cd0d89d";
        assert_eq!(hash_url("abc"), abc);
        assert_eq!(hash_url("%61b%63"), abc);
        assert_eq!(
            hash_url("http%3A%2F%2F0.0.0.0%2Fentry2"),
            hash_url("http://0.0.0.0/entry2")
        );
        assert_eq!(hash_url("a+b"), hash_url("a b"));
        assert_eq!(hash_url("a%20b"), hash_url("a b"));
        // Malformed escapes stay as they are.
        assert_eq!(hash_url("100%"), format!("{:x}", Sha1::digest(b"100%")));
        assert_eq!(hash_url("%zz%4"), format!("{:x}", Sha1::digest(b"%zz%4")));
    }
}
