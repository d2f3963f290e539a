# shellcheck shell=bash
# Helpers for a private PostgreSQL cluster, sourced by the deploy/ scripts.
#
# A cluster lives in an "area": a folder owned by whoever runs the script,
# holding
#   data/      the cluster itself (owned by the postgres user when we are root)
#   run/       the unix socket, so nothing needs /var/run
#   password   the superuser password, readable only by the invoking user
# PostgreSQL refuses to run as root, so as root every server-side binary runs
# as the `postgres` user through runuser; as a normal user they run directly.
#
# Functions (all fail with a message on stderr):
#   pg_ensure_binaries          find or install initdb/pg_ctl/postgres and psql
#   pg_area_for DIR             print DIR, or a /var/tmp fallback the postgres
#                               user can reach
#   pg_temp_area                make and print a throwaway area
#   pg_init AREA                initdb AREA/data unless done already;
#                               sets PG_CREATED=1 when it made a new cluster
#   pg_start AREA PORT [NAME=VALUE...]   start it; extra server settings
#   pg_stop AREA                fast shutdown, if running
#   pg_admin_url AREA PORT      print the superuser URL
#   pg_create_db URL NAME       create database NAME unless it exists
#   pg_free_port                print a free TCP port on 127.0.0.1

PG_BINDIR=""
PG_CREATED=0

pg_die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

pg_is_root() {
    [[ $(id -u) -eq 0 ]]
}

# Run a server-side binary from PG_BINDIR as the user that may own a cluster.
# cd / first: the postgres user may not be allowed into our working directory,
# and the tools complain when they cannot resolve it.
pg_run() {
    local tool=$1
    shift
    if pg_is_root; then
        (cd / && runuser -u postgres -- "$PG_BINDIR/$tool" "$@")
    else
        "$PG_BINDIR/$tool" "$@"
    fi
}

# apt-get for a fresh machine (bench.sh uses it for wrk too): no prompts (CI
# has no stdin), and refresh the package lists only when the first try fails,
# since that is slow.
pg_apt_install() {
    pg_is_root || pg_die "'$1' is missing and only root can install it; install it (Debian package $1) and retry"
    printf 'Installing Debian package %s...\n' "$1" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "$1" </dev/null >/dev/null ||
        { apt-get update -q </dev/null >/dev/null && apt-get install -y -q "$1" </dev/null >/dev/null; } ||
        pg_die "could not install Debian package $1"
}

# Debian keeps the server binaries off PATH, under a versioned folder; take
# the newest one there.
pg_debian_bindir() {
    local dir
    dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [[ -x $dir/pg_ctl ]] && printf '%s\n' "$dir"
}

pg_ensure_binaries() {
    local tool
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null && command -v postgres >/dev/null; then
        # Absolute path, because runuser may reset PATH.
        PG_BINDIR=$(dirname "$(command -v pg_ctl)")
    elif ! PG_BINDIR=$(pg_debian_bindir); then
        pg_apt_install postgresql
        PG_BINDIR=$(pg_debian_bindir) || pg_die "installed postgresql but found no /usr/lib/postgresql/*/bin/pg_ctl"
    fi
    for tool in initdb pg_ctl postgres; do
        [[ -x $PG_BINDIR/$tool ]] || pg_die "$PG_BINDIR/$tool is missing"
    done
    command -v psql >/dev/null || pg_apt_install postgresql-client
    if pg_is_root && ! id -u postgres >/dev/null 2>&1; then
        pg_die "PostgreSQL will not run as root and there is no 'postgres' user to run it as"
    fi
}

# As root, the cluster belongs to the postgres user, which must be able to
# walk down to it. A checkout under a private home (mode 0700) does not allow
# that, so we fall back to a folder under /var/tmp that is stable per checkout.
pg_area_for() {
    local dir=$1 parent hash fallback
    parent=$(dirname "$dir")
    if ! pg_is_root || runuser -u postgres -- test -x "$parent"; then
        printf '%s\n' "$dir"
        return
    fi
    hash=$(printf '%s' "$dir" | sha256sum | cut -c1-12)
    fallback=/var/tmp/pgdata-$hash
    printf 'note: the postgres user cannot reach %s, so the cluster lives in %s\n' "$parent" "$fallback" >&2
    printf '%s\n' "$fallback"
}

pg_temp_area() {
    local area
    area=$(mktemp -d -t pgtest.XXXXXX)
    if pg_is_root && ! runuser -u postgres -- test -x "$(dirname "$area")"; then
        rmdir "$area"
        area=$(mktemp -d /var/tmp/pgtest.XXXXXX)
    fi
    printf '%s\n' "$area"
}

