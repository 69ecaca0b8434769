# Shared helpers for the CLI integration tests (sourced).
# Usage in a test: source lib.sh; setup_db sqlite|postgresql; ... ; assertions via check/expect.
set -euo pipefail

HPKI=${HPKI_BIN:?HPKI_BIN must point at build/bin/hpki}
WORK=$(mktemp -d /tmp/hpki-it.XXXXXX)
DB_URL=""
PG_DB=""
PG_ADMIN=""
cleanup() {
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
