#!/usr/bin/env bash
# Benchmark both servers' main routes with wrk and print a table of numbers.
# Not a test: it only measures, and it is not run by CI.
#
# auth-server: a trivial route next to client-credentials, password, refresh
# and introspection (alone, and beside a burst of log-ins). api-server: a
# trivial route next to an authenticated GET /api/entries/{id} whose token
# check is a cache hit.
#
#   deploy/bench.sh
#
# Settings (environment):
#   BENCH_SECONDS      length of each wrk run (default 10)
#   BENCH_CONNECTIONS  open connections, split over 2 wrk threads (default 32)
#   BENCH_ROUNDS       repeat the whole set, to take medians (default 1)
#   BENCH_TIMEOUT      wrk's per-request timeout (default 10s, so slow
#                      password hashing shows as latency, not as errors)
#   DATABASE_URL       use this database instead of a throwaway cluster
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# Plain shellcheck does not follow sourced files (SC1091); `shellcheck -x` does.
# shellcheck source-path=SCRIPTDIR source=lib/postgres.sh disable=SC1091
source "$ROOT/deploy/lib/postgres.sh"
# shellcheck source=lib/common.sh disable=SC1091
source "$ROOT/deploy/lib/common.sh"

DURATION=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
ROUNDS=${BENCH_ROUNDS:-1}
TIMEOUT=${BENCH_TIMEOUT:-10s}
THREADS=2
BIN=$ROOT/target/release/auth-server
API_BIN=$ROOT/target/release/api-server
API_PID=""
LUA=$ROOT/deploy/bench

WORK=""
PG_AREA=""
SERVER_PID=""

