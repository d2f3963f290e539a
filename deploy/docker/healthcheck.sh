#!/usr/bin/env bash
# Container health check for both server images: GET a path on the server's
# own port and succeed only on a 200.
#
#   healthcheck [PATH]      PATH defaults to /healthz (alive); /readyz is
#                           readiness (database, and auth-server for api-server)
#
# It speaks HTTP through bash's /dev/tcp, so the runtime image needs no curl
# (and none of curl's libraries): bash is already in debian:bookworm-slim.
# The port comes from LISTEN_ADDR, the variable the server itself listens on,
# so the check follows any change to it.
set -euo pipefail

path=${1:-/healthz}
port=${LISTEN_ADDR##*:}
[[ $port =~ ^[0-9]+$ ]] || {
    printf 'healthcheck: no port in LISTEN_ADDR=%q\n' "${LISTEN_ADDR:-}" >&2
    exit 1
}

exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
# Only the status line matters; the timeout keeps a wedged server from
# holding the check open (Docker's own timeout is the outer bound).
status=""
IFS= read -r -t 5 status <&3 || true
exec 3<&-
[[ $status =~ ^HTTP/1\.[01]\ 200 ]] || {
    printf 'healthcheck: %s answered "%s"\n' "$path" "${status%$'\r'}" >&2
    exit 1
}
