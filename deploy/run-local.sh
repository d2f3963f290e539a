#!/usr/bin/env bash
# Run the whole service locally, with demo data, and show how to talk to it:
# auth-server on 127.0.0.1:8081, api-server on 127.0.0.1:8082, and the
# gateway (nginx) serving both on http://127.0.0.1:8080, the one base URL
# wallabag clients know.
#
#   deploy/run-local.sh
#
# Without DATABASE_URL it keeps a private PostgreSQL cluster in .pgdata/
# (port 54329, or PG_PORT) that survives between runs, with databases `auth`
# and `api`; with DATABASE_URL it uses that database for auth-server, and
# API_DATABASE_URL (default: the same database) for api-server, and starts no
# PostgreSQL. The demo user and clients are
# created once and remembered in demo.env beside the cluster (.demo.env in
# the checkout when DATABASE_URL is given).
#
# Ctrl-C stops the server and the private PostgreSQL.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# Plain shellcheck does not follow sourced files (SC1091); `shellcheck -x` does.
# shellcheck source-path=SCRIPTDIR source=lib/postgres.sh disable=SC1091
source "$ROOT/deploy/lib/postgres.sh"
# shellcheck source=lib/common.sh disable=SC1091
source "$ROOT/deploy/lib/common.sh"

AUTH_ADDR=127.0.0.1:8081
AUTH_URL=http://$AUTH_ADDR
API_ADDR=127.0.0.1:8082
API_URL=http://$API_ADDR
GATEWAY_ADDR=127.0.0.1:8080
GATEWAY_URL=http://$GATEWAY_ADDR
BIN=$ROOT/target/debug

PG_AREA=""         # set when we use our own PostgreSQL cluster
PG_STARTED=0       # 1 once this run started it (so only then we stop it)
SERVICE_PIDS=()    # background services, in start order
SERVICE_NAMES=()

