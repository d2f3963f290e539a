#!/usr/bin/env bash
# api-server's container entrypoint: `api-server` with the given arguments
# (default `serve`), after picking up its introspection client.
#
# Under docker compose that client is created on first start by the
# one-shot `bootstrap` service, which writes its id and secret to a file on
# a shared volume: the secret is shown only when the client is created, so
# the file is the only place it exists. Variables set explicitly (as the
# Kubernetes manifests do, from a Secret) win over the file.
set -euo pipefail

client_file=${INTROSPECTION_CLIENT_FILE:-/bootstrap/api-client.env}

if [[ -z ${INTROSPECTION_CLIENT_ID:-} && -f $client_file ]]; then
    # The file holds only INTROSPECTION_CLIENT_ID=... and
    # INTROSPECTION_CLIENT_SECRET=..., written by bootstrap.sh.
    set -a
    # shellcheck source=/dev/null
    source "$client_file"
    set +a
fi

exec api-server "$@"
