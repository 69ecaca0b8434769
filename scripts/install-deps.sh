#!/usr/bin/env bash
# Installs every Debian package that hpki's build, tests and run need.
# Idempotent: does nothing when all are present; runs apt-get update only when something
# is missing. Needs root (or sudo) only when it has something to install.
set -euo pipefail

PACKAGES=(
  # build
  g++ cmake ninja-build make pkg-config git ca-certificates
  # libraries
  libssl-dev libspdlog-dev libfmt-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev
  libsqlite3-dev libpq-dev libp11-kit-dev libboost-dev
  # PDF signatures and seals (src/pdf, src/seal; issue 20): qpdf reads and checks the PDF
  # structure, poppler-cpp finds anchor text, libpng + zlib turn seal images into PDF images
  libqpdf-dev libpoppler-cpp-dev libpng-dev zlib1g-dev
  # evidence packages (src/evidence; issue 21): libzip for the ZIP container, cairo + pango for
  # the PDF report (Chinese text with fonts-wqy-zenhei, below); unzip for the interop tests
  libzip-dev libcairo2-dev libpango1.0-dev unzip
  # data: the Public Suffix List, compiled into the validator (--rules webpki wildcards)
  publicsuffix
  # tests, fuzzing, formatting, benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev clang-format
  openssl softhsm2 opensc postgresql sqlite3 jq curl python3
  # PDF interop: qpdf --check, poppler's pdfsig / pdftoppm / pdftotext; poppler-data holds the
  # CMaps (UniGB-UTF16-H) without which poppler neither renders nor finds (anchors) Chinese text
  # in the non-embedded STSong-Light font
  qpdf poppler-utils poppler-data
  # PDF interop: podofosign, a third-party PDF signer (tests/unit/pdf)
  libpodofo-utils
  # benchmarks: HTTP load generator (bench/compare/tsa.sh)
  wrk
  # web front ends (web/: build with Node.js and npm) and their browser tests (tests/e2e:
  # Playwright drives Debian's Chromium; a CJK font for the zh-CN screens)
  nodejs chromium fonts-wqy-zenhei
)
# Debian's npm only where no npm command exists: a Node.js from elsewhere (e.g. Node 20 with
# its own npm) conflicts with Debian's npm package.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(npm)
fi

# `make fuzz` (libFuzzer) needs a clang whose C++ front end handles libstdc++ 12's
# <expected>: clang 16 (clang 14 lacks conditionally trivial special members).
if [ "${1:-}" == "--fuzz" ]; then
  PACKAGES+=(clang-16 libclang-rt-16-dev)
fi
# `make bench` (bench/compare/*.sh): the load generator and the peers hpki is compared with.
if [ "${1:-}" == "--bench" ]; then
  PACKAGES+=(wrk nginx-light golang-cfssl)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: missing packages (${missing[*]}) and not root; run as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
