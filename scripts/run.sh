#!/usr/bin/env bash
# `make run`: hpki with embedded defaults, in the foreground. On the first run it creates a demo
# home (./hpki-data, or $HPKI_HOME): RSA, SM2 and ECDSA hierarchies for the demo organization 示例医院,
# with a demo passphrase stored 0600 in the home. Every run creates an admin API key (printed
# once), then starts `hpki serve` and prints a curl line that issues a certificate.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${HPKI_BIN:-$PWD/build/bin/hpki}  # tests/integration/pdf.sh runs it with the binary under test
HOME_DIR=${HPKI_HOME:-./hpki-data}
API_LISTEN=${HPKI_API_LISTEN:-127.0.0.1:8443}
HTTP_LISTEN=${HPKI_HTTP_LISTEN:-127.0.0.1:8080}
export HPKI_PROFILES=${HPKI_PROFILES:-$PWD/profiles}
if [ ! -f "$HOME_DIR/hpki.toml" ]; then
  echo "hpki: creating a demo home in $HOME_DIR" >&2
  echo "WARNING: the demo passphrase is stored in $HOME_DIR/demo-passphrase (0600)." >&2
  echo "         Production uses HPKI_PASSPHRASE from a secret store, or an HSM (ca init --hsm)." >&2
  pass=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  # base_url on localhost: the phone app's passkeys (WebAuthn) need a host name, and
  # http://localhost is a secure context (README "Mobile signing").
  HPKI_PASSPHRASE=$pass "$BIN" --home "$HOME_DIR" ca init --families rsa,sm2,ecdsa --org 示例医院 \
    --base-url "http://localhost:${HTTP_LISTEN##*:}" --passphrase-file demo-passphrase >/dev/null
fi
# Demo organization signing keys (RSA and SM2, `hpki key register`) and a seal for each
# (docs/pdf.md "Quick start"), made once: demo-rsa / demo-sm2, seal ids in demo-seal-rsa /
# demo-seal-sm2 (the SM2 seal is a GB/T 38540 SESeal made by the SM2 key).
demo_key() {
  local fam=$1 tmp
  [ -f "$HOME_DIR/signing-keys/demo-$fam.json" ] && return 0
  tmp=$(mktemp -d)
  if [ "$fam" == "sm2" ]; then
    openssl genpkey -algorithm SM2 -out "$tmp/k.pem" 2>/dev/null
    openssl req -new -key "$tmp/k.pem" -sm3 -sigopt distid:1234567812345678 -subj "/CN=demo" -out "$tmp/k.csr"
  else
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/k.pem" 2>/dev/null
    openssl req -new -key "$tmp/k.pem" -subj "/CN=demo" -out "$tmp/k.csr"
  fi
  h() { "$BIN" --home "$HOME_DIR" "$@"; }
  h cert issue --profile org-sign --csr "$tmp/k.csr" --name "示例医院 电子签章 ($fam)" --org 示例医院 \
    --country CN --out "$HOME_DIR/demo-$fam.pem" >/dev/null
  h ca chain --family "$fam" >"$tmp/chain.pem"
  h key import --name "demo-$fam" --in "$tmp/k.pem" >/dev/null
  h key register --id "demo-$fam" --ref "file:demo-$fam" --cert "$HOME_DIR/demo-$fam.pem" \
    --chain "$tmp/chain.pem" --org 示例医院 >/dev/null
  python3 tests/integration/make_pdf.py --seal "$tmp/seal.png"
  local maker=()
  [ "$fam" == "sm2" ] && maker=(--maker-key demo-sm2)
  h seal create --org 示例医院 --name "示例医院电子公章 ($fam)" --image "$tmp/seal.png" \
    --cert "$HOME_DIR/demo-$fam.pem" "${maker[@]}" | awk '/^id:/ {print $2}' >"$HOME_DIR/demo-seal-$fam"
  rm -rf "$tmp"
}
demo_key rsa
demo_key sm2

key=$("$BIN" --home "$HOME_DIR" apikey create --role admin 2>/dev/null | tail -n 1)
api_url="https://$API_LISTEN/api/v1"
cat <<EOT
hpki $("$BIN" version | head -n 1 | cut -d' ' -f2) — home $HOME_DIR
Admin API key (shown once): $key

Issue an SM2 staff signing certificate with a server-generated key:
  curl --cacert $HOME_DIR/tls/ca.pem -H 'Authorization: Bearer $key' \\
    $api_url/certificates -H 'Content-Type: application/json' \\
    -d '{"profile":"staff-sign","family":"sm2","keygen":{"alg":"sm2","passphrase":"change-me-please"},"subject":{"name":"张三","org":"示例医院","dept":"心内科"}}'
More: $api_url/openapi.json, http://$HTTP_LISTEN/ca/sm2-root.crt, http://$HTTP_LISTEN/metrics
Sign a PDF with the demo seal (docs/pdf.md):
  python3 tests/integration/make_pdf.py record.pdf
  $BIN --home $HOME_DIR sign pdf --key demo-rsa --seal \$(cat $HOME_DIR/demo-seal-rsa) --anchor 医生签名: --in record.pdf --out signed.pdf
  $BIN --home $HOME_DIR verify pdf signed.pdf
Phone app: http://localhost:${HTTP_LISTEN##*:}/m/  PC QR login: http://localhost:${HTTP_LISTEN##*:}/qr/  (README "Mobile signing")
Stop with Ctrl-C.
EOT
exec "$BIN" --home "$HOME_DIR" serve --api-listen "$API_LISTEN" --http-listen "$HTTP_LISTEN"
