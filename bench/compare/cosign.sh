#!/usr/bin/env bash
# Mobile co-signing end to end (issue 19 "Performance"): signing requests created by a hospital
# system, approved and co-signed by N simulated phones (create -> approve -> signed), requests/s
# and latency on SQLite and on PostgreSQL, next to the plain signature with a key hpki holds
# (POST /api/v1/sign) in the same run, on the same server:
#   bench/compare/cosign.sh BUILD_DIR     (BUILD_DIR from the `release` preset: build-release)
#
# For each backend: a fresh home (ECDSA and SM2 hierarchies; PostgreSQL from
# scripts/pg-test-server.sh with its durable defaults, skipped when its binaries are missing or
# BENCH_PG=0), rate limits lifted as in hpki_server.sh, an RA officer and an integration API key,
# an SM2 organization signing key (openssl, certified by the home's SM2 CA, registered as
# org-sm2), `hpki serve` on loopback; then bench_cosign_load (bench/load/cosign_load.cpp):
# - cosign: enrolls BENCH_PHONES (8) phones (two-party SM2, one staff subject each), then
#   BENCH_HIS (4) hospital-system connections (HTTPS API, keep-alive) keep at most 2 requests
#   outstanding per phone while each phone (plain HTTP listener, keep-alive) lists GET
#   /api/v1/m/requests and runs S1, sign/start with {"method":"pin"}, S3, sign/finish, and waits
#   on GET /api/v1/m/events when nothing is pending; latency = create sent -> "signed" read by
#   the phone;
# - sign: BENCH_PHONES connections POST /api/v1/sign {"key":"org-sm2","mode":"raw"} in a loop.
# Both: a BENCH_DOC_BYTES (1024) document, raw signatures (BENCH_COSIGN_FORMAT=cms for CMS on
# the co-signing side), 2 s warm-up then BENCH_SECONDS (10) measured; a sample of results
# fetched and verified. hpki CPU = the server process's utime + stime over the window per
# request (PostgreSQL's own processes not included). Load client, server and database share the
# machine's cores. Not a test: nothing is asserted beyond the load client's checks.
set -euo pipefail

