#!/usr/bin/env bash
# `hpki ca init --hsm`: RSA and ECDSA CA keys generated and used on a PKCS#11 token (SoftHSM2,
# token created here), SM2 keys in the file key store (SoftHSM2 has no SM2); certificates
# issued through the token verify with openssl.   tests/integration/hsm.sh
source "$(dirname "$0")/lib.sh"
MODULE=/usr/lib/softhsm/libsofthsm2.so
export SOFTHSM2_CONF=$WORK/softhsm2.conf
mkdir -p "$WORK/tokens"
echo "directories.tokendir = $WORK/tokens" > "$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label hpki-ca --so-pin 5678 --pin 1234 >/dev/null
export HPKI_PKCS11_PIN=1234
H=$WORK/home
"$HPKI" --home "$H" ca init --families rsa,ecdsa,sm2 --org 示例医院 --hsm --hsm-module "$MODULE" --hsm-token hpki-ca --org-dns example.cn >/dev/null
h() { "$HPKI" --home "$H" "$@"; }
cas=$(h --json ca list)
expect_eq "RSA root key on the token" "pkcs11:rsa-root" "$(jq -r '.[] | select(.id == "rsa-root") | .key_ref' <<<"$cas")"
expect_eq "ECDSA issuing key on the token" "pkcs11:ecdsa-issuing" "$(jq -r '.[] | select(.id == "ecdsa-issuing") | .key_ref' <<<"$cas")"
expect_eq "SM2 keys stay in the file key store" "file:sm2-root" "$(jq -r '.[] | select(.id == "sm2-root") | .key_ref' <<<"$cas")"
objects=$(pkcs11-tool --module "$MODULE" --login --pin 1234 --token-label hpki-ca --list-objects --type privkey 2>/dev/null)
check "the token holds the RSA root private key" grep -q 'label: *rsa-root' <<<"$objects"
check "the private key is not extractable" bash -c 'grep -A8 "label: *rsa-root" <<<"$0" | grep -q "never extractable"' "$objects"
check "no RSA key file was written" test ! -e "$H/keys/rsa-root.key.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/k.pem" -out "$WORK/r.csr" -subj /CN=x 2>/dev/null
h cert issue --profile device --family ecdsa --csr "$WORK/r.csr" --name pacs-1 --org 示例医院 --dns pacs.example.cn --out "$WORK/leaf.pem" >/dev/null
h ca chain --family ecdsa --out "$WORK/chain.pem"
csplit -s -z -f "$WORK/ca-" "$WORK/chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
check "certificate signed on the token verifies with openssl" \
  openssl verify -CAfile "$WORK/ca-01" -untrusted "$WORK/ca-00" "$WORK/leaf.pem"
set +e
out=$(HPKI_PKCS11_PIN=0000 h ca list 2>&1); rc=$?
set -e
expect_eq "wrong PIN: exit code" 2 "$rc"
check "wrong PIN: clear message" grep -q '^hpki: bad_passphrase' <<<"$out"
finish
