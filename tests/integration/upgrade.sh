#!/usr/bin/env bash
# Upgrade (issue 17): a home made by the version before schema 7 — the committed homes of
# tests/vectors/homes/, made by make-schema6-home.sh with that version's binary: certificates
# issued, revoked, on hold, superseded, one never delivered, timestamps, and a reservation a
# crash left (status issuing) — opens with this version: the schema becomes 7, the reservation
# is recorded as never delivered, revoked and audited, everything else reads as before, the
# audit log verifies, and the home goes on issuing certificates and timestamps (serials after
# the old ones).
#   tests/integration/upgrade.sh sqlite|postgresql
source "$(dirname "$0")/lib.sh"
setup_db "$1"
FIX=$(cd "$(dirname "$0")/../vectors/homes/schema6-$1" && pwd)
H=$WORK/home
cp -a "$FIX/home" "$H"
chmod 700 "$H" "$H/keys"
if [ "$1" == "postgresql" ]; then
  psql "$DB_URL" -q -v ON_ERROR_STOP=1 -f "$FIX/hpki.pgdump.sql" >/dev/null
  sed -i "s|^url = .*|url = \"$DB_URL\"|" "$H/hpki.toml"
  version() { psql "$DB_URL" -tAc 'SELECT MAX(version) FROM schema_version'; }
  issuing_rows() { psql "$DB_URL" -tAc "SELECT COUNT(*) FROM certificates WHERE status = 'issuing'"; }
else
  version() { sqlite3 "$H/hpki.db" 'SELECT MAX(version) FROM schema_version'; }
  issuing_rows() { sqlite3 "$H/hpki.db" "SELECT COUNT(*) FROM certificates WHERE status = 'issuing'"; }
fi
h() { "$HPKI" --home "$H" "$@"; }
cd "$WORK"

expect_eq "before: schema 6" 6 "$(version)"
expect_eq "before: one reservation left by a crash" 1 "$(issuing_rows)"

# The first command that opens the home upgrades it, and says so.
all=$(h --json cert list --limit 1000 2>upgrade.err)
check "the upgrade says what it did" grep -q "1 issuance(s) interrupted under the older version recorded as never delivered" upgrade.err
expect_eq "after: schema 12 (7, then mobile co-signing's tables, seals, PDF signing requests, audit subtrees, evidence packages)" 12 "$(version)"
expect_eq "after: no reservation" 0 "$(issuing_rows)"
count() { jq "[.[] | select(.profile == \"staff-sign\" and .status == \"$1\")] | length" <<<"$all"; }
expect_eq "issued as before (two) " 2 "$(count issued)"
expect_eq "revoked as before (key compromise, superseded)" 2 "$(count revoked)"
expect_eq "on hold as before" 1 "$(count hold)"
expect_eq "never delivered: the old recovery's and the upgrade's" 2 "$(count never_delivered)"
h --json cert list --limit 1000 2>again.err >/dev/null
expect_eq "opened again: nothing more to say" "" "$(cat again.err)"

# The reservation: revoked (CRL, status), audited with the hash of what it would have signed.
nd=$(h audit list --limit 10000 | awk -F'\t' '$4 == "cert.never_delivered" {print $5}')
expect_eq "two never-delivered audit entries" 2 "$(wc -l <<<"$nd")"
last=$(tail -n 1 <<<"$nd")
details=$(h --json audit list --limit 10000 | jq -r --arg o "$last" '.[] | select(.object == $o) | .details')
check "its audit entry names the upgrade" grep -q 'upgrade to schema 7' <<<"$details"
check "and the hash of the TBS it would have signed" grep -Eq '"tbs_hash":"[0-9a-f]{64}"' <<<"$details"
serial=${last#*/}
check "status of the reservation: revoked" grep -q '^revoked' <(h cert status "$serial")
h crl generate --ca rsa-issuing --der --out rsa.crl >/dev/null
check "the reservation is on the RSA CRL" grep -qi "Serial Number: *${serial}\$" \
  <(openssl crl -inform DER -in rsa.crl -noout -text)
check "audit log verifies" grep -q '^audit log OK' <(h audit verify)

# The upgraded home goes on: certificates of every family, and timestamps after the old ones.
openssl req -new -newkey sm2 -sm3 -sigopt distid:1234567812345678 -nodes -keyout s.key \
  -out sm2.csr -subj "/CN=x" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout e.key -out ec.csr \
  -subj "/CN=x" 2>/dev/null
s1=$(h cert issue --profile staff-sign --csr sm2.csr --name 周九 --org 示例医院)
s2=$(h cert issue --profile staff-sign --csr ec.csr --name 吴十 --org 示例医院)
expect_eq "new SM2 certificate: good" good "$(h cert status "$s1")"
expect_eq "new ECDSA certificate: good" good "$(h cert status "$s2")"
old_max=0
for alg in sha256 sm3; do
  n=$(openssl ts -reply -in "$FIX/token-$alg.tsr" -text 2>/dev/null | sed -n 's/^Serial number: 0x//p')
  [ $((16#$n)) -gt "$old_max" ] && old_max=$((16#$n))
done
start_server "$H"
echo "record two" >data
openssl ts -query -data data -sha256 -cert -out q.tsq 2>/dev/null
curl -sf -H 'Content-Type: application/timestamp-query' --data-binary @q.tsq "${PLAIN}tsa" -o new.tsr
new=$(openssl ts -reply -in new.tsr -text 2>/dev/null | sed -n 's/^Serial number: 0x//p')
check "a new timestamp's serial ($((16#${new:-0}))) is after the old ones ($old_max)" \
  test "$((16#${new:-0}))" -gt "$old_max"
h ca chain --family rsa | awk '/BEGIN/{n++} {print > ("rsa-chain" n ".pem")}'
echo "record one" >old-data
check "an old token still verifies" h ts verify --data old-data --in "$FIX/token-sha256.tsr" \
  --trust rsa-chain2.pem
check "the new token verifies" h ts verify --data data --in new.tsr --trust rsa-chain2.pem
stop_server
# Issue 21: the home has no profiles/audit-signer.toml; the built-in one lets it export evidence
# (the audit-signer certificate is issued on first use) that verifies with the SM2 root.
check "an old home exports a certificate's evidence" h evidence export --serial "$s1" --out old.zip
h ca chain --family sm2 | awk '/BEGIN/{n++} n==2' >sm2-root.pem
check "and it verifies offline" h evidence verify old.zip --trust sm2-root.pem
check "audit log verifies after all" grep -q '^audit log OK' <(h audit verify)
finish