BUILD_DIR=$(cd "${1:?usage: bench/compare/cosign.sh BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
HPKI="$BUILD_DIR/bin/hpki"
LOAD="$BUILD_DIR/bench/bench_cosign_load"
PHONES=${BENCH_PHONES:-8}
HIS=${BENCH_HIS:-4}
SECS=${BENCH_SECONDS:-10}
WORKERS=${BENCH_WORKERS:-16}
FORMAT=${BENCH_COSIGN_FORMAT:-raw}
DOC_BYTES=${BENCH_DOC_BYTES:-1024}
ORG=示例医院
for b in "$HPKI" "$LOAD"; do
  [ -x "$b" ] || { echo "cosign.sh: $b not built (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }
done
for t in openssl csplit; do
  command -v "$t" >/dev/null || { echo "cosign.sh: $t is required" >&2; exit 1; }
done
export HPKI_PASSPHRASE="bench-passphrase-not-for-production"
export HPKI_PROFILES="$SRC/profiles"

WORK=$(mktemp -d /tmp/hpki-bench-cosign.XXXXXX)
SERVER=""
PG_DIR=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  [ -n "$PG_DIR" ] && bash "$SRC/scripts/pg-test-server.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The organization's SM2 signing key (for POST /api/v1/sign), made once.
openssl genpkey -algorithm SM2 -out "$WORK/org.key" 2>/dev/null
openssl req -new -key "$WORK/org.key" -sm3 -sigopt distid:1234567812345678 -utf8 \
  -subj "/CN=org" -out "$WORK/org.csr" 2>/dev/null

# run_backend NAME [DATABASE_URL]: appends "NAME <RESULT fields>" lines to $WORK/results.
run_backend() {
  local backend=$1 url=${2:-} H="$WORK/home-$1"
  local h=("$HPKI" --home "$H")
  local init=(ca init --families ecdsa,sm2 --org "$ORG")
  [ -n "$url" ] && init+=(--database "$url")
  echo "== $backend: home, API keys, org-sm2 signing key" >&2
  "${h[@]}" "${init[@]}" >/dev/null
  sed -i '/^\[server\]/a rate_limit_per_second = 10000000\nrate_limit_burst = 10000000\nip_rate_limit_per_second = 0\nmax_connections_per_ip = 0' "$H/hpki.toml"
  local ra his
  ra=$("${h[@]}" apikey create --role ra_officer --org "$ORG" 2>/dev/null | tail -n 1)
  his=$("${h[@]}" apikey create --role integration --org "$ORG" 2>/dev/null | tail -n 1)
  "${h[@]}" cert issue --profile org-sign --csr "$WORK/org.csr" --name "$ORG bench signing" \
    --org "$ORG" --country CN --out "$H/org.pem" >/dev/null
  "${h[@]}" key import --name org-sm2 --in "$WORK/org.key" >/dev/null
  "${h[@]}" ca chain --family sm2 >"$H/chain.pem"
  csplit -s -z -f "$H/ca-" "$H/chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
  "${h[@]}" key register --id org-sm2 --ref file:org-sm2 --cert "$H/org.pem" --chain "$H/ca-00" \
    --org "$ORG" >/dev/null
  "${h[@]}" serve --api-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --threads 2 \
    --workers "$WORKERS" >"$WORK/serve-$backend.out" 2>"$WORK/serve-$backend.err" &
  SERVER=$!
  for _ in $(seq 1 100); do grep -q '^  HTTP' "$WORK/serve-$backend.out" 2>/dev/null && break; sleep 0.1; done
  local api http
  api=$(grep -o 'https://[^ ]*' "$WORK/serve-$backend.out" | head -n 1)
  http=$(grep -o 'http://[^ ]*/$' "$WORK/serve-$backend.out" | head -n 1)
  [ -n "$api" ] && [ -n "$http" ] || { echo "cosign.sh: hpki serve did not start:" >&2; cat "$WORK/serve-$backend.err" >&2; exit 1; }
  local common=(--api "$api" --cacert "$H/tls/ca.pem" --his-key "$his" --seconds "$SECS"
    --warmup 2 --doc-bytes "$DOC_BYTES" --server-pid "$SERVER")
  echo "== $backend: co-signing, $PHONES phones" >&2
  "$LOAD" cosign "${common[@]}" --phone-url "${http%/}" --ra-key "$ra" --org "$ORG" \
    --phones "$PHONES" --his "$HIS" --format "$FORMAT" | sed "s/^RESULT /$backend /" >>"$WORK/results"
  echo "== $backend: POST /api/v1/sign, $PHONES connections" >&2
  "$LOAD" sign "${common[@]}" --sign-key org-sm2 --connections "$PHONES" |
    sed "s/^RESULT /$backend /" >>"$WORK/results"
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
}

run_backend sqlite
if [ "${BENCH_PG:-1}" != "0" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  PG_DIR="$WORK/pg"
  PG_URL=$(PG_DURABLE=1 bash "$SRC/scripts/pg-test-server.sh" start "$PG_DIR")
  run_backend postgresql "$PG_URL"
else
  echo "(PostgreSQL skipped: BENCH_PG=0 or no server binaries — scripts/install-deps.sh)" >&2
fi

# --- report
echo
echo "$(openssl version) on $(nproc) cores (load client, hpki and the database on the same cores);" \
  "$PHONES phones ($HIS HIS connections) / $PHONES connections, ${SECS}s measured after 2s; hpki $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo '?')"
printf "%-11s %-34s %9s %8s %8s %8s %10s %7s\n" backend workload "req/s" "p50 ms" "p90 ms" "p99 ms" "hpki ms/r" errors
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
declare -A RPS
while read -r line; do
  backend=${line%% *}
  mode=$(field mode "$line")
  if [ "$mode" == cosign ]; then
    what="co-signed ($FORMAT, PIN approval)"
  else
    what="POST /api/v1/sign (org-sm2, raw)"
  fi
  RPS["$backend $mode"]=$(field rps "$line")
  printf "%-11s %-34s %9s %8s %8s %8s %10s %7s\n" "$backend" "$what" "$(field rps "$line")" \
    "$(field p50_ms "$line")" "$(field p90_ms "$line")" "$(field p99_ms "$line")" \
    "$(field server_cpu_ms "$line")" "$(field errors "$line")"
done <"$WORK/results"
for b in sqlite postgresql; do
  [ -n "${RPS[$b cosign]:-}" ] && [ -n "${RPS[$b sign]:-}" ] || continue
  awk -v b="$b" -v c="${RPS[$b cosign]}" -v s="${RPS[$b sign]}" \
    'BEGIN { printf "%s: co-signed requests/s = %.3f x plain signatures/s\n", b, c / s }'
done
