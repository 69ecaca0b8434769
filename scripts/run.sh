#!/usr/bin/env bash
# `make run`: hpki with embedded defaults, in the foreground. On the first run it creates a demo
# home (./hpki-data, or $HPKI_HOME): RSA, SM2 and ECDSA hierarchies for the demo organization 示例医院,
# with a demo passphrase stored 0600 in the home. Every run creates an admin API key (printed
# once), then starts `hpki serve` and prints a curl line that issues a certificate.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/build/bin/hpki
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
Phone app: http://localhost:${HTTP_LISTEN##*:}/m/  PC QR login: http://localhost:${HTTP_LISTEN##*:}/qr/  (README "Mobile signing")
Stop with Ctrl-C.
EOT
exec "$BIN" --home "$HOME_DIR" serve --api-listen "$API_LISTEN" --http-listen "$HTTP_LISTEN"
