#!/usr/bin/env bash
# Crash safety (issue 4): the process is killed with SIGKILL at injected points during
# issuance, revocation and modification (HPKI_CRASH_AT, src/ca/crash.h); a restart must find a
# consistent database: no `issuing` record left, every serial that was reserved is either
# issued or never-delivered-and-revoked, modifications are all-or-nothing, and the audit log
# verifies.   tests/integration/crash.sh sqlite|postgresql
source "$(dirname "$0")/lib.sh"
setup_db "$1"
H=$WORK/home
new_home "$H" rsa,sm2
# Resolve interrupted issuances at once (default grace: 60 s, for other nodes in flight).
sed -i 's/^recovery_grace_seconds = .*/recovery_grace_seconds = 0/' "$H/hpki.toml"
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
  expect_eq "$label: no issuing record left" 0 "$(jq '[.[] | select(.status == "issuing")] | length' <<<"$all")"
  for s in $(jq -r '.[] | select(.status == "never_delivered") | .serial' <<<"$all"); do
    check "$label: never delivered $s answers revoked" grep -q '^revoked' <(h cert status "$s")
  done
  check "$label: audit log verifies" grep -q '^audit log OK' <(h audit verify)
}

count() { h --json cert list --limit 10000 --status "$1" | jq length; }

issue() { h cert issue --profile staff-sign --csr "$WORK/sm2.csr" --name "张三" --org 示例医院 "$@"; }

# Issuance.
for point in issue.after_reserve issue.after_sign issue.before_commit; do
  before=$(count never_delivered)
  crash "$point" cert issue --profile staff-sign --csr "$WORK/sm2.csr" --name 张三 --org 示例医院
  invariants "$point"
  expect_eq "$point: the reserved serial is never delivered" $((before + 1)) "$(count never_delivered)"
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
for point in modify.after_reserve modify.after_sign modify.before_commit; do
  crash "$point" cert modify "$s" --dept 急诊科
  invariants "$point"
  expect_eq "$point: the old certificate is still good" good "$(h cert status "$s")"
  expect_eq "$point: no new certificate was issued" "" "$(h cert list --dept 急诊科 --status issued)"
done
crash modify.after_commit cert modify "$s" --dept 急诊科
invariants modify.after_commit
check "modify.after_commit: old revoked (superseded)" grep -q '^revoked superseded' <(h cert status "$s")
check "modify.after_commit: new one issued" grep -q . <(h cert list --dept 急诊科 --status issued)
finish
