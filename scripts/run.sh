#!/usr/bin/env bash
# `make run`: starts hpki with embedded defaults. Until the API server lands (issue 5) this
# prints the version and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
build/bin/hpki version
echo "hpki: the network service ('hpki serve') is not built yet; see README.md 'Status'." >&2
