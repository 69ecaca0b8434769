#!/usr/bin/env bash
# Issuance throughput through the REST API (issue 5), hpki against `cfssl serve`, same machine,
# same run, same load generator:
#   bench/compare/issuance.sh BUILD_DIR     (BUILD_DIR from the `release` preset: build-release)
#
# - 64 pre-made P-256 and 64 SM2 CSRs (openssl; SM2 with the standard distinguishing ID);
# - cfssl serve (Debian golang-cfssl, plain HTTP, stores nothing) with a P-256 CA signs the
#   P-256 CSRs at /api/v1/cfssl/sign;
# - hpki serve on a fresh home with ECDSA P-256 and SM2 hierarchies, HTTPS with an API key,
#   issues the same CSRs at /api/v1/certificates — every certificate stored and audited,
#   durably, before its answer (one group-committed write after signing): SQLite
#   synchronous=FULL, and PostgreSQL with fsync on (when its server binaries are installed;
#   BENCH_PG=0 skips it);
# - wrk (Debian wrk) with keep-alive connections as the load generator for both;
# - `openssl speed sm2` (one core) × cores as the raw SM2 signing limit.
# Prints certificates/s, the ratio hpki / cfssl for P-256, and hpki's SM2 rate as a fraction of
# the raw limit. Afterwards it checks that hpki stored every certificate it answered 201 for
# and that the audit log verifies.
# Environment: BENCH_SECONDS (default 10) per run, BENCH_CONNECTIONS (default 64),
# BENCH_WRK_THREADS (default 2), BENCH_WORKERS (hpki worker threads, default: as many as
# connections — a worker waits for its group commit, so concurrency hides the fsync), BENCH_PG.
set -euo pipefail

BUILD_DIR=$(cd "${1:?usage: bench/compare/issuance.sh BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
HPKI="$BUILD_DIR/bin/hpki"
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
WORKERS=${BENCH_WORKERS:-$CONNS}
NCSR=64
[ -x "$HPKI" ] || { echo "issuance.sh: $HPKI not built (cmake --preset release)" >&2; exit 1; }
for t in cfssl wrk openssl jq curl; do
  command -v "$t" >/dev/null || { echo "issuance.sh: $t is required (scripts/install-deps.sh --bench)" >&2; exit 1; }
done

WORK=$(mktemp -d)
PIDS=()
PG_DIR=""
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "$PG_DIR" ] && bash "$SRC/scripts/pg-test-server.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- CSRs and request bodies
echo "== $NCSR P-256 and $NCSR SM2 CSRs" >&2
mkdir -p "$WORK/csr" "$WORK/body/cfssl" "$WORK/body/p256" "$WORK/body/sm2"
for i in $(seq 1 $NCSR); do
  openssl req -new -utf8 -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout /dev/null \
    -subj "/C=CN/O=示例医院/OU=心内科/CN=bench-p256-$i" -out "$WORK/csr/p256-$i.csr" 2>/dev/null
  openssl req -new -utf8 -nodes -newkey sm2 -sm3 -sigopt distid:1234567812345678 -keyout /dev/null \
    -subj "/C=CN/O=示例医院/OU=心内科/CN=bench-sm2-$i" -out "$WORK/csr/sm2-$i.csr" 2>/dev/null
  jq -n --rawfile csr "$WORK/csr/p256-$i.csr" '{certificate_request: $csr}' >"$WORK/body/cfssl/$i.json"
  for f in p256 sm2; do
    fam=$([ $f == p256 ] && echo ecdsa || echo sm2)
    jq -n --rawfile csr "$WORK/csr/$f-$i.csr" --arg fam "$fam" --arg n "bench-$f-$i" \
      '{profile: "staff-sign", family: $fam, csr: $csr, subject: {name: $n, org: "示例医院", dept: "心内科"}}' \
      >"$WORK/body/$f/$i.json"
  done
done

