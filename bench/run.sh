#!/usr/bin/env bash
# make bench: runs hpki's sign/verify micro-benchmarks and `openssl speed` for the same
# algorithms in the same run, and prints them side by side with the ratio hpki / openssl.
#   usage: bench/run.sh BUILD_DIR   (BUILD_DIR from the `release` preset, e.g. build-release)
# Environment: BENCH_SECONDS (default 2) = seconds per measurement for both tools.
# Both run single-threaded. openssl speed signs a precomputed digest with a cached key; hpki
# hashes a 32-byte message through its API, so the ratio shows the cost of our layer.
set -euo pipefail

BUILD_DIR=${1:?usage: bench/run.sh BUILD_DIR}
SECONDS_PER=${BENCH_SECONDS:-2}
BIN="$BUILD_DIR/bench/bench_sign"
[ -x "$BIN" ] || { echo "bench/run.sh: $BIN not built (cmake --preset release)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench/run.sh: jq is required (scripts/install-deps.sh)" >&2; exit 1; }

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "== hpki micro-benchmarks ($BIN, ${SECONDS_PER}s each)" >&2
"$BIN" --benchmark_min_time="$SECONDS_PER" --benchmark_format=json >"$OUT/hpki.json" 2>"$OUT/hpki.err" || {
  cat "$OUT/hpki.err" >&2; exit 1; }

echo "== openssl speed -seconds $SECONDS_PER rsa2048 rsa3072 ecdsap256 ecdsap384 sm2" >&2
# -mr: machine-readable lines, all rates in operations per second:
#   +F2:<i>:<bits>:<sign/s>:<verify/s>             RSA
#   +F4:<i>:<bits>:<sign/s>:<verify/s>             ECDSA
#   +F7:<i>:<bits>:<curve>:<sign/s>:<verify/s>     SM2 (OpenSSL 3.0 has `speed sm2`)
openssl speed -mr -seconds "$SECONDS_PER" rsa2048 rsa3072 ecdsap256 ecdsap384 sm2 \
  >"$OUT/openssl.txt" 2>"$OUT/openssl.err" || { cat "$OUT/openssl.err" >&2; exit 1; }

# "alg op rate" lines from openssl.
awk -F: '
  /^\+F2:/ { print "rsa" $3, "sign", $4; print "rsa" $3, "verify", $5 }
  /^\+F4:/ { a = ($3 == 256) ? "p256" : ($3 == 384) ? "p384" : "ec" $3; print a, "sign", $4; print a, "verify", $5 }
  /^\+F7:/ { print "sm2", "sign", $5; print "sm2", "verify", $6 }
' "$OUT/openssl.txt" >"$OUT/openssl.rates"

# "alg op rate" lines from hpki (benchmark names are "<op>/<alg>").
jq -r '.benchmarks[] | select(.run_type == "iteration") |
       (.name | split("/")) as $n | "\($n[1]) \($n[0]) \(.items_per_second)"' \
  "$OUT/hpki.json" >"$OUT/hpki.rates"

echo
echo "$(openssl version) on $(nproc) cores; hpki $(git -C "$(dirname "$0")/.." describe --always --dirty 2>/dev/null || echo '?')"
awk '
  NR == FNR { ossl[$1 " " $2] = $3; next }
  { hpki[$1 " " $2] = $3; order[++n] = $1 " " $2 }
  END {
    printf "%-8s %-12s %14s %14s %7s\n", "alg", "op", "hpki ops/s", "openssl ops/s", "ratio"
    for (i = 1; i <= n; i++) {
      split(order[i], k, " ")
      base = (k[2] == "verify_spki") ? k[1] " verify" : order[i]
      o = ossl[base]
      if (o == "") { printf "%-8s %-12s %14.0f %14s %7s\n", k[1], k[2], hpki[order[i]], "-", "-"; continue }
      printf "%-8s %-12s %14.0f %14.0f %7.2f\n", k[1], k[2], hpki[order[i]], o, hpki[order[i]] / o
    }
  }
