#!/usr/bin/env bash
# CMS verification throughput (issue 8 Bench): hpki's sign::verify of an attached CMS with its
# chain (root -> issuing CA -> signer) and cached revocation (CRLs of both CAs, parsed once),
# per family, next to `openssl speed` verify/s for the same algorithm measured in the same run
# (one thread each). Target: >= 50% of the raw rate. Not a test: nothing is asserted.
#   usage: bench/compare/verify.sh BUILD_DIR     (bench_verify at BUILD_DIR/bench/)
# Environment: BENCH_SECONDS (default 2) per measurement.
set -euo pipefail

BUILD_DIR=${1:?usage: bench/compare/verify.sh BUILD_DIR}
BIN="$BUILD_DIR/bench/bench_verify"
SECS=${BENCH_SECONDS:-2}
[ -x "$BIN" ] || { echo "verify.sh: $BIN not built (HPKI_BENCH=ON)" >&2; exit 1; }
command -v jq >/dev/null || { echo "verify.sh: jq is required" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

"$BIN" --benchmark_min_time="$SECS" --benchmark_format=json >"$OUT/hpki.json" 2>"$OUT/hpki.err" || {
  cat "$OUT/hpki.err" >&2; exit 1; }
openssl speed -mr -seconds "$SECS" rsa2048 ecdsap256 sm2 >"$OUT/openssl.txt" 2>/dev/null
awk -F: '
  /^\+F2:/ { print "rsa" $3, $5 }
  /^\+F4:/ { if ($3 == 256) print "p256", $5 }
  /^\+F7:/ { print "sm2", $6 }
' "$OUT/openssl.txt" >"$OUT/openssl.rates"
jq -r '.benchmarks[] | select(.run_type == "iteration") |
       (.name | split("/")) as $n | "\($n[1]) \($n[0]) \(.items_per_second)"' \
  "$OUT/hpki.json" >"$OUT/hpki.rates"

echo "CMS verification with chain and cached revocation — $(openssl version), one thread"
awk '
  NR == FNR { ossl[$1] = $2; next }
  { v[$1 " " $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
  END {
    printf "%-8s %14s %14s %14s %16s %9s %9s\n", "alg", "cms verify/s", "service/s", "hpki raw/s", "openssl verify/s", "cms/raw", "svc/raw"
    for (i = 1; i <= n; i++) {
      a = order[i]; o = ossl[a]
      printf "%-8s %14.0f %14.0f %14.0f %16.0f %8.0f%% %8.0f%%\n", a, v[a " cms_verify"], v[a " cms_verify_service"], v[a " raw_verify"], o,
        (o > 0 ? 100 * v[a " cms_verify"] / o : 0), (o > 0 ? 100 * v[a " cms_verify_service"] / o : 0)
    }
  }
' "$OUT/openssl.rates" "$OUT/hpki.rates"
echo "(cms/raw = hpki CMS verifications / openssl speed verify; a CMS verification here checks"
echo " 5 signatures: the CMS, 2 certificates, 2 CRLs; service = 64 documents of the signer with a"
echo " signature cache kept across calls, as hpki serve verifies: 1 fresh signature per document)"
