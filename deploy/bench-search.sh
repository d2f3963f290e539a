#!/usr/bin/env bash
# Measure api-server's entry list and search over a realistic library, and
# show how PostgreSQL runs them. Not a test: it only measures, and CI does
# not run it.
#
# A throwaway PostgreSQL gets 100,000 entries over 1,000 users, 10,000 of
# them the bench user's, with tags and annotations (bench/search-seed.sql).
# wrk then drives, as that user:
#   GET /api/entries?perPage=30          page 1 and a deep page
#   GET /api/search?term=...             a frequent term (and its last
#                                        page), a rare one, an annotation-
#                                        only one, one too short for the
#                                        trigram indexes, and no term
# and the script prints requests per second and latencies, then the plans
# PostgreSQL ran for one more request of each: EXPLAIN (ANALYZE, BUFFERS)
# as auto_explain logs them, so they are the server's own statements, with
# the generic plans its prepared statements have settled on by then.
#
#   deploy/bench-search.sh
#
# Settings (environment):
#   BENCH_SECONDS      length of each wrk run (default 5)
#   BENCH_CONNECTIONS  open connections, split over 2 wrk threads (default 8)
#   BENCH_TIMEOUT      wrk's per-request timeout (default 10s)
#
# It takes about two minutes once the release build is done; the first
# build takes longer.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# Plain shellcheck does not follow sourced files (SC1091); `shellcheck -x` does.
# shellcheck source-path=SCRIPTDIR source=lib/postgres.sh disable=SC1091
source "$ROOT/deploy/lib/postgres.sh"
# shellcheck source=lib/common.sh disable=SC1091
source "$ROOT/deploy/lib/common.sh"

DURATION=${BENCH_SECONDS:-5}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
TIMEOUT=${BENCH_TIMEOUT:-10s}
THREADS=2
AUTH_BIN=$ROOT/target/release/auth-server
API_BIN=$ROOT/target/release/api-server
BENCH=$ROOT/deploy/bench

WORK=""
PG_AREA=""
AUTH_PID=""
API_PID=""

