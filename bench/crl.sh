#!/usr/bin/env bash
# CRL generation at scale (issue 6 bench, not a test): the time `hpki crl generate` takes for a
# CRL with N revoked entries (default 1,000,000; target < 10 s), on a SQLite home bulk-filled
# with N revoked certificates of the ECDSA issuing CA. Prints the wall time and the CRL size.
#   usage: bench/crl.sh BUILD_DIR [N]
set -euo pipefail

BUILD_DIR=${1:?usage: bench/crl.sh BUILD_DIR [N]}
N=${2:-${CRL_BENCH_ENTRIES:-1000000}}
HPKI="$BUILD_DIR/bin/hpki"
[ -x "$HPKI" ] || { echo "bench/crl.sh: $HPKI not built" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "bench/crl.sh: sqlite3 is required" >&2; exit 1; }

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
export HPKI_PASSPHRASE=bench-passphrase
export HPKI_PROFILES=${HPKI_PROFILES:-$(cd "$(dirname "$0")/.." && pwd)/profiles}
H=$OUT/home
"$HPKI" --home "$H" ca init --families ecdsa --org bench >/dev/null
sed -i 's/^regenerate_on_revoke = true/regenerate_on_revoke = false/' "$H/hpki.toml"

echo "== filling $N revoked certificates of ecdsa-issuing" >&2
# Serials: 16 octets, positive and minimal (first nibble 4); every 10th with an
# invalidity date, reasons cycling through keyCompromise, affiliationChanged, superseded,
# cessationOfOperation (as a real CRL mixes them).
sqlite3 "$H/hpki.db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO certificates (ca_id, serial, subject, profile, status, not_before, not_after,
  der, key_type, requested_by, crl_shard, created_at, updated_at)
SELECT 'ecdsa-issuing', '4' || printf('%031x', i * 2654435761), 'CN=bench ' || i, 'staff-sign',
  'revoked', 1700000000, 1900000000, x'3000', 'p256', 'bench', 0, 1700000000, 1700000000 FROM n;
INSERT INTO revocations (ca_id, serial, reason, revoked_at, invalidity_date)
SELECT ca_id, serial, (CASE (rowid % 4) WHEN 0 THEN 1 WHEN 1 THEN 3 WHEN 2 THEN 4 ELSE 5 END),
  1750000000 + (rowid % 86400), CASE WHEN rowid % 10 = 0 THEN 1749000000 END
FROM certificates WHERE requested_by = 'bench';
COMMIT;
SQL

echo "== hpki crl generate --ca ecdsa-issuing ($N entries)" >&2
start=$(date +%s.%N)
"$HPKI" --home "$H" crl generate --ca ecdsa-issuing --der --out "$OUT/big.crl" >"$OUT/gen.txt"
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc)
bytes=$(stat -c %s "$OUT/big.crl")
entries=$(grep -o '[0-9]* entries' "$OUT/gen.txt" | cut -d' ' -f1)
[ "$entries" == "$N" ] || { echo "bench/crl.sh: CRL has $entries entries, expected $N" >&2; exit 1; }
start=$(date +%s.%N)
"$HPKI" crl show "$OUT/big.crl" --json >/dev/null
end=$(date +%s.%N)
parse=$(echo "$end - $start" | bc)
printf "CRL generation: %d entries, %d bytes, %.2f s (target < 10 s); hpki crl show (parse + print): %.2f s\n" \
  "$N" "$bytes" "$secs" "$parse"
