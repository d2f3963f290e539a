//! The `entries` table several rows at a time, for the batch endpoints
//! (wallabag-api.md §5.17–§5.20) and for tag changes that reach many
//! entries: lookups of many URLs, locks, bulk deletion and `updated_at`
//! bumps. Every statement is scoped by `user_id`, like those of
//! `store::entry`, which keeps the single-entry reads and writes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

use super::StoreError;
use super::entry::url_lock_key;

/// `lock_url` for several URLs at once. The locks are taken in one fixed
/// order, so that two batches sharing URLs cannot deadlock; taking one of
/// them again later in the transaction is free.
pub async fn lock_urls(
    tx: &deadpool_postgres::Transaction<'_>,
    user_id: i64,
    hashes: &[String],
) -> Result<(), StoreError> {
    let mut keys: Vec<i64> = hashes.iter().map(|h| url_lock_key(user_id, h)).collect();
    keys.sort_unstable();
    keys.dedup();
    // Postgres runs a volatile function of the select list after the
    // sort, so the locks are taken in the order of the sorted keys.
    let stmt = tx
        .prepare_cached(
            "SELECT pg_advisory_xact_lock(wanted.key) \
             FROM unnest($1::BIGINT[]) WITH ORDINALITY AS wanted (key, n) \
             ORDER BY wanted.n",
        )
        .await?;
    tx.execute(&stmt, &[&keys]).await?;
    Ok(())
}

/// The id of the user's entry for each of these URL hashes that has one,
/// chosen as `store::entry::find_record_by_url_hash` chooses.
pub async fn find_ids_by_url_hashes<C: GenericClient>(
    client: &C,
    user_id: i64,
    hashes: &[String],
) -> Result<HashMap<String, i64>, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT DISTINCT ON (wanted.hash) wanted.hash, e.id \
             FROM unnest($2::TEXT[]) AS wanted (hash) \
             JOIN entries e ON e.user_id = $1 \
                 AND (e.hashed_url = wanted.hash OR e.hashed_given_url = wanted.hash) \
             ORDER BY wanted.hash, (e.hashed_url = wanted.hash) DESC NULLS LAST, e.id",
        )
        .await?;
    let rows = client.query(&stmt, &[&user_id, &hashes]).await?;
    rows.iter()
        .map(|row| Ok((row.try_get("hash")?, row.try_get("id")?)))
        .collect()
}

/// Locks those of these entries that the user has, until the transaction
/// ends; returns their ids.
pub async fn lock_entries(
    tx: &deadpool_postgres::Transaction<'_>,
    user_id: i64,
    ids: &[i64],
) -> Result<Vec<i64>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT id FROM entries WHERE user_id = $1 AND id = ANY($2::BIGINT[]) \
             ORDER BY id FOR UPDATE",
        )
        .await?;
    let rows = tx.query(&stmt, &[&user_id, &ids]).await?;
    Ok(rows.iter().map(|row| row.get("id")).collect())
}

/// Deletes those of these entries that the user has, with their tag links
/// and annotations; returns the ids deleted.
pub async fn delete_entries<C: GenericClient>(
    client: &C,
    user_id: i64,
    ids: &[i64],
) -> Result<Vec<i64>, StoreError> {
    let stmt = client
        .prepare_cached(
            "DELETE FROM entries WHERE user_id = $1 AND id = ANY($2::BIGINT[]) RETURNING id",
        )
        .await?;
    let rows = client.query(&stmt, &[&user_id, &ids]).await?;
    Ok(rows.iter().map(|row| row.get("id")).collect())
}

/// Marks these entries of the user as updated at `now`: their tags
/// changed, which wallabag counts as a change of the entry.
pub async fn touch_entries<C: GenericClient>(
    client: &C,
    user_id: i64,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let stmt = client
        .prepare_cached(
            "UPDATE entries SET updated_at = $3 WHERE user_id = $1 AND id = ANY($2::BIGINT[])",
        )
        .await?;
    client.execute(&stmt, &[&user_id, &ids, &now]).await?;
    Ok(())
}
