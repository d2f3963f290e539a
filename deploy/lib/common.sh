# Small helpers the deploy scripts share (sourced, not executed).
# shellcheck shell=bash

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

say() {
    printf '==> %s\n' "$*" >&2
}

# 128 random bits as hex: demo and bench passwords.
random_secret() {
    od -An -tx1 -N16 /dev/urandom | tr -d ' \n'
}

# Print one field of the JSON object on stdin.
json_field() {
    python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# A urlencoded form body from NAME VALUE pairs.
form() {
    python3 -c 'import sys, urllib.parse as u; a = sys.argv[1:]; print(u.urlencode(list(zip(a[::2], a[1::2]))))' "$@"
}