stop_process() {
    local pid=$1
    if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null; then
        return 0
    fi
    kill -TERM "$pid"
    for _ in {1..100}; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

# Runs on every exit: servers, then database, then temporary files.
# shellcheck disable=SC2317 # only called through the trap
cleanup() {
    set +e
    stop_process "$API_PID"
    stop_process "$AUTH_PID"
    if [[ -n $PG_AREA ]]; then
        pg_stop "$PG_AREA"
        rm -rf "$PG_AREA"
    fi
    [[ -n $WORK ]] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sql() {
    psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

check_settings() {
    local name
    for name in DURATION CONNECTIONS; do
        [[ ${!name} =~ ^[1-9][0-9]*$ ]] || die "$name must be a positive whole number (got '${!name}')"
    done
    ((CONNECTIONS >= THREADS)) || die "BENCH_CONNECTIONS must be at least $THREADS"
}

# A cluster of our own, always: the seeding drops and rebuilds indexes, and
# the plans are read from its log through auto_explain, which is loaded at
# start and switched on only while the plans are taken.
start_postgres() {
    local port
    pg_ensure_binaries
    PG_AREA=$(pg_temp_area)
    pg_init "$PG_AREA"
    port=$(pg_free_port)
    say "starting a throwaway PostgreSQL on 127.0.0.1:$port"
    # fsync on, as the local run's cluster: measure the server as it runs.
    # auto_explain.log_min_duration stays off the command line, where it
    # would outrank the ALTER SYSTEM that switches it on later.
    pg_start "$PG_AREA" "$port" shared_preload_libraries=auto_explain \
        auto_explain.log_analyze=on auto_explain.log_buffers=on auto_explain.log_format=text
    PG_LOG=$PG_AREA/data/server.log
    ADMIN_URL=$(pg_admin_url "$PG_AREA" "$port")
    pg_create_db "$ADMIN_URL" auth
    pg_create_db "$ADMIN_URL" api
    AUTH_DB=${ADMIN_URL%/postgres}/auth
    API_DB=${ADMIN_URL%/postgres}/api
}

# Wait for URL/readyz while PID lives; LOG is shown if it does not answer.
wait_ready() {
    local url=$1 pid=$2 log=$3
    for _ in {1..300}; do
        curl -fsS --max-time 2 -o /dev/null "$url/readyz" 2>/dev/null && return
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    cat "$log" >&2
    die "no answer from $url/readyz (its log is above)"
}

start_auth_server() {
    local port
    port=$(pg_free_port)
    AUTH_URL=http://127.0.0.1:$port
    say "starting auth-server on $AUTH_URL"
    DATABASE_URL=$AUTH_DB RUST_LOG=warn LISTEN_ADDR=127.0.0.1:$port PUBLIC_URL=$AUTH_URL \
        "$AUTH_BIN" serve >"$WORK/auth-server.log" 2>&1 &
    AUTH_PID=$!
    wait_ready "$AUTH_URL" "$AUTH_PID" "$WORK/auth-server.log"
}

# The bench user (the first in a fresh database, so id 1), an app client
# for the password grant and a client for api-server's introspection.
create_accounts() {
    local user app introspector
    say "creating the bench user and clients"
    BENCH_PASSWORD=$(random_secret)
    user=$(printf '%s\n' "$BENCH_PASSWORD" | DATABASE_URL=$AUTH_DB "$AUTH_BIN" user create bench \
        --email bench@example.com --name "Bench User" --password-stdin --json)
    USER_ID=$(json_field id <<<"$user")
    app=$(DATABASE_URL=$AUTH_DB "$AUTH_BIN" client create --name "bench app" --grant password --json)
    introspector=$(DATABASE_URL=$AUTH_DB "$AUTH_BIN" client create --name "bench api-server" \
        --introspect --json)
    CLIENT_ID=$(json_field client_id <<<"$app")
    CLIENT_SECRET=$(json_field client_secret <<<"$app")
    INTROSPECT_ID=$(json_field client_id <<<"$introspector")
    INTROSPECT_SECRET=$(json_field client_secret <<<"$introspector")
}

# The library, loaded the way a restore loads data: the GIN indexes are
# dropped, the rows inserted, and the indexes built again from the
# definitions the migration made, which is much faster than growing them
# row by row. Then what autovacuum would do shortly: VACUUM ANALYZE.
seed_library() {
    local names definitions started=$SECONDS
    local gin="schemaname = 'public' AND tablename IN ('entries', 'annotations')
               AND indexdef LIKE '% USING gin %'"
    names=$(sql "$API_DB" -c "SELECT string_agg(indexname, ', ') FROM pg_indexes WHERE $gin")
    definitions=$(sql "$API_DB" -c "SELECT string_agg(indexdef, '; ') FROM pg_indexes WHERE $gin")
    [[ -n $names ]] || die "api's database has no GIN indexes: did its migrations run?"

    say "seeding 100,000 entries, 10,000 of them user $USER_ID's"
    sql "$API_DB" -c "DROP INDEX $names"
    sql "$API_DB" -v big="$USER_ID" -f "$BENCH/search-seed.sql"
    say "building the GIN indexes again ($names)"
    sql "$API_DB" -c "SET maintenance_work_mem = '256MB'" -c "$definitions"
    sql "$API_DB" -c "VACUUM ANALYZE"
    SEED_SECONDS=$((SECONDS - started))
}

start_api_server() {
    local port
    port=$(pg_free_port)
    API_URL=http://127.0.0.1:$port
    say "starting api-server on $API_URL"
    DATABASE_URL=$API_DB RUST_LOG=warn LISTEN_ADDR=127.0.0.1:$port AUTH_SERVER_URL=$AUTH_URL \
        INTROSPECTION_CLIENT_ID=$INTROSPECT_ID INTROSPECTION_CLIENT_SECRET=$INTROSPECT_SECRET \
        "$API_BIN" serve >"$WORK/api-server.log" 2>&1 &
    API_PID=$!
    wait_ready "$API_URL" "$API_PID" "$WORK/api-server.log"
}

get_token() {
    curl -fsS "$AUTH_URL/oauth/v2/token" --data-binary "$(form grant_type password \
        client_id "$CLIENT_ID" client_secret "$CLIENT_SECRET" \
        username bench password "$BENCH_PASSWORD")" | json_field access_token
}

# GET PATH as the bench user; prints the body.
api_get() {
    curl -fsS "$API_URL$1" -H "Authorization: Bearer $TOKEN"
}

# The scenarios, as NAME PATH; the deep search page is known only once the
# frequent term's page count is.
define_scenarios() {
    local pages
    pages=$(api_get "/api/search?term=kubernetes&perPage=30" | json_field pages)
    SCENARIOS=(
        list_page_1 "/api/entries?perPage=30"
        list_page_300 "/api/entries?perPage=30&page=300"
        search_frequent "/api/search?term=kubernetes&perPage=30"
        search_frequent_last "/api/search?term=kubernetes&perPage=30&page=$pages"
        search_rare "/api/search?term=xylophonic&perPage=30"
        search_annotation "/api/search?term=quasiperiodic&perPage=30"
        search_short_term "/api/search?term=ab&perPage=30"
        search_no_term "/api/search?perPage=30"
    )
}

# What each scenario finds, which also checks that each answers 200.
print_totals() {
    local i body
    printf '\n%-22s %8s %6s  %s\n' scenario total pages path
    for ((i = 0; i < ${#SCENARIOS[@]}; i += 2)); do
        body=$(api_get "${SCENARIOS[i + 1]}") || die "GET ${SCENARIOS[i + 1]} failed"
        printf '%-22s %8s %6s  %s\n' "${SCENARIOS[i]}" "$(json_field total <<<"$body")" \
            "$(json_field pages <<<"$body")" "${SCENARIOS[i + 1]}"
    done
}

# Run one wrk scenario and append its numbers to the results.
run_scenario() {
    local name=$1 path=$2 out=$WORK/wrk-$1.txt result
    say "$name (${DURATION}s, $CONNECTIONS connections)"
    if ! BENCH_AUTH="Bearer $TOKEN" wrk --threads "$THREADS" --connections "$CONNECTIONS" \
        --duration "${DURATION}s" --timeout "$TIMEOUT" --script "$BENCH/get.lua" \
        "$API_URL$path" >"$out" 2>&1; then
        cat "$out" >&2
        die "wrk failed for $name"
    fi
    result=$(grep '^RESULT ' "$out") || {
        cat "$out" >&2
        die "no RESULT line from wrk for $name"
    }
    printf '%s %s\n' "$name" "${result#RESULT }" >>"$WORK/results.txt"
    kill -0 "$API_PID" 2>/dev/null || die "api-server exited (log: $WORK/api-server.log)"
}

print_results() {
    python3 - "$WORK/results.txt" <<'PY'
import sys

print(f"\n{'scenario':<22} {'requests/s':>11} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
for line in open(sys.argv[1]):
    name, *fields = line.split()
    v = dict(f.split("=", 1) for f in fields)
    print(f"{name:<22} {float(v['rps']):>11.1f} {float(v['p50_ms']):>9.2f} "
          f"{float(v['p99_ms']):>9.2f} {int(v['errors']):>7}")
PY
}

# One request of each scenario with auto_explain on; prints the plans of
# the statements each ran (a count, then the page).
print_plans() {
    local i offset
    sql "$ADMIN_URL" -c "ALTER SYSTEM SET auto_explain.log_min_duration = 0" \
        -c "SELECT pg_reload_conf()" >/dev/null
    # Backends pick the setting up at their next command; give the reload
    # signal time to reach them.
    sleep 1
    : >"$WORK/plans.txt"
    for ((i = 0; i < ${#SCENARIOS[@]}; i += 2)); do
        offset=$(stat -c %s "$PG_LOG")
        api_get "${SCENARIOS[i + 1]}" >/dev/null
        python3 - "$PG_LOG" "$offset" "${SCENARIOS[i]}" "${SCENARIOS[i + 1]}" \
            >>"$WORK/plans.txt" <<'PY'
import re, sys

log, offset, name, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(log, "rb") as f:
    f.seek(offset)
    lines = f.read().decode("utf-8", "replace").splitlines()
print(f"\n=== {name}: GET {path}")
block = None
for line in lines:
    if re.search(r"LOG:  duration: [0-9.]+ ms  plan:", line):
        block = []
        print(f"\n--- {line.split('LOG:  ', 1)[1]}")
    elif block is not None and line.startswith("\t"):
        text = line[1:]
        if text.startswith("Query Text:") and len(text) > 150:
            text = text[:150] + " ..."
        print(text)
    else:
        block = None
PY
    done
    sql "$ADMIN_URL" -c "ALTER SYSTEM RESET auto_explain.log_min_duration" \
        -c "SELECT pg_reload_conf()" >/dev/null
    cat "$WORK/plans.txt"
    printf '\n'
    if grep -q 'Seq Scan on entries' "$WORK/plans.txt"; then
        printf 'WARNING: a plan above reads the whole entries table (Seq Scan on entries)\n'
    else
        printf 'No plan above reads the whole entries table (no Seq Scan on entries).\n'
    fi
}

print_sizes() {
    printf '\ntable and index sizes\n'
    sql "$API_DB" -F ' ' -c "
        SELECT rpad(c.relname, 32), pg_size_pretty(pg_total_relation_size(c.oid))
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')
          AND (c.relname LIKE 'entries%' OR c.relname LIKE 'annotations%')
        ORDER BY pg_total_relation_size(c.oid) DESC"
}

main() {
    local i started build_seconds
    check_settings
    command -v wrk >/dev/null || pg_apt_install wrk
    WORK=$(mktemp -d -t search-bench.XXXXXX)

    say "building auth-server and api-server (release)"
    started=$SECONDS
    cargo build --release -p auth-server -p api-server
    build_seconds=$((SECONDS - started))

    start_postgres
    say "migrating both databases"
    DATABASE_URL=$AUTH_DB "$AUTH_BIN" migrate >/dev/null 2>&1
    DATABASE_URL=$API_DB "$API_BIN" migrate >/dev/null 2>&1
    start_auth_server
    create_accounts
    seed_library
    start_api_server
    TOKEN=$(get_token)

    define_scenarios
    for ((i = 0; i < ${#SCENARIOS[@]}; i += 2)); do
        run_scenario "${SCENARIOS[i]}" "${SCENARIOS[i + 1]}"
    done

    printf '\napi-server list and search benchmark, %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    printf 'machine: %s cores, %s\n' "$(nproc)" \
        "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    printf 'commit: %s\n' "$(git describe --always --dirty 2>/dev/null || echo none)"
    printf 'postgres: %s, jit %s\n' "$(sql "$ADMIN_URL" -c 'SHOW server_version')" \
        "$(sql "$ADMIN_URL" -c 'SHOW jit')"
    printf 'library: 100,000 entries over 1,000 users; user %s has 10,000\n' "$USER_ID"
    printf 'build %ss, seeding and indexing %ss\n' "$build_seconds" "$SEED_SECONDS"
    printf 'wrk: %s threads, %s connections, %ss per scenario, timeout %s\n' \
        "$THREADS" "$CONNECTIONS" "$DURATION" "$TIMEOUT"
    printf 'errors = HTTP status >= 400 + socket errors (connect, read, write, timeout)\n'
    print_totals
    print_results
    print_sizes
    print_plans
}

main "$@"
