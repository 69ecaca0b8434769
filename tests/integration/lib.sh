# Shared helpers for the CLI integration tests (sourced).
# Usage in a test: source lib.sh; setup_db sqlite|postgresql; new_home ...; start_server ...;
# assertions via check / expect_eq; finish. The EXIT trap (cleanup) stops the servers started
# with start_server and removes $WORK and the test database; a script that sets a trap of its
# own calls cleanup from it.
set -euo pipefail

HPKI=${HPKI_BIN:?HPKI_BIN must point at build/bin/hpki}
WORK=$(mktemp -d /tmp/hpki-it.XXXXXX)
DB_URL=""
PG_DB=""
PG_ADMIN=""
cleanup() {
  stop_servers
  if [ -n "$PG_DB" ]; then psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fails=0
passes=0
check() {  # check "description" command...
  local what=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $what" >&2; fails=$((fails + 1)); fi
}
expect_eq() {  # expect_eq "description" expected actual
  if [ "$2" == "$3" ]; then passes=$((passes + 1)); else echo "FAIL: $1: expected '$2', got '$3'" >&2; fails=$((fails + 1)); fi
}
finish() {
  echo "$passes passed, $fails failed"
  [ "$fails" -eq 0 ]
}

# setup_db sqlite|postgresql: sets DB_URL ("" = the home's SQLite file).
setup_db() {
  if [ "$1" == "postgresql" ]; then
    PG_ADMIN=$(cat "${HPKI_PG_URL_FILE:?}")
    PG_DB="hpki_it_$$_$RANDOM"
    psql "$PG_ADMIN" -qc "CREATE DATABASE $PG_DB" >/dev/null
    DB_URL="${PG_ADMIN%/*}/$PG_DB"
  fi
}

# new_home DIR [families]: hpki ca init with the test passphrase and the chosen database; the
# demo organization may have names under example.cn and 10.0.0.0/8 certified (device, ssl-server).
new_home() {
  local home=$1 families=${2:-rsa,sm2}
  local args=(--home "$home" ca init --families "$families" --org 示例医院 --org-dns example.cn --org-ip 10.0.0.0/8)
  [ -n "$DB_URL" ] && args+=(--database "$DB_URL")
  "$HPKI" "${args[@]}" >/dev/null
}

export HPKI_PASSPHRASE="integration-test-passphrase"

# ---- hpki serve ---------------------------------------------------------------------------------
SERVER=""      # pid of the server of the last start_server ("" once stopped)
SERVER_RC=""   # exit status of the last server stopped or waited for
SERVERS=""     # pids of every server started and not yet waited for (stopped by cleanup)
SERVE_N=0

# start_server HOME [SERVE_ARGS...]: runs `hpki --home HOME serve SERVE_ARGS` in the background
# with its listeners on 127.0.0.1 port 0 (free ports the kernel picks: --http-listen and
# --api-listen are added; the API listener is not opened by --role tsa|ocsp), waits until it has
# printed its listeners and answers GET /healthz on the plain one, and sets
#   SERVER     its pid: stop it with stop_server (or wait_server when it ends by itself)
#   PLAIN      http://127.0.0.1:PORT/ (the plain listener; /tsa, /ocsp, /crl/..., /healthz)
#   API        https://127.0.0.1:PORT/api/v1/ ("" without the API)
#   SERVE_OUT, SERVE_ERR   its stdout and stderr
# Variables assigned before the call reach the server (HPKI_CRASH_AT=point start_server ...).
# Not in a subshell: the server must be a child of the test's shell. If the server exits or
# does not answer within $START_TIMEOUT seconds (default 60), prints its output and fails.
start_server() {
  local home=$1
  shift
  SERVE_N=$((SERVE_N + 1))
  SERVE_OUT=$WORK/serve-$SERVE_N.out
  SERVE_ERR=$WORK/serve-$SERVE_N.err
  PLAIN=""
  API=""
  "$HPKI" --home "$home" serve --http-listen 127.0.0.1:0 --api-listen 127.0.0.1:0 "$@" \
    >"$SERVE_OUT" 2>"$SERVE_ERR" &
  SERVER=$!
  SERVERS="$SERVERS $SERVER"
  local deadline=$((SECONDS + ${START_TIMEOUT:-60} + 1)) url  # SECONDS counts whole seconds
  while :; do
    if grep -q '^  HTTP http://' "$SERVE_OUT" 2>/dev/null; then
      url=$(grep -o 'http://[^ ]*' "$SERVE_OUT" | head -n 1)
      url=${url%/ocsp}    # --role ocsp prints its responder's URL
      PLAIN=${url%/}/
      API=$(grep -o 'https://[^ ]*' "$SERVE_OUT" | head -n 1 || true)
      [ "$(curl -s -o /dev/null -w '%{http_code}' "${PLAIN}healthz" || true)" == 200 ] && return 0
    fi
    if ! kill -0 "$SERVER" 2>/dev/null; then
      server_failed "hpki serve $* exited before it answered"
    elif [ "$SECONDS" -ge "$deadline" ]; then
      server_failed "hpki serve $* did not answer within ${START_TIMEOUT:-60} s"
    fi
    sleep 0.1
  done
}
server_failed() {  # server_failed MESSAGE: the test fails with the server's output
  {
    echo "FAIL: $1"
    echo "---- stdout ($SERVE_OUT)"; cat "$SERVE_OUT" 2>/dev/null || true
    echo "---- stderr ($SERVE_ERR)"; cat "$SERVE_ERR" 2>/dev/null || true
  } >&2
  exit 1
}

# wait_server: waits for the server of the last start_server to end by itself (crash tests);
# its exit status in SERVER_RC.
wait_server() {
  SERVER_RC=""
  [ -n "$SERVER" ] || return 0
  SERVER_RC=0
  wait "$SERVER" || SERVER_RC=$?
  SERVERS=$(tr ' ' '\n' <<<"$SERVERS" | grep -vx "$SERVER" | tr '\n' ' ' || true)
  SERVER=""
}

# stop_server [SIGNAL]: sends SIGNAL (default TERM, a graceful stop) to the server of the last
# start_server and waits for it; its exit status in SERVER_RC (0 for a clean stop).
stop_server() {
  [ -n "$SERVER" ] && kill -"${1:-TERM}" "$SERVER" 2>/dev/null || true
  wait_server
}

# stop_servers: stops every server still running (cleanup does).
stop_servers() {
  local pid
  for pid in $SERVERS; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $SERVERS; do wait "$pid" 2>/dev/null || true; done
  SERVERS=""
  SERVER=""
}
