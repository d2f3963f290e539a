//! The `tags` and `entry_tags` tables: creating tags and linking them to
//! entries, the tag list, and unlinking and deleting tags.
//!
//! Tags are rows per user (see the migration), so a label is looked up and
//! created within the caller's own tags only; what a client sees is the same
//! as wallabag's global rows restricted to the caller (wallabag-api.md §4.2).
//! A full entry's tags are read inside the entry queries (`store::entry`),
//! which aggregate them per entry; changing an entry's `updated_at` when its
//! tags change is `store::entry`'s business too.

use deadpool_postgres::GenericClient;
use serde::Deserialize;

use super::StoreError;

/// A tag as it appears inside an entry.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Tag {
    pub id: i64,
    pub label: String,
    pub slug: String,
}

/// Labels as wallabag stores them: trimmed, lower-cased (not only ASCII),
/// empties skipped, each once, in the order given.
pub fn normalize_labels<I, S>(raw: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut labels: Vec<String> = Vec::new();
    for label in raw {
        let label = label.as_ref().to_lowercase().trim().to_owned();
        if !label.is_empty() && !labels.contains(&label) {
            labels.push(label);
        }
    }
    labels
}

/// `t:` and a URL slug of the label: `long read` → `t:long-read`. Letters
/// outside ASCII are kept (lower-cased) rather than transliterated, which
/// wallabag does and we have no table for; the slug stays unique either way.
pub fn slugify(label: &str) -> String {
    let mut slug = String::with_capacity(label.len());
    let mut dash = false;
    for c in label.chars() {
        if c.is_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.extend(c.to_lowercase());
        } else {
            dash = true;
        }
    }
    if slug.is_empty() {
        // A label of punctuation only still needs a slug.
        slug.push_str("tag");
    }
    format!("t:{slug}")
}

/// The ids of the user's tags with these labels, creating the missing ones,
/// in the order of `labels`.
pub async fn ensure_tags<C: GenericClient>(
    client: &C,
    user_id: i64,
    labels: &[String],
) -> Result<Vec<i64>, StoreError> {
    if labels.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = client
        .prepare_cached("SELECT id, label FROM tags WHERE user_id = $1 AND label = ANY($2)")
        .await?;
    let found: Vec<(i64, String)> = client
        .query(&stmt, &[&user_id, &labels])
        .await?
        .iter()
        .map(|row| (row.get("id"), row.get("label")))
        .collect();

    let mut ids = Vec::with_capacity(labels.len());
    for label in labels {
        let id = match found.iter().find(|(_, l)| l == label) {
            Some((id, _)) => *id,
            None => create_tag(client, user_id, label).await?,
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Inserts one tag with the first free slug (`t:x`, `t:x-1`, `t:x-2`...).
/// Another request may create the same label or take the chosen slug at the
/// same moment: the insert then does nothing and we look again.
async fn create_tag<C: GenericClient>(
    client: &C,
    user_id: i64,
    label: &str,
) -> Result<i64, StoreError> {
    let base = slugify(label);
    let taken_stmt = client
        .prepare_cached(
            "SELECT slug FROM tags WHERE user_id = $1 AND (slug = $2 OR slug LIKE $3 ESCAPE '\\')",
        )
        .await?;
    let insert_stmt = client
        .prepare_cached(
            "INSERT INTO tags (user_id, label, slug) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .await?;
    let existing_stmt = client
        .prepare_cached("SELECT id FROM tags WHERE user_id = $1 AND label = $2")
        .await?;
    let pattern = format!("{}-%", escape_like(&base));

    loop {
        let taken: Vec<String> = client
            .query(&taken_stmt, &[&user_id, &base, &pattern])
            .await?
            .iter()
            .map(|row| row.get("slug"))
            .collect();
        let slug = free_slug(&base, &taken);
        if let Some(row) = client
            .query_opt(&insert_stmt, &[&user_id, &label, &slug])
            .await?
        {
            return Ok(row.get("id"));
        }
        if let Some(row) = client
            .query_opt(&existing_stmt, &[&user_id, &label])
            .await?
        {
            return Ok(row.get("id"));
        }
        // The slug was taken in between by another label: choose again.
    }
}

fn free_slug(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|s| s == base) {
        return base.to_owned();
    }
    (1_u64..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| base.to_owned())
}

fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Links the tags to the entry; links that exist already are kept. Returns
/// how many links were made.
pub async fn attach_tags<C: GenericClient>(
    client: &C,
    entry_id: i64,
    tag_ids: &[i64],
) -> Result<u64, StoreError> {
    if tag_ids.is_empty() {
        return Ok(0);
    }
    let stmt = client
        .prepare_cached(
            "INSERT INTO entry_tags (entry_id, tag_id) \
             SELECT $1, tag_id FROM unnest($2::BIGINT[]) AS wanted (tag_id) \
             ON CONFLICT DO NOTHING",
        )
        .await?;
    Ok(client.execute(&stmt, &[&entry_id, &tag_ids]).await?)
}

/// Makes these tags the entry's only ones. Returns whether anything changed.
pub async fn replace_tags<C: GenericClient>(
    client: &C,
    entry_id: i64,
    tag_ids: &[i64],
) -> Result<bool, StoreError> {
    let stmt = client
        .prepare_cached(
            "DELETE FROM entry_tags WHERE entry_id = $1 AND NOT (tag_id = ANY($2::BIGINT[]))",
        )
        .await?;
    let removed = client.execute(&stmt, &[&entry_id, &tag_ids]).await?;
    let added = attach_tags(client, entry_id, tag_ids).await?;
    Ok(removed + added > 0)
}

/// A tag with how many of the user's entries carry it (§5.21).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagCount {
    pub tag: Tag,
    pub entries: i64,
}

/// The tags of one of the user's entries, in the order full entries list
/// them; `None` when the user has no such entry. One query either way.
pub async fn entry_tags<C: GenericClient>(
    client: &C,
    user_id: i64,
    entry_id: i64,
) -> Result<Option<Vec<Tag>>, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT t.id, t.label, t.slug FROM entries e \
             LEFT JOIN entry_tags et ON et.entry_id = e.id \
             LEFT JOIN tags t ON t.id = et.tag_id \
             WHERE e.id = $1 AND e.user_id = $2 \
             ORDER BY t.id",
        )
        .await?;
    let rows = client.query(&stmt, &[&entry_id, &user_id]).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    // An entry without tags is one row of NULLs.
    let mut tags = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(id) = row.try_get::<_, Option<i64>>("id")? {
            tags.push(Tag {
                id,
                label: row.try_get("label")?,
                slug: row.try_get("slug")?,
            });
        }
    }
    Ok(Some(tags))
}