' "$OUT/openssl.rates" "$OUT/hpki.rates"
echo "(ratio = hpki / openssl; verify_spki includes decoding the SubjectPublicKeyInfo each time)"

# OCSP responder against nginx, `openssl ocsp` and cfssl (issue 6); needs root (own network
# namespace) and the bench-only packages (scripts/install-deps.sh --bench).
echo
if [ "$(id -u)" -eq 0 ] && command -v wrk >/dev/null && command -v nginx >/dev/null &&
  command -v cfssl >/dev/null; then
  bash "$(dirname "$0")/compare/ocsp.sh" "$BUILD_DIR"
else
  echo "(OCSP comparison skipped: needs root and wrk, nginx, cfssl — scripts/install-deps.sh --bench)"
fi
# Issuance through the REST API against cfssl (issue 5).
echo
echo "== bench/compare/issuance.sh" >&2
bash "$(dirname "$0")/compare/issuance.sh" "$BUILD_DIR"
# Where issuance's CPU goes, by stage, against cfssl's (issue 17).
echo
echo "== bench/compare/issuance_cpu.sh" >&2
bash "$(dirname "$0")/compare/issuance_cpu.sh" "$BUILD_DIR"
# Side-by-side service benchmarks (each prints its own table).
echo
echo "== RFC 3161 TSA over HTTP (bench/compare/tsa.sh)" >&2
bash "$(dirname "$0")/compare/tsa.sh" "$BUILD_DIR"
# CRL generation at scale (issue 6): 1,000,000 revoked entries, target < 10 s.
echo
echo "== CRL generation (bench/crl.sh)" >&2
bash "$(dirname "$0")/crl.sh" "$BUILD_DIR" "${CRL_BENCH_ENTRIES:-1000000}"
# CMS verification with chain and cached revocation (issue 8).
echo
echo "== CMS verification (bench/compare/verify.sh)" >&2
bash "$(dirname "$0")/compare/verify.sh" "$BUILD_DIR"
# Two-party SM2 co-signing (issue 19): hpki's CPU per co-signed document against one plain SM2
# signature by the file-key signer, and the ratio.
echo
echo "== two-party SM2 (bench_cosign)" >&2
# Medians of 5 interleaved repetitions: single runs drift too much on a shared machine.
"$BUILD_DIR/bench/bench_cosign" --benchmark_min_time=0.5 --benchmark_repetitions=5 \
  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
# Mobile co-signing end to end (issue 19): HIS + simulated phones, SQLite and PostgreSQL, next to
# POST /api/v1/sign with a key hpki holds.
echo
echo "== mobile co-signing end to end (bench/compare/cosign.sh)" >&2
bash "$(dirname "$0")/compare/cosign.sh" "$BUILD_DIR"
# PDF signatures (issue 20): PAdES B-B signatures and verifications per second of a 1-page and a
# 100-page (~5 MB) PDF next to the raw signature of the same key (overhead_us = the PDF layer),
# then peak memory against the document's size (5 and 50 MB).
echo
echo "== PDF signatures (bench_pdf, bench_pdf_memory)" >&2
"$BUILD_DIR/bench/bench_pdf" --benchmark_min_time="${PDF_BENCH_SECONDS:-0.5}"
echo
"$BUILD_DIR/bench/bench_pdf_memory"
# Audit inclusion proofs (issue 21): proof and verification time and proof length for logs of
# 10^3 .. 10^6 entries (SQLite, built once in a temporary directory; about a minute in all).
echo
echo "== audit inclusion proofs (bench_audit)" >&2
"$BUILD_DIR/bench/bench_audit" --benchmark_min_time="${AUDIT_BENCH_SECONDS:-0.3}"
# Evidence packages (issue 21): packages exported per second and their size for one detached CMS
# signature, the offline verification of the package next to the signature's verification alone.
echo
echo "== evidence packages (bench_evidence)" >&2
"$BUILD_DIR/bench/bench_evidence" --benchmark_min_time="${EVIDENCE_BENCH_SECONDS:-0.5}"
