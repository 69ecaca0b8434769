#!/usr/bin/env bash
# Throw-away PostgreSQL server for the tests (issue 4: "a real PostgreSQL server that the test
# setup starts itself").
#
#   pg-test-server.sh start DIR   initdb into a fresh temp dir, start on 127.0.0.1:<free port>
#                                 with its unix socket inside it, create database hpki_test,
#                                 write the URL to DIR/url and print it on stdout.
#   pg-test-server.sh stop DIR    stop that server (pg_ctl, then its pid) and remove everything.
#
# Uses Debian's `postgresql` package (binaries in /usr/lib/postgresql/<major>/bin; PG_BIN
# overrides). initdb refuses to run as root: as root the server runs as the unprivileged
# system user `hpki-test` (created if missing); otherwise as the calling user. Trust
# authentication, loopback only, fsync off: for tests, never for data. PG_DURABLE=1 keeps
# PostgreSQL's durable defaults (fsync, synchronous_commit, full_page_writes): for benchmarks
# that claim durable storage (bench/compare/issuance.sh).
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

find_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local d
  for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
  done
  echo "pg-test-server: no PostgreSQL server binaries (install the Debian package postgresql:" \
       "scripts/install-deps.sh)" >&2
  exit 1
}

RUN_USER=""
as_user() {
  if [ -n "$RUN_USER" ]; then runuser -u "$RUN_USER" -- "$@"; else "$@"; fi
}

setup_user() {
  if [ "$(id -u)" -eq 0 ]; then
    RUN_USER=hpki-test
    if ! id "$RUN_USER" >/dev/null 2>&1; then
      # Idempotent: a concurrent creation by another worktree's test run is fine.
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        "$RUN_USER" 2>/dev/null || id "$RUN_USER" >/dev/null
    fi
  fi
}

do_stop() {
  [ -d "$dir" ] || return 0
  local bin data pid
  bin=$(find_bin)
  setup_user
  if [ -f "$dir/pgdir" ]; then
    data="$(cat "$dir/pgdir")/data"
    if [ -f "$data/postmaster.pid" ]; then
      as_user "$bin/pg_ctl" -D "$data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
      if [ -f "$data/postmaster.pid" ]; then
        pid=$(head -1 "$data/postmaster.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
      fi
    fi
    rm -rf "$(cat "$dir/pgdir")"
  fi
  rm -rf "$dir"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

do_start() {
  local bin pgdir port tries started=0
  bin=$(find_bin)
  setup_user
  do_stop  # a leftover of an interrupted run
  mkdir -p "$dir"
  # The server's files live under /tmp so that the unprivileged user can reach them whatever
  # the permissions of the build directory's parents.
  pgdir=$(mktemp -d /tmp/hpki-pg.XXXXXX)
  echo "$pgdir" >"$dir/pgdir"
  mkdir -p "$pgdir/data" "$pgdir/sock"
  if [ -n "$RUN_USER" ]; then chown -R "$RUN_USER" "$pgdir"; fi
  chmod 700 "$pgdir/data"
  if ! as_user "$bin/initdb" -D "$pgdir/data" -U hpki --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$pgdir/initdb.log" 2>&1; then
    cat "$pgdir/initdb.log" >&2
    echo "pg-test-server: initdb failed" >&2
    exit 1
  fi
  local speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${PG_DURABLE:-0}" == "1" ] && speed=""
  for tries in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    port_in_use "$port" && continue
    if as_user "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 30 \
        -o "-p $port -k $pgdir/sock -c listen_addresses=127.0.0.1 $speed -c max_connections=200" \
        start >/dev/null 2>&1; then
      started=1
      break
    fi
    if grep -q "could not bind\|could not create lock file\|Address already in use" \
        "$pgdir/server.log" 2>/dev/null; then
      continue
    fi
    cat "$pgdir/server.log" >&2 || true
    echo "pg-test-server: server did not start" >&2
    exit 1
  done
  if [ "$started" -ne 1 ]; then
    echo "pg-test-server: no free port found" >&2
    exit 1
  fi
  as_user "$bin/createdb" -h 127.0.0.1 -p "$port" -U hpki hpki_test
  local url="postgresql://hpki@127.0.0.1:$port/hpki_test"
  echo "$url" >"$dir/url"
  echo "$url"
}

case "$cmd" in
  start) do_start ;;
  stop) do_stop ;;
  *) usage ;;
esac