# Runs on every exit: server, then database, then temporary files.
# shellcheck disable=SC2317 # only called through the trap
cleanup() {
    set +e
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        for _ in {1..100}; do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    if [[ -n $API_PID ]] && kill -0 "$API_PID" 2>/dev/null; then
        kill -TERM "$API_PID"
        wait "$API_PID" 2>/dev/null
    fi
    if [[ -n $PG_AREA ]]; then
        pg_stop "$PG_AREA"
        rm -rf "$PG_AREA"
    fi
    [[ -n $WORK ]] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

check_settings() {
    local name
    for name in DURATION CONNECTIONS ROUNDS; do
        [[ ${!name} =~ ^[1-9][0-9]*$ ]] || die "$name must be a positive whole number (got '${!name}')"
    done
    ((CONNECTIONS >= THREADS)) || die "BENCH_CONNECTIONS must be at least $THREADS"
}

ensure_wrk() {
    command -v wrk >/dev/null || pg_apt_install wrk
}

start_postgres() {
    if [[ -n ${DATABASE_URL:-} ]]; then
        say "using the database in DATABASE_URL"
        return
    fi
    local port admin_url
    pg_ensure_binaries
    PG_AREA=$(pg_temp_area)
    pg_init "$PG_AREA"
    port=$(pg_free_port)
    say "starting a throwaway PostgreSQL on 127.0.0.1:$port"
    # Same settings as the local run's cluster (fsync on): measure the
    # server as it would run, not a database that skips its disk writes.
    pg_start "$PG_AREA" "$port"
    admin_url=$(pg_admin_url "$PG_AREA" "$port")
    pg_create_db "$admin_url" auth
    export DATABASE_URL=${admin_url%/postgres}/auth
}

# api-server beside auth-server, in the same database (their tables do not
# overlap), checking tokens as the bench's introspection client.
start_api_server() {
    local port
    port=$(pg_free_port)
    API_URL=http://127.0.0.1:$port
    say "starting api-server on $API_URL"
    DATABASE_URL=$DATABASE_URL "$API_BIN" migrate >/dev/null 2>&1
    RUST_LOG=warn LISTEN_ADDR=127.0.0.1:$port AUTH_SERVER_URL=$BASE_URL \
        INTROSPECTION_CLIENT_ID=$INTROSPECT_ID INTROSPECTION_CLIENT_SECRET=$INTROSPECT_SECRET \
        "$API_BIN" serve >"$WORK/api-server.log" 2>&1 &
    API_PID=$!
    for _ in {1..300}; do
        curl -fsS --max-time 2 -o /dev/null "$API_URL/readyz" 2>/dev/null && return
        sleep 0.1
    done
    cat "$WORK/api-server.log" >&2
    die "api-server did not answer $API_URL/readyz within 30 s"
}

# One saved entry to read back, with its content given so nothing is fetched.
create_entry() {
    local token=$1
    curl -fsS "$API_URL/api/entries.json" -H "Authorization: Bearer $token" \
        --data-urlencode url=https://example.org/bench \
        --data-urlencode title="Bench entry" \
        --data-urlencode "content=<p>$(printf 'word %.0s' {1..300})</p>" \
        --data-urlencode tags=bench,read | json_field id
}

run_api_round() {
    local round=$1 token=$2 entry=$3
    local saved_base=$BASE_URL
    BASE_URL=$API_URL
    run_scenario "$round" api_healthz /healthz get.lua
    run_scenario "$round" api_get_entry "/api/entries/$entry.json" get.lua \
        BENCH_AUTH="Bearer $token"
    BASE_URL=$saved_base
}

start_server() {
    local port
    port=$(pg_free_port)
    BASE_URL=http://127.0.0.1:$port
    say "starting auth-server on $BASE_URL"
    RUST_LOG=warn LISTEN_ADDR=127.0.0.1:$port PUBLIC_URL=$BASE_URL \
        "$BIN" serve >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in {1..300}; do
        curl -fsS --max-time 2 -o /dev/null "$BASE_URL/readyz" 2>/dev/null && return
        server_alive
        sleep 0.1
    done
    cat "$WORK/server.log" >&2
    die "auth-server did not answer $BASE_URL/readyz within 30 s"
}

server_alive() {
    kill -0 "$SERVER_PID" 2>/dev/null && return
    cat "$WORK/server.log" >&2
    die "auth-server exited (its log is above)"
}

# A user and two clients of our own; the user name is unique so a given
# DATABASE_URL can be benchmarked repeatedly.
create_accounts() {
    local app introspector
    say "creating the bench user and clients"
    USERNAME=bench-$(random_secret)
    PASSWORD=$(random_secret)
    printf '%s\n' "$PASSWORD" |
        "$BIN" user create "$USERNAME" --email "$USERNAME@example.com" --password-stdin --json >/dev/null
    app=$("$BIN" client create --name "bench app" \
        --grant password --grant refresh_token --grant client_credentials --json)
    introspector=$("$BIN" client create --name "bench introspection" --introspect --json)
    CLIENT_ID=$(json_field client_id <<<"$app")
    CLIENT_SECRET=$(json_field client_secret <<<"$app")
    INTROSPECT_ID=$(json_field client_id <<<"$introspector")
    INTROSPECT_SECRET=$(json_field client_secret <<<"$introspector")
    INTROSPECT_AUTH="Basic $(printf '%s:%s' "$INTROSPECT_ID" "$INTROSPECT_SECRET" | base64 -w0)"
}

# One password grant; prints the named field of the answer.
password_grant() {
    curl -fsS "$BASE_URL/oauth/v2/token" --data-binary "$PASSWORD_BODY" |
        json_field "$1"
}

# Run one wrk scenario and append its numbers to the results.
# Usage: run_scenario ROUND NAME PATH SCRIPT [NAME=VALUE for the script...]
run_scenario() {
    local round=$1 name=$2 path=$3 script=$4 out result
    shift 4
    out=$WORK/wrk-$round-$name.txt
    say "round $round: $name (${DURATION}s, $CONNECTIONS connections)"
    if ! env "$@" wrk --threads "$THREADS" --connections "$CONNECTIONS" --duration "${DURATION}s" \
        --timeout "$TIMEOUT" --script "$LUA/$script" "$BASE_URL$path" >"$out" 2>&1; then
        cat "$out" >&2
        die "wrk failed for $name"
    fi
    result=$(grep '^RESULT ' "$out") || {
        cat "$out" >&2
        die "no RESULT line from wrk for $name"
    }
    printf '%s %s %s\n' "$round" "$name" "${result#RESULT }" >>"$WORK/results.txt"
    server_alive
}

# Fresh refresh tokens for one round: a used one can never be sent again.
# Twice the connections, at least 64, so that every connection has one even
# after a few failed answers.
seed_refresh_tokens() {
    local file=$1 count=$((CONNECTIONS * 2 > 64 ? CONNECTIONS * 2 : 64)) i
    say "getting $count refresh tokens"
    : >"$file"
    for ((i = 0; i < count; i++)); do
        password_grant refresh_token >>"$file"
    done
}

run_round() {
    local round=$1 token seeds=$WORK/refresh-tokens-$1.txt

    run_scenario "$round" healthz /healthz get.lua
    run_scenario "$round" client_credentials /oauth/v2/token form_post.lua \
        BENCH_BODY="$(form grant_type client_credentials client_id "$CLIENT_ID" client_secret "$CLIENT_SECRET")"
    run_scenario "$round" password /oauth/v2/token form_post.lua BENCH_BODY="$PASSWORD_BODY"

    token=$(password_grant access_token)
    run_scenario "$round" introspect /oauth/v2/introspect form_post.lua \
        BENCH_BODY="$(form token "$token")" BENCH_AUTH="$INTROSPECT_AUTH"

    # The same introspection load while a burst of log-ins hashes passwords
    # beside it: Argon2 runs off the executor with bounded concurrency, so
    # this should stay close to the line above.
    BENCH_BODY="$PASSWORD_BODY" wrk --threads 1 --connections 8 --duration "$((DURATION + 1))s" \
        --timeout "$TIMEOUT" --script "$LUA/form_post.lua" "$BASE_URL/oauth/v2/token" \
        >"$WORK/wrk-$round-background-logins.txt" 2>&1 &
    local logins=$!
    run_scenario "$round" introspect_with_logins /oauth/v2/introspect form_post.lua \
        BENCH_BODY="$(form token "$token")" BENCH_AUTH="$INTROSPECT_AUTH"
    wait "$logins" || die "the background log-in load failed"

    seed_refresh_tokens "$seeds"
    run_scenario "$round" refresh /oauth/v2/token refresh.lua \
        BENCH_BODY="$(form grant_type refresh_token client_id "$CLIENT_ID" client_secret "$CLIENT_SECRET")" \
        BENCH_TOKENS="$seeds" BENCH_THREADS="$THREADS"
}

# The table of every run, then medians per scenario when there are rounds.
print_results() {
    python3 - "$WORK/results.txt" "$ROUNDS" <<'PY'
import statistics, sys

rows = []
for line in open(sys.argv[1]):
    round_, name, *fields = line.split()
    values = dict(f.split("=", 1) for f in fields)
    rows.append((int(round_), name, float(values["rps"]), float(values["p50_ms"]),
                 float(values["p99_ms"]), int(values["errors"])))

header = f"{'scenario':<20} {'requests/s':>11} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}"
def line(name, rps, p50, p99, errors):
    return f"{name:<20} {rps:>11.1f} {p50:>9.2f} {p99:>9.2f} {errors:>7}"

for r in sorted({r[0] for r in rows}):
    print(f"\nround {r}\n{header}")
    for _, name, *numbers in (row for row in rows if row[0] == r):
        print(line(name, *numbers))

if int(sys.argv[2]) > 1:
    print(f"\nmedian of {sys.argv[2]} rounds\n{header}")
    for name in dict.fromkeys(row[1] for row in rows):
        mine = [row for row in rows if row[1] == name]
        print(line(name, *(statistics.median(row[i] for row in mine) for i in range(2, 5)),
                   int(statistics.median(row[5] for row in mine))))
PY
}

main() {
    check_settings
    ensure_wrk
    WORK=$(mktemp -d -t auth-bench.XXXXXX)
    start_postgres

    say "building auth-server and api-server (release)"
    cargo build --release -p auth-server -p api-server
    say "migrating the database"
    "$BIN" migrate

    start_server
    create_accounts
    PASSWORD_BODY=$(form grant_type password client_id "$CLIENT_ID" client_secret "$CLIENT_SECRET" \
        username "$USERNAME" password "$PASSWORD")

    start_api_server
    local round api_token entry
    api_token=$(password_grant access_token)
    entry=$(create_entry "$api_token")
    for ((round = 1; round <= ROUNDS; round++)); do
        run_round "$round"
        run_api_round "$round" "$api_token" "$entry"
    done

    printf '\nauth-server and api-server benchmark, %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    printf 'machine: %s cores, %s\n' "$(nproc)" \
        "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    printf 'commit: %s\n' "$(git describe --always --dirty 2>/dev/null || echo none)"
    printf 'wrk: %s threads, %s connections, %ss per scenario, timeout %s\n' \
        "$THREADS" "$CONNECTIONS" "$DURATION" "$TIMEOUT"
    printf 'errors = HTTP status >= 400 + socket errors (connect, read, write, timeout)\n'
    print_results
}

main "$@"
