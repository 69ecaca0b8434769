#!/usr/bin/env bash
# CPU per certificate, by stage (issue 17: "µs of CPU per object by stage"), hpki against
# `cfssl serve`, same machine, same run, same load generator as bench/compare/issuance.sh:
#   bench/compare/issuance_cpu.sh BUILD_DIR [OTHER_BUILD_DIR]
# BUILD_DIR from the `release` preset; OTHER_BUILD_DIR (optional) is another hpki build, e.g. of
# an older commit, measured the same way in the same run ("before" and "after").
#
# Throughput on a shared machine says little about where the time goes; CPU time does. For each
# server it runs wrk (P-256 issuance, BENCH_CONNECTIONS keep-alive connections, BENCH_SECONDS)
# and reads the CPU time (user + system, /proc) of every server thread before and after, and
# wrk's own. Per certificate:
# - hpki, by thread — each thread is one stage of the pipeline (thread names, core/thread.h):
#     hpki-io          TLS, HTTP parsing and writing
#     hpki-issue       the issuance executor: CSR parsing and proof of possession, policy, TBS,
#                      lint, signature, the JSON answer (split further with perf, see below)
#     hpki-commit      the group commit: SQL, audit-chain hashing, the WAL write and fsync
#     hpki-ocsp-sign   pre-signing the OCSP response of every new certificate, storing it
#     hpki-ocsp-sync   the responder's poll for changes made by other nodes
#     hpki (other)     everything else (CRL publisher, main thread)
# - with perf installed (Debian linux-perf) and BENCH_PERF=1 (default when perf runs), the
#   hpki-issue thread is split by inclusive samples of its functions (a separate 5 s run, so that
#   perf's own cost stays out of the figures above): CSR proof of possession
#   (x509::CertificationRequest::verify_pop), building, linting and signing the certificate
#   (ca::CaService::sign, lint being x509::lint_tbs_certificate), the rest of the job.
# - cfssl serve: the whole process (Go: no stage threads), plain HTTP, stores nothing.
# - wrk: the load generator's CPU per request, which the two cores also pay.
# The two cores' capacity divided by (server + wrk) µs per certificate is the ceiling of each
# server's rate on this machine; the ratio of the ceilings is what the µs explain.
set -euo pipefail

BUILD_DIR=$(cd "${1:?usage: bench/compare/issuance_cpu.sh BUILD_DIR [OTHER_BUILD_DIR]}" && pwd)
OTHER=${2:+$(cd "$2" && pwd)}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
NCSR=64
TCK=$(getconf CLK_TCK)
for t in cfssl wrk openssl jq curl; do
  command -v "$t" >/dev/null || { echo "issuance_cpu.sh: $t is required (scripts/install-deps.sh --bench)" >&2; exit 1; }
done
PERF=""
if [ "${BENCH_PERF:-1}" == "1" ] && command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
  PERF=perf
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== $NCSR P-256 CSRs" >&2
mkdir -p "$WORK/body/cfssl" "$WORK/body/hpki"
for i in $(seq 1 $NCSR); do
  openssl req -new -utf8 -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout /dev/null \
    -subj "/C=CN/O=示例医院/OU=心内科/CN=bench-p256-$i" -out "$WORK/p.csr" 2>/dev/null
  jq -n --rawfile csr "$WORK/p.csr" '{certificate_request: $csr}' >"$WORK/body/cfssl/$i.json"
  jq -n --rawfile csr "$WORK/p.csr" --arg n "bench-p256-$i" \
    '{profile: "staff-sign", family: "ecdsa", csr: $csr, subject: {name: $n, org: "示例医院", dept: "心内科"}}' \
    >"$WORK/body/hpki/$i.json"
done

