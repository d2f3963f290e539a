-- The authorization server's schema: users, API clients, and every token.
-- Secrets are never stored: tokens, codes and client secrets as SHA-256
-- digests, passwords as Argon2id PHC strings.

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL,
    email         TEXT NOT NULL,
    name          TEXT,
    password_hash TEXT NOT NULL,
    disabled_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Log-in matches usernames and e-mail addresses case-insensitively, so
-- uniqueness is on the lower-cased forms too.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE clients (
    id             BIGSERIAL PRIMARY KEY,
    -- The public identifier, shaped like wallabag's: "<id>_<random>".
    client_id      TEXT NOT NULL UNIQUE,
    -- SHA-256 of the secret; NULL for a public client that holds none.
    secret_hash    BYTEA,
    name           TEXT NOT NULL,
    grants         TEXT[] NOT NULL,
    redirect_uris  TEXT[] NOT NULL DEFAULT '{}',
    -- A resource server allowed to call the introspection endpoint.
    can_introspect BOOLEAN NOT NULL DEFAULT false,
    owner_id       BIGINT REFERENCES users (id) ON DELETE CASCADE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A family is the chain of refresh tokens rotated from one grant, and the
-- access tokens they issued; reuse of a rotated refresh token revokes it all.
CREATE SEQUENCE token_families;

CREATE TABLE refresh_tokens (
    token_hash BYTEA PRIMARY KEY,
    family_id  BIGINT NOT NULL,
    client_id  TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    -- Set when rotated; a second use of the token is a reuse.
    used_at    TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE access_tokens (
    token_hash BYTEA PRIMARY KEY,
    -- NULL for a client-credentials token, which has no refresh token.
    family_id  BIGINT,
    client_id  TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    -- NULL for a client-credentials token, which acts for no user.
    user_id    BIGINT REFERENCES users (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX access_tokens_family ON access_tokens (family_id) WHERE family_id IS NOT NULL;
CREATE INDEX access_tokens_user ON access_tokens (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);

-- Authorization codes for the authorization-code grant. `extensions` keeps
-- what oxide-auth attaches to a grant (the PKCE challenge); `family_id`
-- records what the code issued, so a replayed code can revoke it.
CREATE TABLE authorization_codes (
    code_hash    BYTEA PRIMARY KEY,
    client_id    TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scope        TEXT NOT NULL DEFAULT '',
    extensions   JSONB NOT NULL DEFAULT '{}',
    family_id    BIGINT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ
);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);
