//! The search of `GET /api/search` (wallabag-api.md §5.26): the caller's
//! entries whose title, content or URL, or one of whose annotations,
//! contains the term, case-insensitively, newest first.
//!
//! As in wallabag the term goes into `LIKE '%term%'` unescaped, so `%` and
//! `_` in it are wildcards and `\` escapes. One statement finds the matches,
//! counts them and reads a page, always through an index (migration V2),
//! never by scanning the table:
//! - a term with a trigram in it is looked up in the GIN trigram indexes,
//!   which hold `user_id` too, so only the caller's matches are read;
//! - a term without one (`ab`, `é`, `a.b`) cannot use them, and is checked
//!   against each of the caller's rows, found by `user_id`: bounded by the
//!   size of one library, not of the table;
//! - no term lists the caller's entries through `(user_id, created_at)`.
//!
//! A page is found as ids first and only then read in full, so deep pages
//! do not build the JSON of every entry they skip. The entry columns and
//! aggregates are `store::entry`'s. `deploy/bench-search.sh` shows the
//! plans on a library of 100,000 entries.

use deadpool_postgres::Pool;
use tokio_postgres::types::ToSql;

use super::StoreError;
use super::entry::{StoredEntry, entry_from_row, select_entries};

/// How a search runs, decided from its term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchPlan {
    /// No term, or an empty one: every entry of the user.
    All,
    /// `%term%` with a trigram to look up in the indexes.
    Indexed(String),
    /// `%term%` without one: each of the user's rows is checked.
    Scanned(String),
}

impl SearchPlan {
    pub fn for_term(term: Option<&str>) -> Self {
        match term {
            None | Some("") => Self::All,
            Some(term) if has_trigram(term) => Self::Indexed(format!("%{term}%")),
            Some(term) => Self::Scanned(format!("%{term}%")),
        }
    }

    /// The LIKE pattern, when there is a term.
    pub fn pattern(&self) -> Option<&str> {
        match self {
            Self::All => None,
            Self::Indexed(pattern) | Self::Scanned(pattern) => Some(pattern),
        }
    }

    /// The one statement of a search: a page of matching entries, newest
    /// first, each row a full entry plus `total`, the number of all the
    /// matches. Counting in the same statement finds the matches once, not
    /// twice, and count and page cannot disagree. Parameters: `$1` the user
    /// id, `$2` the pattern unless the plan is `All`, then the limit, the
    /// offset, and whether to include the content.
    pub fn sql(&self) -> String {
        let (matched, total, page, next) = match self {
            Self::All => (
                String::new(),
                "SELECT count(*) FROM entries WHERE user_id = $1",
                "SELECT e.id FROM entries e WHERE e.user_id = $1 \
                 ORDER BY e.created_at DESC, e.id DESC LIMIT $2 OFFSET $3",
                4,
            ),
            _ => (
                format!("{}, ", self.matched()),
                "SELECT count(*) FROM matched",
                "SELECT id FROM matched ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
                5,
            ),
        };
        // The page's ids first, then those entries in full: a deep page
        // does not build the JSON of the rows it skips. `user_id` again so
        // that the full read is scoped on its own.
        format!(
            "WITH {matched}page AS ({page}) \
             SELECT ({total}) AS total, found.* \
             FROM ({} WHERE e.user_id = $1 AND e.id IN (SELECT id FROM page)) AS found \
             ORDER BY found.created_at DESC, found.id DESC",
            select_entries(next)
        )
    }

    /// `matched`: the (id, created_at) of every matching entry of `$1`,
    /// which the count and the page both read. Returning `created_at` lets
    /// the page be sorted without a join, which keeps a generic plan (used
    /// once a statement has run a few times) from guessing a nested loop
    /// over all the matches.
    fn matched(&self) -> String {
        // `lower(column) LIKE lower($2)` is exactly the indexed expression.
        // For a term without trigrams the same test is written as ILIKE,
        // which folds case the same way (through lower()) but matches no
        // index: a trigram index would then read every entry of the
        // column, everyone's, where `user_id` alone reads the caller's.
        //
        // An annotation's entry is found by primary key alone: annotations
        // carry their entry owner's `user_id` (`store::annotation` creates
        // them so), and a `user_id` condition on the entry here would let
        // a generic plan, which takes every user for an average one, pick
        // the (user_id, created_at, id) index and walk all of a big
        // library's rows for each annotation. The page read below checks
        // `user_id` on every entry it returns.
        let [title, content, url, text] = match self {
            Self::Indexed(_) => [
                "lower(e.title) LIKE lower($2)",
                "lower(e.content) LIKE lower($2)",
                "lower(e.url) LIKE lower($2)",
                "lower(a.text) LIKE lower($2)",
            ],
            _ => [
                "e.title ILIKE $2",
                "e.content ILIKE $2",
                "e.url ILIKE $2",
                "a.text ILIKE $2",
            ],
        };
        format!(
            "matched AS ( \
                 SELECT e.id, e.created_at FROM entries e \
                 WHERE e.user_id = $1 AND ({title} OR {content} OR {url}) \
                 UNION \
                 SELECT e.id, e.created_at \
                 FROM annotations a JOIN entries e ON e.id = a.entry_id \
                 WHERE a.user_id = $1 AND {text})"
        )
    }
}

