#!/usr/bin/env bash
# Starts or stops a private PostgreSQL on loopback for the tests and benchmarks of the shared
# catalog: a cluster made by initdb in DIR, listening on a free port on 127.0.0.1 and on a socket
# in DIR, with one role whose password is made up for this run (scram-sha-256 over TCP, so the
# tests exercise credentials as a deployment does) and one database.
#
#   exports=$(scripts/postgres.sh start DIR); eval "$exports"   # TAKEVAULT_TEST_POSTGRES_* exports
#   scripts/postgres.sh stop DIR
#   scripts/postgres.sh resume DIR    # starts the stopped cluster again, same port and data (restart tests)
#
# TAKEVAULT_POSTGRES_OPTIONS adds server options (scripts/nodes-bench.py loads pg_stat_statements).
#
# Installs PostgreSQL from Debian's packages when initdb is missing. PostgreSQL refuses to run as
# root, so under root the cluster belongs to the `postgres` account the package creates. Stop
# sends SIGINT (PostgreSQL's fast shutdown: clients are disconnected) to the postmaster's PID,
# then SIGKILL after a grace period.
set -euo pipefail

command=${1:?usage: postgres.sh start|stop DIR}
dir=${2:?usage: postgres.sh start|stop DIR}

pid_of() { [[ -f "$dir/data/postmaster.pid" ]] && head -1 "$dir/data/postmaster.pid" || true; }

stop() {
    local pid
    pid=$(pid_of)
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -INT "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

# The cluster's programs: on PATH, or in Debian's versioned folder (which is not on PATH).
find_bin() {
    local name=$1 found
    found=$(command -v "$name" 2>/dev/null || true)
    if [[ -z "$found" ]]; then
        found=$(ls -1d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -1 || true)
    fi
    echo "$found"
}

# fsync off: a test cluster need not survive a power cut, and the tests that restart it stop
# the process, not the machine (the page cache keeps what was written).
start_cluster() {
    local port
    port=$(cat "$dir/port")
    "${as_owner[@]}" "$pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir/socket -c fsync=off -c max_connections=200 ${TAKEVAULT_POSTGRES_OPTIONS:-}" \
        start >/dev/null \
        || { echo "PostgreSQL did not start; its log:" >&2; tail -20 "$dir/log" >&2; stop; exit 1; }
}

as_owner=()
[[ "$(id -u)" -ne 0 ]] || as_owner=(runuser -u postgres --)

case "$command" in
resume)
    pg_ctl=$(find_bin pg_ctl)
    [[ -f "$dir/port" && -d "$dir/data" ]] || { echo "no stopped cluster in $dir" >&2; exit 1; }
    start_cluster
    ;;
start)
    if [[ -z "$(find_bin initdb)" ]]; then
        echo "takevault: installing Debian packages: postgresql" >&2
        sudo_cmd=()
        [[ "$(id -u)" -eq 0 ]] || sudo_cmd=(sudo)
        DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends postgresql >&2
    fi
    initdb=$(find_bin initdb)
    pg_ctl=$(find_bin pg_ctl)
    psql=$(find_bin psql)
    stop
    rm -rf "$dir"
    mkdir -p "$dir/socket"
    [[ "$(id -u)" -ne 0 ]] || chown -R postgres "$dir"
    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf '%s\n' "$password" >"$dir/password"
    chmod 600 "$dir/password"
    [[ "$(id -u)" -ne 0 ]] || chown postgres "$dir/password"
    "${as_owner[@]}" "$initdb" -D "$dir/data" -U takevault --pwfile="$dir/password" \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { echo "initdb failed; its log:" >&2; tail -20 "$dir/initdb.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    start_cluster

    PGPASSWORD="$password" "$psql" -q -h 127.0.0.1 -p "$port" -U takevault -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE takevault_tests" >/dev/null \
        || { echo "PostgreSQL answered but the test database could not be made; its log:" >&2; tail -20 "$dir/log" >&2; stop; exit 1; }
    echo "export TAKEVAULT_TEST_POSTGRES_URL=postgres://takevault@127.0.0.1:$port/takevault_tests"
    echo "export TAKEVAULT_TEST_POSTGRES_PASSWORD=$password"
    echo "export TAKEVAULT_TEST_POSTGRES_PID=$(pid_of)"
    ;;
stop)
    stop
    ;;
*)
    echo "usage: postgres.sh start|stop|resume DIR" >&2
    exit 2
    ;;
esac