/// The user's tags that are on at least one of their entries, with the
/// count, sorted by label (§5.21).
pub async fn tags_in_use<C: GenericClient>(
    client: &C,
    user_id: i64,
) -> Result<Vec<TagCount>, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT t.id, t.label, t.slug, count(*) AS entries FROM tags t \
             JOIN entry_tags et ON et.tag_id = t.id \
             JOIN entries e ON e.id = et.entry_id AND e.user_id = t.user_id \
             WHERE t.user_id = $1 \
             GROUP BY t.id \
             ORDER BY t.label, t.id",
        )
        .await?;
    client
        .query(&stmt, &[&user_id])
        .await?
        .iter()
        .map(|row| {
            Ok(TagCount {
                tag: tag_from_row(row)?,
                entries: row.try_get("entries")?,
            })
        })
        .collect()
}

/// Whether the user has a tag with this id, in use or not.
pub async fn user_has_tag<C: GenericClient>(
    client: &C,
    user_id: i64,
    tag_id: i64,
) -> Result<bool, StoreError> {
    let stmt = client
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM tags WHERE id = $1 AND user_id = $2)")
        .await?;
    Ok(client.query_one(&stmt, &[&tag_id, &user_id]).await?.get(0))
}

/// Unlinks these tags from one entry; the tag rows stay. Returns how many
/// links went.
pub async fn detach_tags<C: GenericClient>(
    client: &C,
    entry_id: i64,
    tag_ids: &[i64],
) -> Result<u64, StoreError> {
    let stmt = client
        .prepare_cached("DELETE FROM entry_tags WHERE entry_id = $1 AND tag_id = ANY($2::BIGINT[])")
        .await?;
    Ok(client.execute(&stmt, &[&entry_id, &tag_ids]).await?)
}

/// The user's tags that are on at least one of their entries and have one
/// of these ids or one of these labels (matched exactly), ordered by slug
/// and locked until the transaction ends, so that two deletions of one tag
/// do not both report it.
pub async fn lock_tags_in_use(
    tx: &deadpool_postgres::Transaction<'_>,
    user_id: i64,
    ids: &[i64],
    labels: &[String],
) -> Result<Vec<Tag>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT t.id, t.label, t.slug FROM tags t \
             WHERE t.user_id = $1 \
               AND (t.id = ANY($2::BIGINT[]) OR t.label = ANY($3::TEXT[])) \
               AND EXISTS (SELECT 1 FROM entry_tags et JOIN entries e ON e.id = et.entry_id \
                           WHERE et.tag_id = t.id AND e.user_id = $1) \
             ORDER BY t.slug \
             FOR UPDATE OF t",
        )
        .await?;
    tx.query(&stmt, &[&user_id, &ids, &labels])
        .await?
        .iter()
        .map(tag_from_row)
        .collect()
}

