#!/usr/bin/env bash
# RFC 3161 TSA throughput (issue 7 "Bench"): tokens/s through HTTP with concurrent keep-alive
# clients (wrk POSTing one fixed TimeStampReq) against `hpki serve --role tsa`, for the RSA-2048,
# ECDSA P-256 and SM2 TSAs, printed next to `openssl speed` sign/s for the same key type measured
# in the same run, times the number of cores (the raw signing limit of the machine).
#   usage: bench/compare/tsa.sh BUILD_DIR     (hpki at BUILD_DIR/bin/hpki)
# Environment: BENCH_SECONDS (default 5) per measurement, BENCH_CONNECTIONS (default 64; the
# server gets as many workers, so every connection can have a request in flight while others
# wait for a commit), BENCH_DB (default: SQLite in a temporary home; or a postgresql:// URL of an
# empty database). Every token's record and audit entry are durable before it is signed, and the
# token before it is returned (docs/operations.md "Time-stamping authority"): two commits per
# token, shared with concurrent requests (group commit); wrk, the server and the database share
# the same cores. Not a test: nothing is asserted, but the script prints how many tokens are
# stored and audited next to the granted count, and whether `hpki audit verify` passes.
set -euo pipefail

BUILD_DIR=${1:?usage: bench/compare/tsa.sh BUILD_DIR}
HPKI="$BUILD_DIR/bin/hpki"
SECS=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNECTIONS:-64}
CORES=$(nproc)
[ -x "$HPKI" ] || { echo "tsa.sh: $HPKI not built" >&2; exit 1; }
for t in wrk openssl curl; do
  command -v "$t" >/dev/null || { echo "tsa.sh: $t is required (scripts/install-deps.sh)" >&2; exit 1; }
done
export HPKI_PROFILES=${HPKI_PROFILES:-$(cd "$(dirname "$0")/../.." && pwd)/profiles}
export HPKI_PASSPHRASE="bench-passphrase-not-secret"

WORK=$(mktemp -d /tmp/hpki-bench-tsa.XXXXXX)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

echo "== hpki ca init (rsa, ecdsa, sm2) in $WORK" >&2
init=(--home "$WORK/home" ca init --families rsa,ecdsa,sm2 --org Bench)
[ -n "${BENCH_DB:-}" ] && init+=(--database "$BENCH_DB")
"$HPKI" "${init[@]}" >/dev/null
"$HPKI" --home "$WORK/home" serve --role tsa --http-listen 127.0.0.1:0 --threads 2 \
  --workers "$CONNS" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
for _ in $(seq 1 100); do grep -q '^  TSA' "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://[^ ]*/tsa' "$WORK/serve.out") || { cat "$WORK/serve.err" >&2; exit 1; }

printf 'bench document\n' >"$WORK/doc.txt"
openssl ts -query -data "$WORK/doc.txt" -sha256 -cert -out "$WORK/sha256.tsq" 2>/dev/null
openssl ts -query -data "$WORK/doc.txt" -sm3 -cert -out "$WORK/sm3.tsq" 2>/dev/null
cat >"$WORK/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("TSQ"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/timestamp-query"
LUA

echo "== openssl speed -seconds $SECS rsa2048 ecdsap256 sm2 (one core)" >&2
openssl speed -mr -seconds "$SECS" rsa2048 ecdsap256 sm2 >"$WORK/speed.txt" 2>/dev/null
raw() {  # raw <family>: sign/s on one core
  case $1 in
    rsa) awk -F: '/^\+F2:/ && $3 == 2048 { print $4 }' "$WORK/speed.txt" ;;
    ecdsa) awk -F: '/^\+F4:/ && $3 == 256 { print $4 }' "$WORK/speed.txt" ;;
    sm2) awk -F: '/^\+F7:/ { print $5 }' "$WORK/speed.txt" ;;
  esac
}

