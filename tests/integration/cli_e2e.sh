#!/usr/bin/env bash
# The CLI contract of issue 4, end to end, on SQLite or PostgreSQL:
#   tests/integration/cli_e2e.sh sqlite|postgresql
source "$(dirname "$0")/lib.sh"
setup_db "$1"
H=$WORK/home
new_home "$H"
h() { "$HPKI" --home "$H" "$@"; }

# ca list / chain
check "ca list names the SM2 issuing CA" grep -q "^sm2-issuing" <(h ca list)
h ca chain --family sm2 --out "$WORK/sm2-chain.pem"
h ca chain --family rsa --out "$WORK/rsa-chain.pem"
expect_eq "chain has two certificates" 2 "$(grep -c 'BEGIN CERTIFICATE' "$WORK/sm2-chain.pem")"
csplit -s -z -f "$WORK/sm2-ca-" "$WORK/sm2-chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
csplit -s -z -f "$WORK/rsa-ca-" "$WORK/rsa-chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
# chain order: issuing CA first, root last
check "issuing CA first" grep -q "Issuing CA" <(openssl x509 -noout -subject -in "$WORK/sm2-ca-00")
check "root last" grep -q "Root CA" <(openssl x509 -noout -subject -in "$WORK/sm2-ca-01")

# An SM2 staff certificate from an openssl-made CSR with the standard ID (issue 4 "Done when").
openssl req -new -newkey sm2 -sm3 -sigopt distid:1234567812345678 -nodes -utf8 \
  -keyout "$WORK/sm2.key" -out "$WORK/sm2.csr" -subj "/C=CN/O=示例医院/CN=张三" 2>/dev/null
serial=$(h cert issue --profile staff-sign --csr "$WORK/sm2.csr" --name 张三 --org 示例医院 --dept 心内科 \
  --id-number 310101199001011234 --email zhangsan@hospital.example.cn --out "$WORK/sm2-leaf.pem")
check "issue prints a lowercase hex serial" grep -Eq '^[0-9a-f]+$' <<<"$serial"
check "SM2 leaf verifies against the issuing CA of 'ca chain' (distid)" \
  openssl verify -partial_chain -vfyopt distid:1234567812345678 -CAfile "$WORK/sm2-ca-00" "$WORK/sm2-leaf.pem"
check "SM2 issuing CA verifies against the root of 'ca chain' (distid)" \
  openssl verify -vfyopt distid:1234567812345678 -CAfile "$WORK/sm2-ca-01" "$WORK/sm2-ca-00"
check "SM2 leaf does NOT verify with the empty ID" \
  bash -c "! openssl verify -partial_chain -CAfile '$WORK/sm2-ca-00' '$WORK/sm2-leaf.pem' >/dev/null 2>&1"
check "SM2 leaf: the signing key in the CSR is the certificate's key" \
  diff <(openssl x509 -in "$WORK/sm2-leaf.pem" -noout -pubkey) <(openssl pkey -in "$WORK/sm2.key" -pubout)

# RSA: full chain with openssl verify.
openssl req -new -newkey rsa:2048 -nodes -keyout "$WORK/rsa.key" -out "$WORK/rsa.csr" -subj "/CN=device-1" 2>/dev/null
json=$(h --json cert issue --profile device --csr "$WORK/rsa.csr" --org 示例医院 --dns pacs.hospital.example.cn --out "$WORK/rsa-leaf.pem")
rsa_serial=$(jq -r .serial <<<"$json")
expect_eq "--json issue has status" issued "$(jq -r .status <<<"$json")"
check "--json issue has not_after" grep -Eq '^20[0-9]{2}-' <(jq -r .not_after <<<"$json")
check "RSA leaf verifies with openssl" openssl verify -CAfile "$WORK/rsa-ca-01" -untrusted "$WORK/rsa-ca-00" "$WORK/rsa-leaf.pem"