/// Unlinks these tags from every entry of the user. Returns the entries
/// that lost a tag, each once.
pub async fn detach_from_all_entries<C: GenericClient>(
    client: &C,
    user_id: i64,
    tag_ids: &[i64],
) -> Result<Vec<i64>, StoreError> {
    let stmt = client
        .prepare_cached(
            "DELETE FROM entry_tags et USING entries e \
             WHERE e.id = et.entry_id AND e.user_id = $1 AND et.tag_id = ANY($2::BIGINT[]) \
             RETURNING et.entry_id",
        )
        .await?;
    let rows = client.query(&stmt, &[&user_id, &tag_ids]).await?;
    Ok(distinct_ids(rows.iter().map(|row| row.get("entry_id"))))
}

/// Deletes those of these tags of the user that no entry carries any more.
/// Returns the ids deleted.
pub async fn delete_orphans<C: GenericClient>(
    client: &C,
    user_id: i64,
    tag_ids: &[i64],
) -> Result<Vec<i64>, StoreError> {
    let stmt = client
        .prepare_cached(
            "DELETE FROM tags t \
             WHERE t.user_id = $1 AND t.id = ANY($2::BIGINT[]) \
               AND NOT EXISTS (SELECT 1 FROM entry_tags et WHERE et.tag_id = t.id) \
             RETURNING t.id",
        )
        .await?;
    let rows = client.query(&stmt, &[&user_id, &tag_ids]).await?;
    Ok(rows.iter().map(|row| row.get("id")).collect())
}

/// Makes each (entry, tag) link; links that exist are kept. Returns the
/// entries that gained a tag, each once.
pub async fn attach_pairs<C: GenericClient>(
    client: &C,
    pairs: &[(i64, i64)],
) -> Result<Vec<i64>, StoreError> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let (entry_ids, tag_ids): (Vec<i64>, Vec<i64>) = pairs.iter().copied().unzip();
    let stmt = client
        .prepare_cached(
            "INSERT INTO entry_tags (entry_id, tag_id) \
             SELECT entry_id, tag_id \
             FROM unnest($1::BIGINT[], $2::BIGINT[]) AS wanted (entry_id, tag_id) \
             ON CONFLICT DO NOTHING \
             RETURNING entry_id",
        )
        .await?;
    let rows = client.query(&stmt, &[&entry_ids, &tag_ids]).await?;
    Ok(distinct_ids(rows.iter().map(|row| row.get("entry_id"))))
}

/// Unlinks, from each entry, the user's tag with that exact label; labels
/// that name no tag are skipped (§5.20). Returns the entries that lost a
/// tag, each once.
pub async fn detach_labels<C: GenericClient>(
    client: &C,
    user_id: i64,
    pairs: &[(i64, String)],
) -> Result<Vec<i64>, StoreError> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let (entry_ids, labels): (Vec<i64>, Vec<String>) = pairs.iter().cloned().unzip();
    let stmt = client
        .prepare_cached(
            "DELETE FROM entry_tags et \
             USING tags t, unnest($2::BIGINT[], $3::TEXT[]) AS unwanted (entry_id, label) \
             WHERE t.id = et.tag_id AND t.user_id = $1 AND t.label = unwanted.label \
               AND et.entry_id = unwanted.entry_id \
             RETURNING et.entry_id",
        )
        .await?;
    let rows = client
        .query(&stmt, &[&user_id, &entry_ids, &labels])
        .await?;
    Ok(distinct_ids(rows.iter().map(|row| row.get("entry_id"))))
}

fn tag_from_row(row: &tokio_postgres::Row) -> Result<Tag, StoreError> {
    Ok(Tag {
        id: row.try_get("id")?,
        label: row.try_get("label")?,
        slug: row.try_get("slug")?,
    })
}

fn distinct_ids(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_trimmed_lower_cased_and_deduplicated() {
        assert_eq!(
            normalize_labels([" Google", "apple ", "", "  ", "GOOGLE", "Émile"]),
            ["google", "apple", "émile"]
        );
    }

    #[test]
    fn slugs_are_prefixed_and_dashed() {
        assert_eq!(slugify("long read"), "t:long-read");
        assert_eq!(slugify("new tag 1"), "t:new-tag-1");
        assert_eq!(slugify("  foo--bar!! "), "t:foo-bar");
        assert_eq!(slugify("c++"), "t:c");
        assert_eq!(slugify("!!!"), "t:tag");
        assert_eq!(slugify("Émile"), "t:émile");
    }

    #[test]
    fn colliding_slugs_get_a_numeric_suffix() {
        let taken = ["t:a".to_owned(), "t:a-1".to_owned(), "t:a-3".to_owned()];
        assert_eq!(free_slug("t:a", &taken), "t:a-2");
        assert_eq!(free_slug("t:b", &taken), "t:b");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like("t:a_b%c\\"), "t:a\\_b\\%c\\\\");
    }
}
