#!/usr/bin/env bash
# Crash safety (issues 4 and 17): the process is killed with SIGKILL at injected points during
# issuance, revocation and modification (HPKI_CRASH_AT, src/ca/crash.h). Issuance writes once,
# after signing (DESIGN.md principle 2), so the invariant is: every certificate a client could
# have received is stored and audited, nothing stored lacks its audit entry — a crash before
# the commit leaves nothing (the signed bytes never left the process), one after it leaves the
# issued certificate; modifications are all-or-nothing; the audit log verifies.
#   tests/integration/crash.sh sqlite|postgresql
source "$(dirname "$0")/lib.sh"
setup_db "$1"
H=$WORK/home
new_home "$H" rsa,sm2
h() { "$HPKI" --home "$H" "$@"; }

openssl req -new -newkey sm2 -sm3 -sigopt distid:1234567812345678 -nodes -keyout "$WORK/k.pem" \
  -out "$WORK/sm2.csr" -subj "/CN=crash" 2>/dev/null

crash() {  # crash POINT command...: the command must die by SIGKILL
  local point=$1; shift
  set +e
  HPKI_CRASH_AT=$point h "$@" >/dev/null 2>&1
  local rc=$?
  set -e
  expect_eq "killed at $point" 137 "$rc"
}

invariants() {  # after a restart
  local label=$1
  local all s
  all=$(h --json cert list --limit 10000)
  expect_eq "$label: no issuing record" 0 "$(jq '[.[] | select(.status == "issuing")] | length' <<<"$all")"
  expect_eq "$label: no never-delivered record" 0 "$(jq '[.[] | select(.status == "never_delivered")] | length' <<<"$all")"
  # Every stored certificate has its audit entry (cert.issue / cert.modify naming it).
  local audited
  audited=$(h audit list --limit 10000 | awk -F'\t' '$4 ~ /^cert\.(issue|modify)$/ && $6 == "success" {print $5}' | sort)
  for s in $(jq -r '.[] | select(.profile == "staff-sign") | "\(.ca)/\(.serial)"' <<<"$all"); do
    check "$label: $s is audited" grep -qx "$s" <<<"$audited"
  done
  check "$label: audit log verifies" grep -q '^audit log OK' <(h audit verify)
}

count() { h --json cert list --limit 10000 --status "$1" | jq length; }

issue() { h cert issue --profile staff-sign --csr "$WORK/sm2.csr" --name "张三" --org 示例医院 "$@"; }

total() { h --json cert list --limit 10000 | jq length; }

# Issuance: signed but not committed -> nothing stored; committed -> issued and audited.
for point in issue.after_sign issue.before_commit; do
  before=$(total)
  crash "$point" cert issue --profile staff-sign --csr "$WORK/sm2.csr" --name 张三 --org 示例医院
  invariants "$point"
  expect_eq "$point: nothing was stored" "$before" "$(total)"
done
before=$(count issued)
crash issue.after_commit cert issue --profile staff-sign --csr "$WORK/sm2.csr" --name 张三 --org 示例医院
invariants issue.after_commit
expect_eq "issue.after_commit: the certificate is issued" $((before + 1)) "$(count issued)"

# Revocation: before commit nothing changes; after commit it is revoked.
s=$(issue)
crash revoke.before_commit cert revoke "$s" --reason keyCompromise
invariants revoke.before_commit
expect_eq "revoke.before_commit: still good" good "$(h cert status "$s")"
crash revoke.after_commit cert revoke "$s" --reason keyCompromise
invariants revoke.after_commit
check "revoke.after_commit: revoked" grep -q '^revoked keyCompromise' <(h cert status "$s")

# Modification: all or nothing.
s=$(issue --dept 心内科)
for point in modify.after_sign modify.before_commit; do
  crash "$point" cert modify "$s" --dept 急诊科
  invariants "$point"
  expect_eq "$point: the old certificate is still good" good "$(h cert status "$s")"
  expect_eq "$point: no new certificate was issued" "" "$(h cert list --dept 急诊科 --status issued)"
done
crash modify.after_commit cert modify "$s" --dept 急诊科
invariants modify.after_commit
check "modify.after_commit: old revoked (superseded)" grep -q '^revoked superseded' <(h cert status "$s")
check "modify.after_commit: new one issued" grep -q . <(h cert list --dept 急诊科 --status issued)

# The TSA (issue 17): serials from ranges reserved in advance, one write per round (records,
# tokens, audit entries) before the answers. A crash anywhere leaves every stored timestamp
# audited, answers nobody with a token that is not stored, and never reuses a serial.
printf 'crash test document\n' >"$WORK/doc.txt"
openssl ts -query -data "$WORK/doc.txt" -sha256 -cert -out "$WORK/q.tsq" 2>/dev/null
tsa_serve() {  # tsa_serve [POINT]: a TSA node (SERVER, PLAIN) that dies at POINT
  HPKI_CRASH_AT=${1:-} start_server "$H" --role tsa
}
tsa_post() {  # tsa_post OUT: the HTTP status ("000" when the server died)
  curl -s -o "$1" -w '%{http_code}' -H 'Content-Type: application/timestamp-query' \
    --data-binary @"$WORK/q.tsq" "${PLAIN}tsa" || true
}
tsa_serial() { openssl ts -reply -in "$1" -text 2>/dev/null | sed -n 's/^Serial number: 0x//p'; }
db() {
  if [ -n "$DB_URL" ]; then psql "$DB_URL" -tAc "$1"; else sqlite3 -cmd ".timeout 10000" "$H/hpki.db" "$1"; fi
}
tsa_invariants() {
  local label=$1
  expect_eq "$label: every stored timestamp is audited" \
    "$(db "SELECT count(*) FROM timestamps")" \
    "$(h audit list --limit 10000 | awk -F'\t' '$4 == "timestamp.issue" && $6 == "success"' | wc -l)"
  expect_eq "$label: every stored timestamp has its token" 0 \
    "$(db "SELECT count(*) FROM timestamps t WHERE NOT EXISTS (SELECT 1 FROM timestamp_tokens k WHERE k.serial = t.serial)")"
  check "$label: audit log verifies" grep -q '^audit log OK' <(h audit verify)
}
tsa_serve
expect_eq "TSA: granted before the crashes" 200 "$(tsa_post "$WORK/first.tsr")"
last=$((16#$(tsa_serial "$WORK/first.tsr")))
stop_server
for point in tsa.after_range tsa.after_sign tsa.before_commit tsa.after_commit; do
  stored=$(db "SELECT count(*) FROM timestamps")
  tsa_serve "$point"
  got=$(tsa_post "$WORK/crash.tsr")
  wait_server
  expect_eq "TSA killed at $point" 137 "$SERVER_RC"
  expect_eq "$point: the client got no token" 000 "$got"
  tsa_invariants "$point"
  if [ "$point" == tsa.after_commit ]; then
    expect_eq "$point: the signed token is stored" $((stored + 1)) "$(db "SELECT count(*) FROM timestamps")"
  else
    expect_eq "$point: nothing was stored" "$stored" "$(db "SELECT count(*) FROM timestamps")"
  fi
  tsa_serve
  expect_eq "$point: granted after the restart" 200 "$(tsa_post "$WORK/next.tsr")"
  next=$((16#$(tsa_serial "$WORK/next.tsr")))
  check "$point: the serial increases across the crash ($last -> $next)" test "$next" -gt "$last"
  last=$next
  stop_server
done
finish