declare -A RATE ERRORS
for fam in rsa ecdsa sm2; do
  q=sha256.tsq
  [ "$fam" == "sm2" ] && q=sm3.tsq
  # Warm-up and a sanity check that the TSA grants (HTTP 200 with a granted status).
  curl -s -H 'Content-Type: application/timestamp-query' --data-binary @"$WORK/$q" \
    "$URL/$fam" -o "$WORK/check.tsr"
  openssl ts -reply -in "$WORK/check.tsr" -text 2>/dev/null | grep -q 'Status: Granted' || {
    echo "tsa.sh: the $fam TSA did not grant" >&2; exit 1; }
  echo "== wrk -t2 -c$CONNS -d${SECS}s POST $URL/$fam" >&2
  TSQ="$WORK/$q" wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$WORK/post.lua" "$URL/$fam" >"$WORK/wrk-$fam.txt"
  RATE[$fam]=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk-$fam.txt")
  ERRORS[$fam]=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$WORK/wrk-$fam.txt")
done
granted=$(curl -s "${URL%tsa}metrics" | awk '/^hpki_timestamps_total\{.*status="granted"/ { s += $2 } END { print s + 0 }')
rejected=$(curl -s "${URL%tsa}metrics" | awk '/^hpki_timestamps_total\{.*status="rejection"/ { s += $2 } END { print s + 0 }')
batch=$(curl -s "${URL%tsa}metrics" | awk '/^hpki_tsa_round_requests_sum\{kind="recorded"\}/ { r = $2 } /^hpki_tsa_round_requests_sum\{kind="stored"\}/ { s = $2 } /^hpki_tsa_round_requests_count\{kind="recorded"\}/ { c = $2 } END { if (c > 0) printf "%.1f requests recorded + %.1f tokens stored per commit round (%d rounds)", r / c, s / c, c; else print "?" }')
kill -TERM "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
# Every granted token is stored (with its token) and audited; the audit chain verifies.
q1="SELECT count(*) FROM timestamp_tokens"
q2="SELECT count(*) FROM audit_log WHERE action = 'timestamp.issue'"
if [ -n "${BENCH_DB:-}" ]; then
  stored=$(psql "$BENCH_DB" -tAc "$q1"); audited=$(psql "$BENCH_DB" -tAc "$q2")
else
  stored=$(sqlite3 "$WORK/home/hpki.db" "$q1"); audited=$(sqlite3 "$WORK/home/hpki.db" "$q2")
fi
verify=FAILED; "$HPKI" --home "$WORK/home" audit verify >/dev/null 2>&1 && verify=ok

echo
echo "$(openssl version) on $CORES cores; hpki $(git -C "$(dirname "$0")/../.." describe --always --dirty 2>/dev/null || echo '?'); database $([ -n "${BENCH_DB:-}" ] && echo postgresql || echo sqlite); $CONNS keep-alive connections"
printf "%-10s %12s %18s %16s %7s\n" "TSA" "tokens/s" "openssl sign/s x$CORES" "sign/s (1 core)" "ratio"
for fam in rsa ecdsa sm2; do
  r=$(raw "$fam")
  label=$fam
  case $fam in rsa) label=RSA-2048 ;; ecdsa) label=P-256 ;; sm2) label=SM2 ;; esac
  awk -v l="$label" -v t="${RATE[$fam]}" -v r="$r" -v c="$CORES" 'BEGIN {
    printf "%-10s %12.0f %18.0f %16.0f %7.2f\n", l, t, r * c, r, t / (r * c) }'
  [ -n "${ERRORS[$fam]}" ] && echo "  ($label: ${ERRORS[$fam]} non-2xx responses)"
done
echo "(ratio = tokens/s / (openssl sign/s x cores); target >= 0.80. Tokens granted $granted, rejected $rejected.)"
echo "Stored with token: $stored, audited: $audited, audit verify: $verify; on average $batch"
[ "$stored" -ge "$granted" ] && [ "$audited" -ge "$granted" ] && [ "$verify" == ok ] || echo "tsa.sh: MISMATCH: granted tokens missing from the database or audit log" >&2
