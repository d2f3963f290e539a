#!/usr/bin/env bash
# First-start set-up, run in the auth-server image before any server starts
# (docker compose's one-shot `bootstrap` service; the Kubernetes migration
# Job runs it too, without the client step). Safe to run on every start:
#
# 1. migrates auth-server's database;
# 2. creates the first user from ADMIN_USERNAME, ADMIN_EMAIL and
#    ADMIN_PASSWORD, unless a user of that name exists (then the password is
#    not needed and an existing account is never touched);
# 3. unless API_CLIENT_FILE is empty, makes sure exactly one introspection
#    client for api-server exists and that its id and secret are in
#    API_CLIENT_FILE, which api-server's entrypoint reads.
#
# A client's secret is shown only when it is created, so the file is its
# only copy. The file is trusted only while its client still exists (a new
# database makes it stale). Clients bearing our name that the file does not
# describe are deleted: they come from a run that died between creating the
# client and writing the file, and their secret is lost anyway. So restarts
# reuse one client and never pile up duplicates.
set -euo pipefail

API_CLIENT_FILE=${API_CLIENT_FILE-/bootstrap/api-client.env}
API_CLIENT_NAME=${API_CLIENT_NAME:-api-server (bootstrap)}
ADMIN_USERNAME=${ADMIN_USERNAME:-admin}
# Admin commands print only warnings, so stdout stays pure JSON.
export RUST_LOG=${RUST_LOG:-warn}

say() {
    printf 'bootstrap: %s\n' "$*" >&2
}

die() {
    say "error: $*"
    exit 1
}

ensure_admin_user() {
    local users
    users=$(auth-server user list --json)
    # Usernames are unique regardless of case (log-ins ignore case).
    if jq -e --arg name "$ADMIN_USERNAME" \
        'any(.[]; (.username | ascii_downcase) == ($name | ascii_downcase))' \
        <<<"$users" >/dev/null; then
        say "user $ADMIN_USERNAME exists"
        return
    fi
    local var
    for var in ADMIN_EMAIL ADMIN_PASSWORD; do
        [[ -n ${!var:-} ]] || die "set $var to create the first user, $ADMIN_USERNAME"
    done
    # On stdin, so the password never shows in a process list.
    printf '%s\n' "$ADMIN_PASSWORD" |
        auth-server user create "$ADMIN_USERNAME" --email "$ADMIN_EMAIL" \
            --name "${ADMIN_NAME:-$ADMIN_USERNAME}" --password-stdin --json >/dev/null
    say "created user $ADMIN_USERNAME"
}

# Print the client id recorded in the file, or nothing.
recorded_client_id() {
    [[ -f $API_CLIENT_FILE ]] || return 0
    # In a subshell: only the id leaves it, the secret stays in the file.
    (
        # shellcheck source=/dev/null
        source "$API_CLIENT_FILE"
        printf '%s\n' "${INTROSPECTION_CLIENT_ID:-}"
    )
}

ensure_api_client() {
    local clients keep="" id created tmp
    clients=$(auth-server client list --json)

    id=$(recorded_client_id)
    if [[ -n $id ]] && jq -e --arg id "$id" \
        'any(.[]; .client_id == $id and .can_introspect)' <<<"$clients" >/dev/null; then
        keep=$id
    elif [[ -n $id ]]; then
        say "client $id in $API_CLIENT_FILE is gone (a new database?); making another"
    fi

    # Ours by name but not the one on file: their secrets are lost.
    while IFS= read -r id; do
        [[ -n $id ]] || continue
        say "deleting client $id: its secret is not in $API_CLIENT_FILE"
        auth-server client delete "$id" --json >/dev/null
    done < <(jq -r --arg name "$API_CLIENT_NAME" --arg keep "$keep" \
        '.[] | select(.name == $name and .client_id != $keep) | .client_id' <<<"$clients")

    if [[ -n $keep ]]; then
        say "api-server's introspection client $keep is in $API_CLIENT_FILE"
        return
    fi

    created=$(auth-server client create --name "$API_CLIENT_NAME" --introspect --register --json)
    # Written beside the target and renamed, so a reader sees no file or a
    # whole one; readable by the servers' user only.
    tmp=$(mktemp "$API_CLIENT_FILE.XXXXXX")
    jq -r '"INTROSPECTION_CLIENT_ID=" + (.client_id | @sh),
           "INTROSPECTION_CLIENT_SECRET=" + (.client_secret | @sh)' <<<"$created" >"$tmp"
    chmod 0600 "$tmp"
    mv -f "$tmp" "$API_CLIENT_FILE"
    say "created api-server's introspection client $(jq -r .client_id <<<"$created")"
}

auth-server migrate
ensure_admin_user
if [[ -n $API_CLIENT_FILE ]]; then
    mkdir -p "$(dirname "$API_CLIENT_FILE")"
    ensure_api_client
fi
say "done"
