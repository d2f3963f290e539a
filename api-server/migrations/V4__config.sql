-- Per-user reading settings, as wallabag's `GET /api/config` shows them.
-- A row is created with wallabag's defaults the first time a user asks.
-- Settings wallabag leaves unset (feed token and limit, font, sizes) are
-- NULL and omitted from the answer.

CREATE TABLE user_configs (
    id                  BIGSERIAL PRIMARY KEY,
    user_id             BIGINT NOT NULL UNIQUE,
    items_per_page      INTEGER NOT NULL DEFAULT 12,
    language            TEXT NOT NULL DEFAULT 'en',
    feed_token          TEXT,
    feed_limit          INTEGER,
    reading_speed       DOUBLE PRECISION NOT NULL DEFAULT 200.0,
    action_mark_as_read INTEGER NOT NULL DEFAULT 0,
    list_mode           INTEGER NOT NULL DEFAULT 0,
    display_thumbnails  INTEGER NOT NULL DEFAULT 1,
    font                TEXT,
    fontsize            DOUBLE PRECISION,
    line_height         DOUBLE PRECISION,
    max_width           DOUBLE PRECISION
);
