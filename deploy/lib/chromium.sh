# shellcheck shell=bash
# Helpers for the browser tests, sourced by the deploy/ scripts.
#
# The tests in api-server/tests/browser.rs drive headless Chromium through
# chromedriver. They read the two paths from the environment:
#   CHROMEDRIVER   the chromedriver binary they start, one per test
#   CHROME_BIN     the browser chromedriver launches
#
# Functions (all fail with a message on stderr):
#   chromium_ensure   find chromium and chromedriver (paths already in
#                     CHROME_BIN and CHROMEDRIVER win), installing Debian's
#                     chromium and chromium-driver when missing; sets and
#                     exports CHROME_BIN and CHROMEDRIVER

chromium_die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# apt-get as root, through sudo for anyone else. No prompts from apt (CI has
# no stdin; sudo still asks on a terminal); refresh the package lists only
# when the first try fails, since that is slow.
chromium_apt_install() {
    local -a apt=(apt-get)
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null ||
            chromium_die "$* missing, and installing it needs root or sudo; install the Debian packages $* and retry"
        apt=(sudo env DEBIAN_FRONTEND=noninteractive apt-get)
    fi
    printf 'Installing Debian packages %s...\n' "$*" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${apt[@]}" install -y -q "$@" </dev/null >/dev/null ||
        { "${apt[@]}" update -q </dev/null >/dev/null && "${apt[@]}" install -y -q "$@" </dev/null >/dev/null; } ||
        chromium_die "could not install Debian packages $*"
}

# Print the path of the first of the named commands on PATH.
chromium_find() {
    local name
    for name in "$@"; do
        if command -v "$name" >/dev/null; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

chromium_ensure() {
    local browser driver
    browser=${CHROME_BIN:-}
    driver=${CHROMEDRIVER:-}
    [[ -n $browser ]] || browser=$(chromium_find chromium chromium-browser) || browser=""
    [[ -n $driver ]] || driver=$(chromium_find chromedriver) || driver=""

    if [[ -z $browser || -z $driver ]]; then
        chromium_apt_install chromium chromium-driver
        [[ -n $browser ]] || browser=$(chromium_find chromium) ||
            chromium_die "installed chromium but found no chromium on PATH"
        [[ -n $driver ]] || driver=$(chromium_find chromedriver) ||
            chromium_die "installed chromium-driver but found no chromedriver on PATH"
    fi
    [[ -x $browser ]] || chromium_die "CHROME_BIN=$browser is not an executable file"
    [[ -x $driver ]] || chromium_die "CHROMEDRIVER=$driver is not an executable file"

    CHROME_BIN=$browser
    CHROMEDRIVER=$driver
    export CHROME_BIN CHROMEDRIVER
}