/// Whether pg_trgm can draw a trigram from `%term%` in any database: it
/// takes trigrams from runs of word characters between wildcards, and three
/// ASCII letters or digits in a row are such a run under every locale.
/// Other letters are word characters only under some locales, so a term of
/// those alone is scanned: the answer is the same, only slower. An escaped
/// character (`\x`) also breaks the run, which only errs on that same side.
pub fn has_trigram(term: &str) -> bool {
    let mut run = 0;
    for c in term.chars() {
        run = if c.is_ascii_alphanumeric() {
            run + 1
        } else {
            0
        };
        if run == 3 {
            return true;
        }
    }
    false
}

#[derive(Clone)]
pub struct SearchStore {
    pool: Pool,
}

impl SearchStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// One page of the user's matching entries, newest first, with their
    /// content, tags and annotations, and the number of all the matches:
    /// one query.
    pub async fn find(
        &self,
        user_id: i64,
        plan: &SearchPlan,
        limit: i64,
        offset: i64,
    ) -> Result<SearchPage, StoreError> {
        // Search has no `detail`: the content always comes.
        let with_content = true;
        let pattern = plan.pattern();
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&user_id];
        if let Some(pattern) = &pattern {
            params.push(pattern);
        }
        params.extend_from_slice(&[&limit, &offset, &with_content]);
        let conn = self.pool.get().await?;
        let stmt = conn.prepare_cached(&plan.sql()).await?;
        let rows = conn.query(&stmt, &params).await?;
        Ok(SearchPage {
            total: rows.first().map(|row| row.try_get("total")).transpose()?,
            entries: rows.iter().map(entry_from_row).collect::<Result<_, _>>()?,
        })
    }
}

/// A page of search results.
#[derive(Debug)]
pub struct SearchPage {
    /// How many entries match in all; unknown when the page is empty.
    pub total: Option<i64>,
    pub entries: Vec<StoredEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_with_three_ascii_word_characters_in_a_row_use_the_indexes() {
        assert!(has_trigram("rust"));
        assert!(has_trigram("a rust b"));
        assert!(has_trigram("x%abc_"));
        assert!(has_trigram("C++ 2024"));
        assert!(!has_trigram("ab"));
        assert!(!has_trigram("a.b.c"));
        assert!(!has_trigram("ab%cd"));
        assert!(!has_trigram("ab\\c"));
        assert!(!has_trigram("été"));
        assert!(!has_trigram(""));
    }

    #[test]
    fn plans_follow_the_term() {
        assert_eq!(SearchPlan::for_term(None), SearchPlan::All);
        assert_eq!(SearchPlan::for_term(Some("")), SearchPlan::All);
        assert_eq!(
            SearchPlan::for_term(Some("Rust")),
            SearchPlan::Indexed("%Rust%".to_owned())
        );
        // Wildcards pass through, as in wallabag.
        assert_eq!(SearchPlan::for_term(Some("a_b")).pattern(), Some("%a_b%"));
        assert!(matches!(
            SearchPlan::for_term(Some("a_b")),
            SearchPlan::Scanned(_)
        ));
    }

    #[test]
    fn statements_number_their_parameters_in_order() {
        let all = SearchPlan::All.sql();
        assert!(all.contains("LIMIT $2 OFFSET $3") && all.contains("$4::BOOLEAN"));
        let indexed = SearchPlan::for_term(Some("rust")).sql();
        assert!(indexed.contains("LIMIT $3 OFFSET $4") && indexed.contains("$5::BOOLEAN"));
        assert!(indexed.contains("lower(e.content) LIKE lower($2)"));
        let scanned = SearchPlan::for_term(Some("ab")).sql();
        assert!(scanned.contains("e.content ILIKE $2") && !scanned.contains("LIKE lower"));
    }
}