# Stop services newest first (so nothing loses its upstream mid-request),
# then the database. Runs on every exit, including Ctrl-C.
# shellcheck disable=SC2317 # only called through the trap
cleanup() {
    set +e
    local i pid
    for ((i = ${#SERVICE_PIDS[@]} - 1; i >= 0; i--)); do
        pid=${SERVICE_PIDS[i]}
        kill -0 "$pid" 2>/dev/null || continue
        say "stopping ${SERVICE_NAMES[i]}"
        kill -TERM "$pid" 2>/dev/null
        # Give it time to drain, but do not hang on a stuck process.
        for _ in {1..100}; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [[ $PG_STARTED == 1 ]]; then
        say "stopping PostgreSQL"
        pg_stop "$PG_AREA"
    fi
    for dir in "${RUN_DIRS[@]}"; do
        rm -rf "$dir"
    done
}
trap cleanup EXIT
# Turn signals into a normal exit so the EXIT trap does the cleanup.
trap 'exit 130' INT
trap 'exit 143' TERM

# Where the demo credentials are remembered; tied to the database they were
# created in.
demo_env_file() {
    if [[ -n $PG_AREA ]]; then
        printf '%s/demo.env\n' "$PG_AREA"
    else
        printf '%s/.demo.env\n' "$ROOT"
    fi
}

start_postgres() {
    if [[ -n ${DATABASE_URL:-} ]]; then
        say "using the database in DATABASE_URL"
        # The servers keep apart tables (and migration histories), so one
        # database can hold both.
        export API_DATABASE_URL=${API_DATABASE_URL:-$DATABASE_URL}
        return
    fi
    local port=${PG_PORT:-54329} admin_url
    pg_ensure_binaries
    PG_AREA=$(pg_area_for "$ROOT/.pgdata")
    pg_init "$PG_AREA"
    if [[ $PG_CREATED == 1 ]]; then
        # A new cluster has none of the demo data an old file would describe.
        rm -f "$PG_AREA/demo.env"
        say "created a PostgreSQL cluster in $PG_AREA"
    fi
    say "starting PostgreSQL on 127.0.0.1:$port"
    pg_start "$PG_AREA" "$port"
    PG_STARTED=1
    admin_url=$(pg_admin_url "$PG_AREA" "$port")
    pg_create_db "$admin_url" auth
    pg_create_db "$admin_url" api
    export DATABASE_URL=${admin_url%/postgres}/auth
    export API_DATABASE_URL=${admin_url%/postgres}/api
}

build() {
    say "building auth-server and api-server"
    cargo build -p auth-server -p api-server
}

migrate() {
    say "migrating the databases"
    "$BIN/auth-server" migrate
    DATABASE_URL=$API_DATABASE_URL "$BIN/api-server" migrate
}

# Create the demo user and clients once; later runs reuse the file.
ensure_demo_data() {
    local file password app_json api_json
    file=$(demo_env_file)
    if [[ -f $file ]]; then
        # shellcheck source=/dev/null
        source "$file"
        # The private cluster's file comes and goes with the cluster; a given
        # DATABASE_URL may point somewhere else than last time.
        if [[ -n $PG_AREA || ${DEMO_DATABASE:-} == "$DATABASE_URL" ]]; then
            # Files from before the browser flow lack its client.
            if [[ -z ${DEMO_PUBLIC_CLIENT_ID:-} ]]; then
                DEMO_PUBLIC_CLIENT_ID=$(create_public_demo_client)
                printf 'DEMO_PUBLIC_CLIENT_ID=%q\n' "$DEMO_PUBLIC_CLIENT_ID" >>"$file"
            fi
            return
        fi
        say "$file was made for another database; creating demo data in this one"
    fi

    say "creating the demo user and clients"
    # RUST_LOG=warn: each admin command would otherwise log its migration
    # check, burying the walkthrough.
    password=$(random_secret)
    printf '%s\n' "$password" |
        RUST_LOG=warn "$BIN/auth-server" user create demo --email demo@example.com --name "Demo User" --password-stdin --json >/dev/null ||
        die "could not create user 'demo': left from an earlier run whose $file was lost? Use another database, or delete that user"
    app_json=$(RUST_LOG=warn "$BIN/auth-server" client create --name "Demo app" --grant password --grant refresh_token --json)
    api_json=$(RUST_LOG=warn "$BIN/auth-server" client create --name "api-server" --introspect --register --json)
    DEMO_PUBLIC_CLIENT_ID=$(create_public_demo_client)

    DEMO_USERNAME=demo
    DEMO_PASSWORD=$password
    DEMO_CLIENT_ID=$(json_field client_id <<<"$app_json")
    DEMO_CLIENT_SECRET=$(json_field client_secret <<<"$app_json")
    API_CLIENT_ID=$(json_field client_id <<<"$api_json")
    API_CLIENT_SECRET=$(json_field client_secret <<<"$api_json")
    # Written last and whole, so a failed run leaves no half file behind.
    (
        umask 077
        {
            printf '# Demo data in the database below; delete this file to make new demo data.\n'
            printf 'DEMO_DATABASE=%q\n' "$DATABASE_URL"
            printf 'DEMO_USERNAME=%q\nDEMO_PASSWORD=%q\n' "$DEMO_USERNAME" "$DEMO_PASSWORD"
            printf 'DEMO_CLIENT_ID=%q\nDEMO_CLIENT_SECRET=%q\n' "$DEMO_CLIENT_ID" "$DEMO_CLIENT_SECRET"
            printf 'DEMO_PUBLIC_CLIENT_ID=%q\n' "$DEMO_PUBLIC_CLIENT_ID"
            printf 'API_CLIENT_ID=%q\nAPI_CLIENT_SECRET=%q\n' "$API_CLIENT_ID" "$API_CLIENT_SECRET"
        } >"$file.tmp"
        mv "$file.tmp" "$file"
    )
}

# A public client for the walkthrough's browser flow (authorization code
# with PKCE); prints its id.
create_public_demo_client() {
    RUST_LOG=warn "$BIN/auth-server" client create --name "Demo browser app" --public \
        --grant authorization_code --grant refresh_token \
        --redirect-uri http://127.0.0.1/callback --json | json_field client_id
}

# Start one service in the background, its output on our terminal, and wait
# until its readiness URL answers. Usage: start_service NAME READY_URL CMD...
start_service() {
    local name=$1 ready_url=$2 pid status
    shift 2
    say "starting $name"
    "$@" &
    pid=$!
    SERVICE_PIDS+=("$pid")
    SERVICE_NAMES+=("$name")
    for _ in {1..300}; do
        curl -fsS --max-time 2 -o /dev/null "$ready_url" 2>/dev/null && return
        if ! kill -0 "$pid" 2>/dev/null; then
            status=0
            wait "$pid" || status=$?
            die "$name exited with status $status before it was ready (its output is above)"
        fi
        sleep 0.1
    done
    die "$name did not answer $ready_url within 30 s (its output is above)"
}

start_auth_server() {
    start_service auth-server "$AUTH_URL/readyz" \
        env LISTEN_ADDR="$AUTH_ADDR" PUBLIC_URL="$GATEWAY_URL" TRUST_FORWARDED_FOR=true \
        "$BIN/auth-server" serve
}

# api-server checks tokens at auth-server as the demo's resource-server client.
start_api_server() {
    start_service api-server "$API_URL/readyz" \
        env DATABASE_URL="$API_DATABASE_URL" LISTEN_ADDR="$API_ADDR" \
        AUTH_SERVER_URL="$AUTH_URL" \
        INTROSPECTION_CLIENT_ID="$API_CLIENT_ID" \
        INTROSPECTION_CLIENT_SECRET="$API_CLIENT_SECRET" \
        "$BIN/api-server" serve
}

# nginx routes /oauth/ to auth-server and /api/ to api-server on one port.
start_gateway() {
    local nginx rundir conf
    nginx=$(command -v nginx || true)
    if [[ -z $nginx && -x /usr/sbin/nginx ]]; then
        nginx=/usr/sbin/nginx
    fi
    if [[ -z $nginx ]]; then
        pg_is_root || die "nginx is missing; install Debian's nginx-light package"
        say "installing nginx"
        apt-get install -y -qq nginx-light >/dev/null ||
            { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; } ||
            die "could not install nginx"
        nginx=/usr/sbin/nginx
    fi
    rundir=$(mktemp -d)
    RUN_DIRS+=("$rundir")
    conf=$rundir/nginx.conf
    sed -e "s|@RUNDIR@|$rundir|g" -e "s|@LISTEN@|$GATEWAY_ADDR|g" \
        -e "s|@AUTH_UPSTREAM@|$AUTH_ADDR|g" -e "s|@API_UPSTREAM@|$API_ADDR|g" \
        "$ROOT/deploy/gateway/nginx.conf.template" >"$conf"
    start_service gateway "$GATEWAY_URL/api/version" "$nginx" -p "$rundir" -c "$conf"
}

# Quote a value for pasting into a shell (unchanged when it needs nothing).
q() {
    printf '%q' "$1"
}

print_walkthrough() {
    local token_url=$GATEWAY_URL/oauth/v2/token introspect_url=$AUTH_URL/oauth/v2/introspect
    local entries_url=$GATEWAY_URL/api/entries.json
    # Registered without a port: a loopback redirect URI takes any.
    local callback=http://127.0.0.1:9999/callback
    local app_id app_secret api_id user pass
    app_id=$(q "client_id=$DEMO_CLIENT_ID")
    app_secret=$(q "client_secret=$DEMO_CLIENT_SECRET")
    api_id=$(q "$API_CLIENT_ID:$API_CLIENT_SECRET")
    user=$(q "username=$DEMO_USERNAME")
    pass=$(q "password=$DEMO_PASSWORD")
    local pick='python3 -c '\''import sys,json;print(json.load(sys.stdin)["access_token"])'\'

    cat <<EOF

The service is ready at $GATEWAY_URL (wallabag clients: use this as the
server URL). Behind it: auth-server $AUTH_URL, api-server $API_URL.

Demo user         $DEMO_USERNAME / $DEMO_PASSWORD
Demo app client   id $DEMO_CLIENT_ID
                  secret $DEMO_CLIENT_SECRET
Demo public app   id $DEMO_PUBLIC_CLIENT_ID     (no secret; PKCE, step f)
api-server client id $API_CLIENT_ID     (may introspect tokens)
                  secret $API_CLIENT_SECRET
(kept in $(demo_env_file))
$([[ -n $PG_AREA ]] && printf 'Databases         %s\n                  %s\n' "$DATABASE_URL" "$API_DATABASE_URL")

a. Get tokens with the password grant (answer: access_token, expires_in,
   token_type, scope, refresh_token):

   http POST $token_url grant_type=password $app_id $app_secret $user $pass

   curl -s $token_url -d grant_type=password -d $app_id -d $app_secret -d $user -d $pass

b. Keep the access token in a shell variable, and call the API with it:

   TOKEN=\$(curl -s $token_url -d grant_type=password -d $app_id -d $app_secret -d $user -d $pass | $pick)

   http $entries_url "Authorization:Bearer \$TOKEN"

   curl -s -H "Authorization: Bearer \$TOKEN" $entries_url

c. Save an entry (with its content given, nothing is fetched):

   http POST $entries_url "Authorization:Bearer \$TOKEN" url=https://example.org/hello title=Hello "content=<p>Hi there</p>" tags=demo,first

   curl -s -H "Authorization: Bearer \$TOKEN" $entries_url -d url=https://example.org/hello -d title=Hello -d "content=<p>Hi there</p>" -d tags=demo,first

d. What api-server asks auth-server about the token (introspection):

   curl -s -u $api_id $introspect_url -d "token=\$TOKEN"

e. In a browser: sign in at $GATEWAY_URL/ as $DEMO_USERNAME, and create
   your own API clients at $GATEWAY_URL/developer (the secret is shown
   right after creation only).

f. An app without a secret (authorization code with PKCE). Make a verifier
   and its challenge, open the link, sign in and press Allow:

   VERIFIER=\$(python3 -c 'import secrets;print(secrets.token_urlsafe(48))')
   CHALLENGE=\$(printf %s "\$VERIFIER" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
   echo "$GATEWAY_URL/oauth/v2/auth?response_type=code&client_id=$DEMO_PUBLIC_CLIENT_ID&redirect_uri=$callback&state=xyz&code_challenge=\$CHALLENGE&code_challenge_method=S256"

   The browser then goes to $callback?code=...&state=xyz&iss=...
   (nothing listens there: copy the code from the address bar), and:

   curl -s $token_url -d grant_type=authorization_code -d client_id=$DEMO_PUBLIC_CLIENT_ID -d redirect_uri=$callback -d code=CODE -d code_verifier=\$VERIFIER

Press Ctrl-C to stop.

EOF
}

main() {
    start_postgres
    build
    migrate
    ensure_demo_data
    start_auth_server
    start_api_server
    start_gateway
    print_walkthrough
    # Stay in the foreground until a service exits (or Ctrl-C); the EXIT
    # trap then stops the rest.
    local status=0
    wait -n "${SERVICE_PIDS[@]}" || status=$?
    say "a service exited with status $status"
    exit "$status"
}

main "$@"
