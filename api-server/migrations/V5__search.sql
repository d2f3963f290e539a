-- Indexes for GET /api/search (wallabag-api.md §5.26): a case-insensitive
-- substring match, `lower(column) LIKE lower('%term%')`, over an entry's
-- title, content and URL and its annotations' text, within one user's
-- entries, newest first.
--
-- Substrings need trigram indexes (pg_trgm). btree_gin lets `user_id` sit
-- in the same GIN index, so one index scan intersects "this user's rows"
-- with "rows holding these trigrams": a term common across all users costs
-- only the caller's matches, not everyone's. Both extensions ship with
-- PostgreSQL (Debian's postgresql package, the official image) and are
-- trusted, so the database owner may create them.
--
-- The indexes are built without CONCURRENTLY, as migrations run in a
-- transaction: on a large existing table, writes to `entries` wait for the
-- build.
--
-- GIN's fastupdate stays on: a saved article's thousand-odd trigrams go to
-- a pending list (about 1 ms) instead of into the index (about 20 ms), and
-- autovacuum merges the list. Until it does, searches read the list too,
-- and the planner may prefer finding the caller's rows by `user_id`: still
-- an index, bounded by one user's entries.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- The expressions must stay exactly those of the search SQL in
-- src/store/search.rs, or the planner cannot use them.
CREATE INDEX entries_search_title ON entries USING GIN (user_id, lower(title) gin_trgm_ops);
CREATE INDEX entries_search_content ON entries USING GIN (user_id, lower(content) gin_trgm_ops);
CREATE INDEX entries_search_url ON entries USING GIN (user_id, lower(url) gin_trgm_ops);
CREATE INDEX annotations_search_text ON annotations USING GIN (user_id, lower(text) gin_trgm_ops);

-- Search results come newest first (by created_at, then id); this serves
-- the search without a term, and pages of ids without touching the rows.
CREATE INDEX entries_user_created ON entries (user_id, created_at DESC, id DESC);
