#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: its own data directory under /tmp, listening on 127.0.0.1 only,
# no fsync, trust auth. The tests find it through COLISEUM_TEST_POSTGRES (see docs/postgres.md).
#
#   scripts/test-postgres.sh start            # initdb + start (as the postgres user when run as root)
#   eval "$(scripts/test-postgres.sh env)"    # export COLISEUM_TEST_POSTGRES for this shell
#   scripts/test-postgres.sh stop             # stop it and delete its data directory
#
# Needs the server binaries (Debian: apt-get install postgresql). Settings: COLISEUM_PG_PORT (first port
# tried, default 54329), COLISEUM_PG_BIN (the directory holding initdb and pg_ctl), COLISEUM_PG_STATE (where
# start records the server for env and stop; default artifacts/test-postgres.env in the repository).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
state="${COLISEUM_PG_STATE:-$repo/artifacts/test-postgres.env}"

# initdb refuses to run as root: as root, run the server's tools as the postgres user.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

bin_dir() {
    if [ -n "${COLISEUM_PG_BIN:-}" ]; then
        echo "$COLISEUM_PG_BIN"
        return
    fi
    # Debian keeps each major version apart: take the newest installed.
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$dir" ] && command -v pg_ctl >/dev/null 2>&1; then
        dir=$(dirname "$(command -v pg_ctl)")
    fi
    if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
        echo "no PostgreSQL server binaries found (Debian: apt-get install postgresql, or set COLISEUM_PG_BIN)" >&2
        exit 1
    fi
    echo "$dir"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
    if [ -f "$state" ]; then
        echo "a test server is already recorded in $state; run '$0 stop' first" >&2
        exit 1
    fi
    local bin port dir
    bin=$(bin_dir)
    port="${COLISEUM_PG_PORT:-54329}"
    for _ in $(seq 1 50); do
        port_in_use "$port" || break
        port=$((port + 1))
    done
    if port_in_use "$port"; then
        echo "no free port from ${COLISEUM_PG_PORT:-54329} on" >&2
        exit 1
    fi

    # Under /tmp rather than $TMPDIR: the postgres user must be able to reach it.
    dir=$(mktemp -d /tmp/coliseum-pg.XXXXXX)
    if [ "$(id -u)" -eq 0 ]; then
        if ! id postgres >/dev/null 2>&1; then
            echo "running as root needs a 'postgres' user to own the server (Debian's postgresql package makes one)" >&2
            rm -rf "$dir"
            exit 1
        fi
        chown postgres: "$dir"
    fi
    chmod 700 "$dir"

    # --no-locale: byte order, like SQLite; the schema still says COLLATE "C" where order matters.
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        exit 1
    }
    cat >>"$dir/data/postgresql.conf" <<EOF
# scripts/test-postgres.sh: a throwaway server for tests; durability traded for speed.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
        cat "$dir/server.log" >&2
        rm -rf "$dir"
        exit 1
    }

    mkdir -p "$(dirname "$state")"
    cat >"$state" <<EOF
COLISEUM_PG_DIR='$dir'
COLISEUM_PG_BIN_DIR='$bin'
export COLISEUM_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres'
EOF
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $dir"
}

stop() {
    if [ ! -f "$state" ]; then
        echo "no test server recorded in $state" >&2
        return 0
    fi
    # shellcheck disable=SC1090
    . "$state"
    as_owner "$COLISEUM_PG_BIN_DIR/pg_ctl" -D "$COLISEUM_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$COLISEUM_PG_DIR"
    rm -f "$state"
    echo "stopped the test server and removed $COLISEUM_PG_DIR"
}

env_lines() {
    if [ ! -f "$state" ]; then
        echo "no test server recorded in $state; run '$0 start' first" >&2
        exit 1
    fi
    grep '^export ' "$state"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    env) env_lines ;;
    *)
        echo "usage: $0 start|stop|env" >&2
        exit 2
        ;;
esac
