-- The wallabag API's data: entries, tags and annotations. Users live in
-- auth-server; `user_id` is the id its introspection answer gives, so there
-- is no foreign key to a users table here.

CREATE TABLE entries (
    id               BIGSERIAL PRIMARY KEY,
    user_id          BIGINT NOT NULL,
    -- Public-share id; NULL when the entry is not shared.
    uid              TEXT UNIQUE,
    title            TEXT,
    url              TEXT,
    -- sha1(urldecode(url)) and of given_url, hex: the upsert and exists keys.
    hashed_url       TEXT,
    origin_url       TEXT,
    given_url        TEXT,
    hashed_given_url TEXT,
    is_archived      BOOLEAN NOT NULL DEFAULT false,
    archived_at      TIMESTAMPTZ,
    is_starred       BOOLEAN NOT NULL DEFAULT false,
    starred_at       TIMESTAMPTZ,
    content          TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at     TIMESTAMPTZ,
    -- The UTC offset `published_at` was given with, in seconds, so it is
    -- echoed as sent.
    published_offset INTEGER,
    published_by     TEXT[],
    mimetype         TEXT,
    language         TEXT,
    reading_time     INTEGER NOT NULL DEFAULT 0,
    domain_name      TEXT,
    preview_picture  TEXT,
    http_status      TEXT,
    headers          JSONB,
    -- Fetching the content failed; filterable as `notParsed`.
    is_not_parsed    BOOLEAN NOT NULL DEFAULT false
);

-- Every query is scoped to one user; these serve the list orders and the
-- URL lookups.
CREATE INDEX entries_user_id ON entries (user_id, id);
CREATE INDEX entries_user_updated ON entries (user_id, updated_at);
CREATE INDEX entries_user_archived ON entries (user_id, archived_at);
CREATE INDEX entries_user_hashed_url ON entries (user_id, hashed_url);
CREATE INDEX entries_user_hashed_given_url ON entries (user_id, hashed_given_url);

-- Tags are kept per user: what a client sees of wallabag's global tags is
-- only ever the caller's own, so per-user rows give the same answers
-- without any chance of one user touching another's.
CREATE TABLE tags (
    id      BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    label   TEXT NOT NULL,
    slug    TEXT NOT NULL,
    UNIQUE (user_id, label),
    UNIQUE (user_id, slug)
);

CREATE TABLE entry_tags (
    entry_id BIGINT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    tag_id   BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (entry_id, tag_id)
);
CREATE INDEX entry_tags_tag ON entry_tags (tag_id);

CREATE TABLE annotations (
    id         BIGSERIAL PRIMARY KEY,
    entry_id   BIGINT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL,
    text       TEXT NOT NULL DEFAULT '',
    quote      TEXT NOT NULL DEFAULT '',
    ranges     JSONB NOT NULL DEFAULT '[]',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX annotations_entry ON annotations (entry_id);
