//! The `tags` and `entry_tags` tables, as the entry endpoints write them.
//!
//! Tags are rows per user (see the migration), so a label is looked up and
//! created within the caller's own tags only; what a client sees is the same
//! as wallabag's global rows restricted to the caller (wallabag-api.md §4.2).
//! Reading tags happens inside the entry queries (`store::entry`), which
//! aggregate them per entry.

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
