-- Signed-in browser sessions for the web pages (sign in, consent, developer
-- page). The cookie carries a random id; only its SHA-256 is stored, so a
-- leaked table opens no session. `csrf_token` is the synchronizer token every
-- form of the session must echo.
CREATE TABLE web_sessions (
    id_hash    BYTEA PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);

-- Failed sign-ins counted per account ("account:<lower login>") and per
-- client address ("address:<ip>") in a fixed window; shared by every
-- replica, so throttling holds however many auth-servers run.
CREATE TABLE sign_in_failures (
    key               TEXT PRIMARY KEY,
    failures          INTEGER NOT NULL,
    window_started_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_window ON sign_in_failures (window_started_at);
