#!/usr/bin/env bash
# Prove that the service scales out, on one machine and without containers:
# two auth-servers and three api-servers on loopback behind nginx, a bounded
# mixed load of real requests through the gateway, and one instance of each
# server SIGKILLed in the middle of it.
#
#   deploy/scale-out.sh
#
# It reports the requests sent, the errors (by operation and cause), which
# instance served what, whether a token issued by either auth-server is
# accepted by every api-server (asked directly, not through nginx), and
# whether that token, revoked at the other auth-server, is refused by every
# api-server within seconds although each has it cached. It fails when an
# error happened other than on a request in flight at the kill, when more
# of those happened than there are workers, when a token is refused, or
# when a revoked one is still accepted.
#
# Like the production layouts, the api-servers reach auth-server through a
# balancer (a second nginx listener standing in for a Kubernetes Service),
# not one instance: otherwise killing that instance would cut them off.
#
# Settings (environment): SCALE_OUT_SECONDS (load duration, default 20),
# SCALE_OUT_WORKERS (client threads, 4), SCALE_OUT_KILL_AT (seconds into the
# load, 8), SCALE_OUT_MAX_REQUESTS (50000). Everything it starts listens on
# 127.0.0.1 only and is stopped, and its files removed, on any exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# Plain shellcheck does not follow sourced files (SC1091); `shellcheck -x` does.
# shellcheck source-path=SCRIPTDIR source=lib/postgres.sh disable=SC1091
source "$ROOT/deploy/lib/postgres.sh"
# shellcheck source=lib/common.sh disable=SC1091
source "$ROOT/deploy/lib/common.sh"

LOAD_SECONDS=${SCALE_OUT_SECONDS:-20}
WORKERS=${SCALE_OUT_WORKERS:-4}
KILL_AT=${SCALE_OUT_KILL_AT:-8}
MAX_REQUESTS=${SCALE_OUT_MAX_REQUESTS:-50000}
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug

PG_AREA=""
WORK=""            # temporary folder: nginx config and runtime, server logs
PIDS=()            # background processes, in start order
declare -A PID=()  # name -> pid
declare -A PORT=() # name -> loopback port

# Each step with the seconds since the start, to show where the time goes.
say() {
    printf '==> [%3ds] %s\n' "$SECONDS" "$*" >&2
}

# Stop everything newest first, then PostgreSQL, then remove the files.
# Runs on every exit; the script's exit status is kept.
# shellcheck disable=SC2317 # only called through the trap
cleanup() {
    set +e
    local i pid
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[i]}
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            # Bounded: graceful shutdown first, then no more waiting.
            for _ in {1..50}; do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null
        fi
    done
    if [[ -n $PG_AREA ]]; then
        pg_stop "$PG_AREA"
        rm -rf "$PG_AREA"
    fi
    [[ -n $WORK ]] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

