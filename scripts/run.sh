#!/usr/bin/env bash
# `make run`: a working hpki with embedded defaults. Creates a demo home (./hpki-data) on the
# first run — RSA and SM2 hierarchies for the demo organization 示例医院, with a demo passphrase
# stored 0600 in the home — then shows what is there and how to use it.
# Until `hpki serve` lands (REST API, OCSP, TSA) this runs the CLI only.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/bin/hpki
HOME_DIR=${HPKI_HOME:-./hpki-data}
if [ ! -f "$HOME_DIR/hpki.toml" ]; then
  echo "hpki: creating a demo home in $HOME_DIR" >&2
  echo "WARNING: the demo passphrase is stored in $HOME_DIR/demo-passphrase (0600)." >&2
  echo "         Production uses HPKI_PASSPHRASE from a secret store, or an HSM (--hsm)." >&2
  pass=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  HPKI_PASSPHRASE=$pass HPKI_PROFILES=$PWD/profiles "$BIN" --home "$HOME_DIR" ca init \
    --families rsa,sm2 --org 示例医院 --passphrase-file demo-passphrase
fi
"$BIN" version
echo
"$BIN" --home "$HOME_DIR" ca list
cat <<EOT

hpki is ready in $HOME_DIR. Try:
  openssl req -new -newkey sm2 -sm3 -sigopt distid:1234567812345678 -nodes \\
    -keyout /tmp/doctor.key -out /tmp/doctor.csr -subj "/CN=张三"
  $BIN --home $HOME_DIR cert issue --profile staff-sign --csr /tmp/doctor.csr --name 张三 --org 示例医院
  $BIN --home $HOME_DIR cert list
  $BIN --home $HOME_DIR audit verify
(The network service, \`hpki serve\`, is not built yet; see README.md.)
EOT