# CPU ticks of every thread of PID: "comm ticks" lines, summed per thread name.
thread_ticks() {
  local pid=$1 t
  for t in /proc/"$pid"/task/*; do
    # comm may contain spaces: the fields after the closing parenthesis.
    # A thread may end between the listing and the read.
    { sed -E 's/^[0-9]+ \((.*)\) (.*)$/\1\t\2/' "$t/stat" 2>/dev/null || true; } |
      awk -F'\t' '{ split($2, f, " "); print $1 "\t" f[12] + f[13] }'
  done | awk -F'\t' '{ s[$1] += $2 } END { for (k in s) print k "\t" s[k] }'
}

# measure NAME URL BODIES AUTH PID: wrk under `time`, thread CPU before/after -> $WORK/NAME.*
measure() {
  local name=$1 url=$2 bodies=$3 auth=$4 pid=$5
  BENCH_BODIES="$bodies" BENCH_NBODIES=$NCSR BENCH_PATH="/${url#*://*/}" BENCH_AUTH="$auth" \
    wrk -t 2 -c "$CONNS" -d 2s --timeout 10s -s "$SRC/bench/compare/issue.lua" "$url" >/dev/null
  thread_ticks "$pid" >"$WORK/$name.t0"
  /usr/bin/time -f "%U %S" -o "$WORK/$name.wrktime" env BENCH_BODIES="$bodies" BENCH_NBODIES=$NCSR \
    BENCH_PATH="/${url#*://*/}" BENCH_AUTH="$auth" \
    wrk -t 2 -c "$CONNS" -d "${SECS}s" --timeout 10s -s "$SRC/bench/compare/issue.lua" "$url" >"$WORK/$name.wrk"
  thread_ticks "$pid" >"$WORK/$name.t1"
  if [ -n "$PERF" ] && [ "$name" != cfssl ]; then
    # A separate run for the split of hpki-issue: perf's own cost stays out of the CPU above.
    perf record -q -F 499 --call-graph dwarf,16384 -o "$WORK/$name.perf" -p "$pid" -- sleep 5 \
      >/dev/null 2>&1 &
    local perf_pid=$!
    BENCH_BODIES="$bodies" BENCH_NBODIES=$NCSR BENCH_PATH="/${url#*://*/}" BENCH_AUTH="$auth" \
      wrk -t 2 -c "$CONNS" -d 5s --timeout 10s -s "$SRC/bench/compare/issue.lua" "$url" >/dev/null
    wait "$perf_pid" 2>/dev/null || true
  fi
  sed -n 's/.*requests=\([0-9]*\) bad_status=\([0-9]*\).*/\1 \2/p' "$WORK/$name.wrk" >"$WORK/$name.n"
}

echo "== cfssl serve" >&2
mkdir -p "$WORK/cfssl"
openssl ecparam -genkey -name prime256v1 -noout -out "$WORK/cfssl/ca-key.pem"
openssl req -x509 -new -key "$WORK/cfssl/ca-key.pem" -sha256 -days 3650 -subj "/C=CN/O=示例医院/CN=cfssl bench CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$WORK/cfssl/ca.pem" 2>/dev/null
echo '{"signing": {"default": {"expiry": "8760h", "usages": ["digital signature", "content commitment"]}}}' >"$WORK/cfssl/config.json"
PORT=$(free_port)
cfssl serve -address 127.0.0.1 -port "$PORT" -ca "$WORK/cfssl/ca.pem" -ca-key "$WORK/cfssl/ca-key.pem" \
  -config "$WORK/cfssl/config.json" -loglevel 5 >"$WORK/cfssl/out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/cfssl/sign" && break; sleep 0.1; done
measure cfssl "http://127.0.0.1:$PORT/api/v1/cfssl/sign" "$WORK/body/cfssl" "" "${PIDS[-1]}"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'

