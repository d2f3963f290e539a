#!/usr/bin/env bash
# Run once by the official postgres image, when its data volume is new
# (mounted into /docker-entrypoint-initdb.d): makes the two databases, each
# owned by a role of its own, so that api-server, the one that fetches
# arbitrary URLs, can never read auth-server's users and tokens.
#
# The role passwords come from AUTH_DB_PASSWORD and API_DB_PASSWORD. Since
# this runs only on a new volume, changing them later means ALTER ROLE by
# hand (or a new volume).
set -euo pipefail

: "${AUTH_DB_PASSWORD:?set AUTH_DB_PASSWORD}"
: "${API_DB_PASSWORD:?set API_DB_PASSWORD}"

# psql variables with :'...' quote the passwords as literals and the
# names as identifiers, so no value can break out of the statement.
psql -v ON_ERROR_STOP=1 -X -q --username "$POSTGRES_USER" --dbname postgres \
    -v auth_password="$AUTH_DB_PASSWORD" -v api_password="$API_DB_PASSWORD" <<'SQL'
CREATE ROLE auth LOGIN PASSWORD :'auth_password';
CREATE ROLE api LOGIN PASSWORD :'api_password';
CREATE DATABASE auth OWNER auth;
CREATE DATABASE api OWNER api;
-- By default every role may connect to every database; keep each server in
-- its own.
REVOKE CONNECT, TEMPORARY ON DATABASE auth FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE api FROM PUBLIC;
SQL