# Make the area itself: ours, but traversable (not listable) by postgres.
pg_make_area() {
    local area=$1
    mkdir -p "$area"
    if pg_is_root; then chmod 0711 "$area"; else chmod 0700 "$area"; fi
}

# Make a folder inside the area that the server may write to.
pg_make_owned_dir() {
    mkdir -p "$1"
    chmod 0700 "$1"
    if pg_is_root; then chown postgres:postgres "$1"; fi
}

pg_init() {
    local area=$1 data=$1/data pwfile=$1/password password initdb_pwfile
    PG_CREATED=0
    pg_make_area "$area"
    [[ -f $data/PG_VERSION ]] && return 0

    pg_make_owned_dir "$data"
    password=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
    rm -f "$pwfile"
    (umask 077 && printf '%s\n' "$password" >"$pwfile")

    # initdb reads the password from a file, but as root our password file is
    # closed to the postgres user (and so is a pipe on /dev/stdin): hand it a
    # private copy for the duration of initdb.
    initdb_pwfile=$pwfile
    if pg_is_root; then
        initdb_pwfile=$(mktemp "$area/.initdb-pw.XXXXXX")
        printf '%s\n' "$password" >"$initdb_pwfile"
        chown postgres:postgres "$initdb_pwfile"
    fi
    # Locale C: the same sort order everywhere, and no dependency on which
    # locales the machine has generated.
    if ! pg_run initdb -D "$data" --auth=scram-sha-256 --username=postgres \
        --pwfile="$initdb_pwfile" --encoding=UTF8 --locale=C >"$area/initdb.log" 2>&1; then
        [[ $initdb_pwfile == "$pwfile" ]] || rm -f "$initdb_pwfile"
        cat "$area/initdb.log" >&2
        pg_die "initdb failed for $data"
    fi
    [[ $initdb_pwfile == "$pwfile" ]] || rm -f "$initdb_pwfile"
    # shellcheck disable=SC2034 # read by the scripts that source this file
    PG_CREATED=1
}

pg_running() {
    pg_run pg_ctl -D "$1/data" status >/dev/null 2>&1
}

pg_start() {
    local area=$1 port=$2 data=$1/data run=$1/run setting
    shift 2
    if pg_running "$area"; then
        local stop="$PG_BINDIR/pg_ctl -D $data stop -m fast"
        pg_is_root && stop="runuser -u postgres -- $stop"
        pg_die "a server already runs on $data (another run, or left over from one?); stop it with: $stop"
    fi
    pg_make_owned_dir "$run"
    # A socket path may not exceed ~107 bytes; in a deeply nested checkout
    # go without the socket (we connect over TCP anyway).
    local sockets=$run
    ((${#run} + ${#port} + 10 <= 107)) || sockets=""

    # TCP on loopback only; the socket stays inside the area. Light settings
    # sized for a 2-core machine; callers add their own (e.g. fsync=off).
    local -a opts=(
        -c listen_addresses=127.0.0.1
        -c "port=$port"
        -c "unix_socket_directories=$sockets"
        -c shared_buffers=128MB
        -c max_connections=200
    )
    for setting in "$@"; do opts+=(-c "$setting"); done

    # pg_ctl hands -o to /bin/sh, hence the quoting.
    if ! pg_run pg_ctl -D "$data" -l "$data/server.log" -w -t 60 \
        -o "$(printf '%q ' "${opts[@]}")" start >/dev/null; then
        tail -n 20 "$data/server.log" >&2 || true
        pg_die "PostgreSQL did not start on 127.0.0.1:$port (log: $data/server.log)"
    fi
}

pg_stop() {
    local area=$1
    if [[ -n $PG_BINDIR ]] && pg_running "$area"; then
        pg_run pg_ctl -D "$area/data" -m fast -w stop >/dev/null
    fi
}

pg_admin_url() {
    local password
    password=$(<"$1/password")
    printf 'postgres://postgres:%s@127.0.0.1:%s/postgres\n' "$password" "$2"
}

pg_create_db() {
    local url=$1 name=$2
    # \gexec runs the generated CREATE only when the database is missing;
    # format(%I) quotes the name.
    psql -X -q -v ON_ERROR_STOP=1 -v "db=$name" "$url" >/dev/null <<'SQL'
SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec
SQL
}

pg_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