source "$SRC/bench/compare/hpki_server.sh"
export HPKI_PASSPHRASE="bench-passphrase-not-for-production"
export HPKI_PROFILES="$SRC/profiles"
hpki_run() {  # hpki_run NAME BUILD
  local name=$1
  bench_hpki_start "$2/bin/hpki" "$WORK/home-$1" "$WORK/serve-$name" "$CONNS" -- \
    --families ecdsa --org 示例医院
  local pid=$BENCH_PID key=$BENCH_KEY api=$BENCH_API
  PIDS+=($pid)
  echo "== hpki serve ($name: $2)" >&2
  measure "$name" "${api}certificates" "$WORK/body/hpki" "Bearer $key" "$pid"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; unset 'PIDS[-1]'
}
hpki_run hpki "$BUILD_DIR"
[ -n "$OTHER" ] && hpki_run other "$OTHER"

# --- report: µs of CPU per certificate
us() { awk -v t="$1" -v n="$2" -v k="$TCK" 'BEGIN { printf "%.0f", t / k * 1e6 / n }'; }
report() {  # report NAME LABEL
  local name=$1 label=$2 n bad
  read -r n bad <"$WORK/$name.n"
  n=$((n - bad))
  echo
  echo "$label: $n certificates in ${SECS}s ($((n / SECS))/s), µs of CPU per certificate"
  join -t $'\t' -a 1 -e 0 -o 0,1.2,2.2 <(sort "$WORK/$name.t1") <(sort "$WORK/$name.t0") |
    awk -F'\t' '{ print $1 "\t" $2 - $3 }' >"$WORK/$name.delta"
  local total=0 line comm ticks
  while IFS=$'\t' read -r comm ticks; do
    [ "$ticks" -gt 0 ] || continue
    printf "  %-22s %6s\n" "$comm" "$(us "$ticks" "$n")"
    total=$((total + ticks))
  done < <(sort -t $'\t' -k2,2nr "$WORK/$name.delta")
  local server_us wrk_us
  server_us=$(us "$total" "$n")
  wrk_us=$(awk -v n="$n" '{ printf "%.0f", ($1 + $2) * 1e6 / n }' "$WORK/$name.wrktime")
  printf "  %-22s %6s\n" "server total" "$server_us" "wrk (load generator)" "$wrk_us"
  if [ -f "$WORK/$name.perf" ]; then
    local issue_us
    issue_us=$(awk -F'\t' '$1 == "hpki-issue" { print $2 }' "$WORK/$name.delta")
    issue_us=$(us "${issue_us:-0}" "$n")
    perf report -i "$WORK/$name.perf" --comms hpki-issue --children --sort sym -q -g none 2>/dev/null |
      awk -v u="$issue_us" '
        function take(pat, label) { if (index($0, pat) && !(label in got)) { got[label] = $1 + 0 } }
        { take("x509::CertificationRequest::verify_pop", "CSR proof of possession");
          if ($NF == "hpki::ca::CaService::sign" && !("build, lint and sign" in got))
            got["build, lint and sign"] = $1 + 0;
          take("x509::lint_tbs_certificate", "(of which lint)");
          if (index($0, "hpki::http::WorkerPool::run") && !("all" in got)) got["all"] = $1 + 0 }
        END {
          if (!("all" in got) || got["all"] == 0) exit
          rest = got["all"]
          for (k in got) if (k != "all") {
            printf "    hpki-issue: %-24s %6.0f\n", k, u * got[k] / got["all"]
            if (substr(k, 1, 1) != "(") rest -= got[k] }
          printf "    hpki-issue: %-24s %6.0f\n", "the rest of the job", u * rest / got["all"] }'
  fi
  echo "$server_us $wrk_us" >"$WORK/$name.sum"
}
report cfssl "cfssl serve (P-256, plain HTTP, stores nothing)"
report hpki "hpki $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo '?') ($BUILD_DIR)"
[ -n "$OTHER" ] && report other "hpki ($OTHER)"
echo
cores=$(nproc)
for name in cfssl hpki ${OTHER:+other}; do
  read -r s w <"$WORK/$name.sum"
  echo "$name: ceiling on $cores cores = $(awk -v s="$s" -v w="$w" -v c="$cores" 'BEGIN { printf "%.0f", c * 1e6 / (s + w) }') certificates/s (server + wrk µs per certificate)"
done