find_nginx() {
    NGINX=$(command -v nginx || true)
    [[ -z $NGINX && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
    if [[ -z $NGINX ]]; then
        pg_apt_install nginx-light
        NGINX=/usr/sbin/nginx
    fi
}

# Distinct free ports, one per name given.
allocate_ports() {
    local name port
    local -A taken=()
    for name in "$@"; do
        for _ in {1..20}; do
            port=$(pg_free_port)
            [[ -z ${taken[$port]:-} ]] && break
        done
        [[ -z ${taken[$port]:-} ]] || die "could not find free ports"
        taken[$port]=1
        PORT[$name]=$port
    done
}

start_postgres() {
    local port admin_url
    pg_ensure_binaries
    PG_AREA=$(pg_temp_area)
    pg_init "$PG_AREA"
    port=$(pg_free_port)
    # Disposable data: trade durability for speed.
    pg_start "$PG_AREA" "$port" fsync=off synchronous_commit=off full_page_writes=off
    admin_url=$(pg_admin_url "$PG_AREA" "$port")
    pg_create_db "$admin_url" auth
    pg_create_db "$admin_url" api
    AUTH_DB=${admin_url%/postgres}/auth
    API_DB=${admin_url%/postgres}/api
}

# The user and clients the load uses, made with the admin commands.
create_accounts() {
    local app_json api_json
    SCALE_OUT_USERNAME=scaleout
    SCALE_OUT_PASSWORD=$(random_secret)
    printf '%s\n' "$SCALE_OUT_PASSWORD" |
        DATABASE_URL=$AUTH_DB RUST_LOG=warn "$BIN/auth-server" user create "$SCALE_OUT_USERNAME" \
            --email scaleout@example.org --password-stdin --json >/dev/null
    app_json=$(DATABASE_URL=$AUTH_DB RUST_LOG=warn "$BIN/auth-server" client create \
        --name "scale-out load" --grant password --grant refresh_token --json)
    api_json=$(DATABASE_URL=$AUTH_DB RUST_LOG=warn "$BIN/auth-server" client create \
        --name api-server --introspect --json)
    SCALE_OUT_CLIENT_ID=$(json_field client_id <<<"$app_json")
    SCALE_OUT_CLIENT_SECRET=$(json_field client_secret <<<"$app_json")
    API_CLIENT_ID=$(json_field client_id <<<"$api_json")
    API_CLIENT_SECRET=$(json_field client_secret <<<"$api_json")
    export SCALE_OUT_USERNAME SCALE_OUT_PASSWORD SCALE_OUT_CLIENT_ID SCALE_OUT_CLIENT_SECRET
}

# The local gateway's template with both upstreams holding several servers
# (so its routing is the one under test), plus, inside `http`: a header
# naming the instance that answered, and the internal listener through
# which api-servers reach auth-server (for introspection).
write_nginx_config() {
    local conf=$WORK/nginx.conf extra=$WORK/extra.conf
    mkdir -p "$WORK/nginx"
    cat >"$extra" <<EOF
    add_header X-Upstream-Addr \$upstream_addr always;

    server {
        listen 127.0.0.1:${PORT[auth_lb]};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        # Introspection only reads, so even a POST that reached an instance
        # as it died may be asked again of another.
        proxy_next_upstream error timeout non_idempotent;
        location / {
            proxy_pass http://auth_server;
        }
    }
EOF
    # @AUTH_UPSTREAM@ sits in `server @AUTH_UPSTREAM@;`: filling it with
    # "A; server B" yields two server lines.
    local auth="127.0.0.1:${PORT[auth1]}; server 127.0.0.1:${PORT[auth2]}"
    local api="127.0.0.1:${PORT[api1]}; server 127.0.0.1:${PORT[api2]}; server 127.0.0.1:${PORT[api3]}"
    sed -e "s|@RUNDIR@|$WORK/nginx|g" \
        -e "s|@LISTEN@|127.0.0.1:${PORT[gateway]}|g" \
        -e "s|@AUTH_UPSTREAM@|$auth|" \
        -e "s|@API_UPSTREAM@|$api|" \
        -e "/^http {/r $extra" \
        deploy/gateway/nginx.conf.template >"$conf"
    "$NGINX" -t -q -p "$WORK/nginx" -c "$conf" || die "nginx rejected $conf"
}

# Start one process in the background, its output in a log file, and wait
# until READY_URL answers 200. Usage: start NAME READY_URL CMD...
start() {
    local name=$1 ready_url=$2 pid
    shift 2
    "$@" >"$WORK/$name.log" 2>&1 &
    pid=$!
    # Out of the job table, so the planned SIGKILL is not reported as a
    # crash; we track and stop it by its pid.
    disown "$pid"
    PIDS+=("$pid")
    PID[$name]=$pid
    for _ in {1..300}; do
        curl -fsS --max-time 2 -o /dev/null "$ready_url" 2>/dev/null && return
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$WORK/$name.log" >&2
            die "$name exited before it was ready"
        fi
        sleep 0.1
    done
    tail -n 20 "$WORK/$name.log" >&2
    die "$name did not answer $ready_url within 30 s"
}

start_auth_server() {
    local name=$1
    start "$name" "http://127.0.0.1:${PORT[$name]}/readyz" \
        env DATABASE_URL="$AUTH_DB" LISTEN_ADDR="127.0.0.1:${PORT[$name]}" \
        PUBLIC_URL="http://127.0.0.1:${PORT[gateway]}" LOG_FORMAT=json \
        "$BIN/auth-server" serve
}

start_api_server() {
    local name=$1
    start "$name" "http://127.0.0.1:${PORT[$name]}/readyz" \
        env DATABASE_URL="$API_DB" LISTEN_ADDR="127.0.0.1:${PORT[$name]}" \
        AUTH_SERVER_URL="http://127.0.0.1:${PORT[auth_lb]}" \
        INTROSPECTION_CLIENT_ID="$API_CLIENT_ID" INTROSPECTION_CLIENT_SECRET="$API_CLIENT_SECRET" \
        LOG_FORMAT=json "$BIN/api-server" serve
}

urls() {
    local name
    for name in "$@"; do
        printf -- '--%s\nhttp://127.0.0.1:%s\n' "${name%%[0-9]*}" "${PORT[$name]}"
    done
}

main() {
    local started=$SECONDS status=0 name
    local -a args
    WORK=$(mktemp -d -t scale-out.XXXXXX)
    # nginx's workers run as an unprivileged user and must reach their
    # temporary folders inside.
    chmod 0711 "$WORK"

    say "building auth-server and api-server"
    cargo build -q -p auth-server -p api-server
    find_nginx

    say "starting a throwaway PostgreSQL"
    start_postgres
    say "migrating, creating the user and clients"
    DATABASE_URL=$AUTH_DB "$BIN/auth-server" migrate >"$WORK/migrate.log" 2>&1
    DATABASE_URL=$API_DB "$BIN/api-server" migrate >>"$WORK/migrate.log" 2>&1
    create_accounts

    allocate_ports auth1 auth2 api1 api2 api3 gateway auth_lb
    write_nginx_config
    say "starting auth-server x2, nginx, api-server x3"
    start_auth_server auth1
    start_auth_server auth2
    start nginx "http://127.0.0.1:${PORT[auth_lb]}/readyz" \
        "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx.conf"
    start_api_server api1
    start_api_server api2
    start_api_server api3

    say "cross-acceptance: a token from each auth-server, at each api-server; then revoked"
    mapfile -t args < <(urls auth1 auth2 api1 api2 api3)
    python3 deploy/scale-out.py cross-check "${args[@]}" || status=1

    say "load: $WORKERS workers, ${LOAD_SECONDS}s, through the gateway;" \
        "SIGKILL auth1 and api1 at ${KILL_AT}s"
    args=(--gateway "http://127.0.0.1:${PORT[gateway]}" --workers "$WORKERS"
        --duration "$LOAD_SECONDS" --max-requests "$MAX_REQUESTS" --kill-at "$KILL_AT"
        --kill "auth1=${PID[auth1]}" --kill "api1=${PID[api1]}")
    for name in auth1 auth2 api1 api2 api3; do
        args+=(--expect-upstream "$name=127.0.0.1:${PORT[$name]}")
    done
    python3 deploy/scale-out.py load "${args[@]}" || status=1

    say "cross-acceptance and revocation after the kill, among the survivors"
    mapfile -t args < <(urls auth2 api2 api3)
    python3 deploy/scale-out.py cross-check "${args[@]}" || status=1

    # A server that logged an error is worth a look even when the numbers
    # pass; the killed ones stopped mid-sentence, so only survivors count.
    for name in auth2 api2 api3; do
        if grep -q '"level":"ERROR"' "$WORK/$name.log"; then
            printf '%s logged errors:\n' "$name"
            grep '"level":"ERROR"' "$WORK/$name.log" | head -n 5
        fi
    done

    if ((status == 0)); then
        say "scale-out proven in $((SECONDS - started)) s"
    else
        say "scale-out FAILED (logs were in $WORK, removed on exit)"
    fi
    return "$status"
}

main "$@"