# run_wrk NAME URL BODIES AUTH -> prints "NAME certs/s" into $WORK/rates, details to stderr
run_wrk() {
  local name=$1 url=$2 bodies=$3 auth=$4 out
  out=$(BENCH_BODIES="$bodies" BENCH_NBODIES=$NCSR BENCH_PATH="/${url#*://*/}" BENCH_AUTH="$auth" \
    wrk -t "$WRK_THREADS" -c "$CONNS" -d "${SECS}s" --timeout 10s -s "$SRC/bench/compare/issue.lua" "$url")
  local line; line=$(grep '^BENCH ' <<<"$out")
  local req bad sock sec
  req=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
  bad=$(sed 's/.*bad_status=\([0-9]*\).*/\1/' <<<"$line")
  sock=$(sed 's/.*socket_errors=\([0-9]*\).*/\1/' <<<"$line")
  sec=$(sed 's/.*seconds=\([0-9.]*\).*/\1/' <<<"$line")
  echo "   $name: $line" >&2
  [ "$bad" -eq 0 ] || echo "   $name: WARNING: $bad answers were not 2xx (not counted)" >&2
  echo "$name $(awk -v r="$req" -v b="$bad" -v s="$sec" 'BEGIN { printf "%.0f", (r - b) / s }') $((req - bad)) $sock" >>"$WORK/rates"
}

# --- openssl speed sm2: the raw signing limit
echo "== openssl speed -seconds 3 sm2" >&2
SM2_SIGN=$(openssl speed -mr -seconds 3 sm2 2>/dev/null | awk -F: '/^\+F7:/ { print $5; exit }')
CORES=$(nproc)

# --- cfssl serve
echo "== cfssl serve (P-256 CA)" >&2
mkdir -p "$WORK/cfssl"
openssl ecparam -genkey -name prime256v1 -noout -out "$WORK/cfssl/ca-key.pem"
openssl req -x509 -new -key "$WORK/cfssl/ca-key.pem" -sha256 -days 3650 -subj "/C=CN/O=示例医院/CN=cfssl bench CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$WORK/cfssl/ca.pem" 2>/dev/null
cat >"$WORK/cfssl/config.json" <<'JSON'
{"signing": {"default": {"expiry": "8760h", "usages": ["digital signature", "content commitment"]}}}
JSON
CFSSL_PORT=$(free_port)
cfssl serve -address 127.0.0.1 -port "$CFSSL_PORT" -ca "$WORK/cfssl/ca.pem" -ca-key "$WORK/cfssl/ca-key.pem" \
  -config "$WORK/cfssl/config.json" -loglevel 5 >"$WORK/cfssl/out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$CFSSL_PORT/api/v1/cfssl/sign" && break; sleep 0.1; done
code=$(curl -s -o "$WORK/cfssl/one" -w '%{http_code}' -d @"$WORK/body/cfssl/1.json" "http://127.0.0.1:$CFSSL_PORT/api/v1/cfssl/sign")
[ "$code" == 200 ] && jq -e .success "$WORK/cfssl/one" >/dev/null || { echo "issuance.sh: cfssl sign failed: $code $(cat "$WORK/cfssl/one")" >&2; exit 1; }
run_wrk "cfssl-p256" "http://127.0.0.1:$CFSSL_PORT/api/v1/cfssl/sign" "$WORK/body/cfssl" ""
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'