# status / show / list
expect_eq "status good" good "$(h cert status "$serial")"
upper=$(tr a-f A-F <<<"$serial" | sed 's/../&:/g; s/:$//')
expect_eq "serial in upper case with colons" good "$(h cert status "$upper")"
check "show masks the identity number" grep -q '310\*\*\*\*\*\*\*\*\*\*\*1234' <(h cert show "$serial")
shown=$(h cert show "$serial"; h --json cert show "$serial")
check "show never prints the clear identity number" bash -c "! grep -q 310101199001011234 <<<'$shown'"
check "list by department" grep -q "$serial" <(h cert list --dept 心内科)
check "list by identity number" grep -q "$serial" <(h cert list --id-number 310101199001011234)
check "list expiring within 1000 days" grep -q "$serial" <(h cert list --expiring-within 1000)
expect_eq "list expiring within 10 days is empty" "" "$(h cert list --expiring-within 10 --profile staff-sign)"

# hold / release / revoke
check "hold" grep -q '^hold certificateHold ' <(h cert hold "$serial")
check "status hold with reason and time" grep -Eq '^hold certificateHold [0-9T:Z-]+$' <(h cert status "$serial")
expect_eq "release" good "$(h cert release "$serial")"
check "revoke with reason" grep -q '^revoked keyCompromise ' <(h cert revoke "$serial" --reason keyCompromise --invalidity-date 2026-01-01T00:00:00Z)
check "status revoked with reason" grep -Eq '^revoked keyCompromise [0-9T:Z-]+$' <(h cert status "$serial")
check "list revoked" grep -q "$serial" <(h cert list --status revoked)

# renew / rekey (server key generation) / modify
new=$(h cert renew "$rsa_serial" --out "$WORK/renewed.pem")
check "renew gives a new serial" test "$new" != "$rsa_serial"
check "renew keeps the key" diff <(openssl x509 -in "$WORK/renewed.pem" -noout -pubkey) <(openssl x509 -in "$WORK/rsa-leaf.pem" -noout -pubkey)
rk=$(HPKI_KEY_PASSPHRASE=pkcs12-pass h cert rekey "$new" --keygen --alg p256 --key-out "$WORK/rekeyed.p12" --out "$WORK/rekeyed.pem")
check "rekey writes a PKCS#12 that openssl opens" openssl pkcs12 -in "$WORK/rekeyed.p12" -passin pass:pkcs12-pass -nokeys -out /dev/null
mod=$(h cert modify "$rk" --dept 放射科 --out "$WORK/modified.pem")
check "modify: the new certificate has the new department" grep -q "OU=放射科" <(openssl x509 -in "$WORK/modified.pem" -noout -subject -nameopt utf8,sep_comma_plus_space)
check "modify: the old one is revoked as superseded" grep -q '^revoked superseded' <(h cert status "$rk")
expect_eq "modify: the new one is good" good "$(h cert status "$mod")"
sm2key=$(HPKI_KEY_PASSPHRASE=sm2-key-pass h cert issue --profile staff-enc --keygen --alg sm2 --key-out "$WORK/enc.key" --name 张三 --org 示例医院)
check "SM2 keygen: encrypted PKCS#8 that openssl opens" openssl pkey -in "$WORK/enc.key" -passin pass:sm2-key-pass -noout

# errors: one line, the right exit code, nothing changed
set +e
out=$(h cert issue --profile nurse --csr "$WORK/rsa.csr" 2>&1); rc=$?
set -e
expect_eq "unknown profile exit code" 2 "$rc"
check "unknown profile: one line naming the error" grep -q '^hpki: unknown_profile: ' <<<"$out"
set +e
out=$(h cert status 00ff 2>&1); rc=$?
set -e
expect_eq "unknown serial exit code" 2 "$rc"
set +e
out=$("$HPKI" --home "$H" ca init 2>&1); rc=$?
set -e
expect_eq "re-init refused" 2 "$rc"
check "re-init names the problem" grep -q 'already an hpki home' <<<"$out"

# audit
check "audit verify OK" grep -q '^audit log OK' <(h audit verify)
check "audit list shows the revocation" grep -q 'cert.revoke' <(h audit list --limit 1000)
h audit checkpoint >/dev/null
if [ "$1" == "sqlite" ]; then
  sqlite3 "$H/hpki.db" "UPDATE audit_log SET actor='mallory' WHERE seq=5"
else
  psql "$DB_URL" -qc "UPDATE audit_log SET actor='mallory' WHERE seq=5"
fi
set +e
out=$(h audit verify); rc=$?
set -e
expect_eq "tampered audit log: exit 1" 1 "$rc"
check "tampered audit log: first bad entry named" grep -q 'BROKEN at entry 5: audit.hash_mismatch' <<<"$out"
finish
