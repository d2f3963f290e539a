#!/usr/bin/env bash
# Run the checks and tests: rustfmt, clippy, then cargo test.
#
#   deploy/test.sh [extra cargo test arguments]
#
# The tests need PostgreSQL: without TEST_DATABASE_URL this starts a
# throwaway cluster in a temporary folder and removes it on exit; with it,
# that server is used and nothing is started. TEST_DATABASE_URL is a
# superuser URL: the tests create a fresh database per test from it.
#
# The browser tests need chromium and chromedriver: this installs Debian's
# packages when they are missing and hands their paths to the tests in
# CHROME_BIN and CHROMEDRIVER (set those to use other builds).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# Plain shellcheck does not follow sourced files (SC1091); `shellcheck -x` does.
# shellcheck source-path=SCRIPTDIR source=lib/postgres.sh disable=SC1091
source "$ROOT/deploy/lib/postgres.sh"
# shellcheck source=lib/chromium.sh disable=SC1091
source "$ROOT/deploy/lib/chromium.sh"

PG_AREA=""

step() {
    printf '\n==> %s\n' "$*" >&2
}

# Runs on every exit (failure and Ctrl-C included) so no cluster or
# temporary folder is left behind. The script's exit code is kept.
# shellcheck disable=SC2317 # only called through the trap
cleanup() {
    if [[ -n $PG_AREA ]]; then
        pg_stop "$PG_AREA" || true
        rm -rf "$PG_AREA"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z ${TEST_DATABASE_URL:-} ]]; then
    step "starting a throwaway PostgreSQL"
    pg_ensure_binaries
    PG_AREA=$(pg_temp_area)
    pg_init "$PG_AREA"
    port=$(pg_free_port)
    # Its data is disposable, so trade durability for speed.
    pg_start "$PG_AREA" "$port" fsync=off synchronous_commit=off full_page_writes=off
    TEST_DATABASE_URL=$(pg_admin_url "$PG_AREA" "$port")
    printf 'PostgreSQL on 127.0.0.1:%s in %s\n' "$port" "$PG_AREA" >&2
fi
export TEST_DATABASE_URL

# Before the long build, so a machine that cannot get a browser says so at once.
step "chromium and chromedriver for the browser tests"
chromium_ensure
printf 'chromedriver %s, browser %s\n' "$CHROMEDRIVER" "$CHROME_BIN" >&2

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test --workspace $*"
cargo test --workspace "$@"

# Extra arguments narrow the run to some tests; the deployment checks and
# the scale-out proof belong to a full run only.
if [[ $# -eq 0 ]]; then
    step "deploy/validate.sh (compose, Kubernetes, nginx, Dockerfiles, scripts)"
    bash "$ROOT/deploy/validate.sh"

    step "deploy/scale-out.sh (2 auth-servers, 3 api-servers, instances killed mid-run)"
    bash "$ROOT/deploy/scale-out.sh"
fi