# --- hpki serve on a fresh home: bench_hpki BACKEND DB_URL
source "$SRC/bench/compare/hpki_server.sh"
export HPKI_PASSPHRASE="bench-passphrase-not-for-production"
export HPKI_PROFILES="$SRC/profiles"
bench_hpki() {
  local backend=$1 url=$2 H="$WORK/home-$1"
  local args=(--families ecdsa,sm2 --org 示例医院)
  [ -n "$url" ] && args+=(--database "$url")
  bench_hpki_start "$HPKI" "$H" "$WORK/serve-$backend" "$WORKERS" -- "${args[@]}"
  local pid=$BENCH_PID key=$BENCH_KEY api=$BENCH_API
  PIDS+=($pid)
  local code
  code=$(curl -s --cacert "$H/tls/ca.pem" -o "$WORK/one" -w '%{http_code}' -H "Authorization: Bearer $key" \
    -d @"$WORK/body/sm2/1.json" "${api}certificates")
  [ "$code" == 201 ] || { echo "issuance.sh: hpki issue failed: $code $(cat "$WORK/one")" >&2; exit 1; }
  echo "== hpki serve ($backend): P-256" >&2
  run_wrk "hpki-$backend-p256" "${api}certificates" "$WORK/body/p256" "Bearer $key"
  echo "== hpki serve ($backend): SM2" >&2
  run_wrk "hpki-$backend-sm2" "${api}certificates" "$WORK/body/sm2" "Bearer $key"
  curl -s "$(grep -o 'http://[^ ]*' "$WORK/serve-$backend.out" | head -n 1)metrics" \
    | grep -E '^hpki_commit_batch_units_(sum|count)' >"$WORK/batch-$backend" || true
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; unset 'PIDS[-1]'
  # Every 201 is a stored, issued certificate (+1 for the check request above) with an audit entry.
  local want; want=$(awk -v b="hpki-$backend-" 'index($1, b) == 1 { n += $3 } END { print n + 1 }' "$WORK/rates")
  local q1="SELECT count(*) FROM certificates WHERE status = 'issued' AND profile = 'staff-sign'"
  local q2="SELECT count(*) FROM audit_log WHERE action = 'cert.issue' AND outcome = 'success' AND details LIKE '%\"profile\":\"staff-sign\"%'"
  local stored audited
  if [ -n "$url" ]; then
    stored=$(psql "$url" -tAc "$q1"); audited=$(psql "$url" -tAc "$q2")
  else
    stored=$(sqlite3 "$H/hpki.db" "$q1"); audited=$(sqlite3 "$H/hpki.db" "$q2")
  fi
  local verify="FAILED"; "$HPKI" --home "$H" audit verify >/dev/null 2>&1 && verify="ok"
  echo "$backend $want $stored $audited $verify" >>"$WORK/checks"
}
bench_hpki sqlite ""
if [ "${BENCH_PG:-1}" != "0" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  PG_DIR="$WORK/pg"
  PG_URL=$(PG_DURABLE=1 bash "$SRC/scripts/pg-test-server.sh" start "$PG_DIR")
  bench_hpki postgresql "$PG_URL"
fi

# --- report
echo
echo "$(openssl version), $(cfssl version 2>/dev/null | head -n 1), wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}') on $CORES cores" \
  "(load generator on the same cores); $CONNS keep-alive connections, ${SECS}s per run;" \
  "hpki $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo '?')"
CFSSL=$(awk '$1 == "cfssl-p256" { print $2 }' "$WORK/rates")
printf "%-24s %10s %10s %14s\n" "server" "certs/s" "issued" "vs cfssl p256"
while read -r name rate n _; do
  printf "%-24s %10s %10s %14s\n" "$name" "$rate" "$n" "$(awk -v a="$rate" -v b="$CFSSL" 'BEGIN { printf "%.2f", a / b }')"
done <"$WORK/rates"
LIMIT=$(awk -v s="$SM2_SIGN" -v c="$CORES" 'BEGIN { printf "%.0f", s * c }')
echo "openssl speed sm2: $(printf '%.0f' "$SM2_SIGN") signs/s per core x $CORES cores = $LIMIT signs/s (raw limit)"
awk '$1 ~ /-sm2$/ { print $1, $2 }' "$WORK/rates" | while read -r name rate; do
  echo "$name: $(awk -v a="$rate" -v b="$LIMIT" 'BEGIN { printf "%.1f%%", 100 * a / b }') of the raw SM2 limit"
done
while read -r backend want stored audited verify; do
  # Requests still in flight when wrk stops are issued too: stored >= answered.
  ok=$([ "$stored" -ge "$want" ] && [ "$stored" == "$audited" ] && [ "$verify" == ok ] && echo OK || echo MISMATCH)
  echo "hpki $backend: $want answered 201, $stored stored as issued, $audited audited (issuance entries); audit verify $verify: $ok"
done <"$WORK/checks"
for f in "$WORK"/batch-*; do
  [ -f "$f" ] || continue
  b=${f##*/batch-}
  awk -v b="$b" '/_sum/ { s = $2 } /_count/ { c = $2 } END { if (c > 0) printf "hpki %s: %d group-commit transactions, %.1f units each on average\n", b, c, s / c }' "$f"
done
