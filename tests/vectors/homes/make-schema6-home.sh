#!/usr/bin/env bash
# Makes the "schema 6" hpki homes of tests/vectors/homes/ with an hpki binary of the version
# before issue 17 (commit 0033a15, the last one that reserved a serial before signing). Not run
# by the tests: they read the committed result (README.md here says how it was made).
#   make-schema6-home.sh OLD_HPKI OUT_DIR [POSTGRES_URL]
# With POSTGRES_URL the home's database is that (empty) PostgreSQL database and OUT_DIR also
# gets its plain pg_dump (hpki.pgdump.sql); the home's hpki.toml then names the URL, which the
# test replaces.
set -euo pipefail
OLD=$(readlink -f "$1")
OUT=$2
PG=${3:-}
[ -e "$OUT" ] && { echo "$OUT exists" >&2; exit 2; }
export HPKI_PASSPHRASE="integration-test-passphrase"
W=$(mktemp -d)
trap 'kill "$SRV" 2>/dev/null || true; rm -rf "$W"' EXIT
SRV=""
H=$OUT/home
h() { "$OLD" --home "$H" "$@"; }
args=(ca init --families rsa,ecdsa,sm2 --org 示例医院 --org-dns example.cn --org-ip 10.0.0.0/8)
[ -n "$PG" ] && args+=(--database "$PG")
mkdir -p "$OUT"
h "${args[@]}" >/dev/null

openssl req -new -newkey rsa:2048 -nodes -keyout "$W/r.key" -out "$W/rsa.csr" -subj "/CN=x" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/e.key" \
  -out "$W/ec.csr" -subj "/CN=x" 2>/dev/null
openssl req -new -newkey sm2 -sm3 -sigopt distid:1234567812345678 -nodes -keyout "$W/s.key" \
  -out "$W/sm2.csr" -subj "/CN=x" 2>/dev/null

# Certificates in every state the old version wrote: issued, revoked, on hold, superseded by a
# modification, never delivered (a reservation resolved by the old recovery).
a=$(h cert issue --profile staff-sign --csr "$W/rsa.csr" --name 张三 --org 示例医院 --dept 心内科)
b=$(h cert issue --profile staff-sign --csr "$W/sm2.csr" --name 李四 --org 示例医院 --dept 急诊科)
c=$(h cert issue --profile staff-sign --csr "$W/ec.csr" --name 王五 --org 示例医院)
d=$(h cert issue --profile staff-sign --csr "$W/sm2.csr" --name 赵六 --org 示例医院)
h cert revoke "$a" --reason keyCompromise >/dev/null
h cert hold "$c" >/dev/null
h cert modify "$d" --dept 儿科 >/dev/null
set +e
HPKI_CRASH_AT=issue.after_reserve h cert issue --profile staff-sign --csr "$W/sm2.csr" \
  --name 钱七 --org 示例医院 >/dev/null 2>&1
set -e
sed -i 's/^recovery_grace_seconds = .*/recovery_grace_seconds = 0/' "$H/hpki.toml"
h cert status "$a" >/dev/null  # the old recovery: never delivered
sed -i 's/^recovery_grace_seconds = .*/recovery_grace_seconds = 60/' "$H/hpki.toml"

# Timestamps through the old TSA (records written before signing, tokens after).
"$OLD" --home "$H" serve --http-listen 127.0.0.1:0 --api-listen 127.0.0.1:0 >"$W/serve.out" 2>&1 &
SRV=$!
for _ in $(seq 600); do grep -q '^  HTTP http://' "$W/serve.out" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$W/serve.out" | head -n 1)
echo "record one" >"$W/data"
for alg in sha256 sm3; do
  openssl ts -query -data "$W/data" -"$alg" -cert -out "$W/q.tsq" 2>/dev/null
  curl -sf -H 'Content-Type: application/timestamp-query' --data-binary @"$W/q.tsq" \
    "${url%/}/tsa" -o "$OUT/token-$alg.tsr"
done
kill "$SRV"; wait "$SRV" || true; SRV=""

# Last: a reservation left by a crash (status issuing, no DER), which the old version would
# resolve at its next start after recovery_grace_seconds and the new one resolves on upgrade.
set +e
HPKI_CRASH_AT=issue.after_reserve h cert issue --profile staff-sign --csr "$W/rsa.csr" \
  --name 孙八 --org 示例医院 >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 137 ] || { echo "the crash point did not fire ($rc)" >&2; exit 1; }
[ -z "$PG" ] && sqlite3 "$H/hpki.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
rm -f "$H/hpki.db-wal" "$H/hpki.db-shm"
if [ -n "$PG" ]; then pg_dump --no-owner --no-privileges "$PG" >"$OUT/hpki.pgdump.sql"; fi
echo "made $OUT"
