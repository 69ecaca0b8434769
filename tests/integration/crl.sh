#!/usr/bin/env bash
# CRLs (issue 6) checked by the real `openssl verify`, on SQLite or PostgreSQL:
#   tests/integration/crl.sh sqlite|postgresql
# RSA and ECDSA: `hpki crl generate` output and the CRLs served over HTTP make
# `openssl verify -crl_check` accept a good certificate and report a revoked one as revoked
# (error 23); the root's CRL covers the issuing CA (-crl_check_all); delta CRLs with
# -use_deltas (hold, then removeFromCRL after release); partitioned CRLs: each certificate's
# cRLDistributionPoints URL fetches the shard CRL that lists it; HTTP headers (Content-Type,
# ETag / If-None-Match -> 304, Last-Modified, max-age); a revocation by another process shows
# up in what the server serves. SM2 CRLs are verified by `hpki crl show --issuer` (OpenSSL 3.0
# cannot verify SM2 CRLs with the standard ID) and fail when a byte changes.
source "$(dirname "$0")/lib.sh"
setup_db "$1"

# --- Offline: hpki crl generate (one CRL per CA).
H=$WORK/home
new_home "$H" rsa,ecdsa,sm2
# Offline use: CRLs only when asked for (else each revocation publishes a new complete CRL and
# the delta CRLs below would be empty).
sed -i 's/^regenerate_on_revoke = true/regenerate_on_revoke = false/' "$H/hpki.toml"
h() { "$HPKI" --home "$H" "$@"; }
split_chain() {  # split_chain FAMILY DIR: DIR/issuing.pem, DIR/root.pem
  h ca chain --family "$1" --out "$2/chain.pem" >/dev/null
  awk -v d="$2" '/BEGIN/{n++} {print > (d "/c" n ".pem")}' "$2/chain.pem"
  mv "$2/c1.pem" "$2/issuing.pem"; mv "$2/c2.pem" "$2/root.pem"
}
csr() {  # csr FAMILY FILE
  case $1 in
    rsa) openssl req -new -newkey rsa:2048 -nodes -keyout "$2.key" -out "$2" -subj /CN=x 2>/dev/null ;;
    ecdsa) openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$2.key" -out "$2" -subj /CN=x 2>/dev/null ;;
    sm2) openssl req -new -newkey sm2 -sm3 -sigopt distid:1234567812345678 -nodes -keyout "$2.key" -out "$2" -subj /CN=x 2>/dev/null ;;
  esac
}
verify() {  # verify DIR CERT CRLFILE [extra openssl options]: prints openssl's last line
  local d=$1 cert=$2 crl=$3; shift 3
  openssl verify -crl_check "$@" -CRLfile "$crl" -CAfile "$d/root.pem" -untrusted "$d/issuing.pem" "$cert" 2>&1 | tail -n 1
}
for fam in rsa ecdsa sm2; do
  D=$WORK/$fam; mkdir -p "$D"; split_chain "$fam" "$D"; csr "$fam" "$D/r.csr"
  for n in good bad held; do
    h cert issue --profile staff-sign --family "$fam" --csr "$D/r.csr" --name "$n" --org 示例医院 --out "$D/$n.pem" >"$D/$n.serial"
  done
  h cert revoke "$(cat "$D/bad.serial")" --reason keyCompromise >/dev/null
  expect_eq "$fam: crl generate" 0 "$(h crl generate --ca "$fam-issuing" --out "$D/crl.pem" >/dev/null; echo $?)"
  h crl generate --ca "$fam-issuing" --der --out "$D/crl.der" >/dev/null
  h crl generate --ca "$fam-root" --out "$D/root-crl.pem" >/dev/null
  check "$fam: --der writes DER" openssl crl -inform DER -in "$D/crl.der" -noout
  if [ "$fam" != sm2 ]; then
    expect_eq "$fam: good certificate passes -crl_check" "$D/good.pem: OK" "$(verify "$D" "$D/good.pem" "$D/crl.pem")"
    check "$fam: revoked certificate is reported revoked" grep -q "certificate revoked" \
      <(openssl verify -crl_check -CRLfile "$D/crl.pem" -CAfile "$D/root.pem" -untrusted "$D/issuing.pem" "$D/bad.pem" 2>&1)
    cat "$D/crl.pem" "$D/root-crl.pem" >"$D/both.pem"
    expect_eq "$fam: -crl_check_all with the root's CRL" "$D/good.pem: OK" "$(verify "$D" "$D/good.pem" "$D/both.pem" -crl_check_all)"
    check "$fam: the issuing CA's CRL signature verifies (openssl crl -CAfile)" \
      bash -c "openssl crl -in '$D/crl.pem' -CAfile '$D/issuing.pem' -noout 2>&1 | grep -q 'verify OK'"
    # Delta CRLs: a hold after the base appears in the delta (certificateHold).
    h crl generate --ca "$fam-issuing" --out "$D/base.pem" >/dev/null
    h cert hold "$(cat "$D/held.serial")" >/dev/null
    h crl generate --ca "$fam-issuing" --delta --out "$D/delta.pem" >/dev/null
    cat "$D/base.pem" "$D/delta.pem" >"$D/base+delta.pem"
    check "$fam: base + delta: held certificate is revoked (-use_deltas)" grep -q "certificate revoked" \
      <(openssl verify -crl_check -use_deltas -CRLfile "$D/base+delta.pem" -CAfile "$D/root.pem" -untrusted "$D/issuing.pem" "$D/held.pem" 2>&1)
    check "$fam: delta lists certificateHold" grep -q "Certificate Hold" <(openssl crl -in "$D/delta.pem" -noout -text)
    check "$fam: delta has deltaCRLIndicator" grep -q "Delta CRL Indicator: critical" <(openssl crl -in "$D/delta.pem" -noout -text)
    check "$fam: base advertises freshestCRL" grep -q "$fam-issuing-delta.crl" <(openssl crl -in "$D/base.pem" -noout -text)
    # Release: the next delta (against the same base) says removeFromCRL.
    h crl generate --ca "$fam-issuing" --out "$D/base2.pem" >/dev/null
    h cert release "$(cat "$D/held.serial")" >/dev/null
    h crl generate --ca "$fam-issuing" --delta --out "$D/delta2.pem" >/dev/null
    check "$fam: released certificate: removeFromCRL in the delta" grep -q "Remove From CRL" <(openssl crl -in "$D/delta2.pem" -noout -text)
    cat "$D/base2.pem" "$D/delta2.pem" >"$D/base2+delta2.pem"
    expect_eq "$fam: released certificate passes with base + delta" "$D/held.pem: OK" \
      "$(verify "$D" "$D/held.pem" "$D/base2+delta2.pem" -use_deltas)"
  else
    # SM2: hpki's verifier with the standard ID.
    check "sm2: CRL verifies with hpki (standard ID)" grep -q "signature:   valid" <(h crl show "$D/crl.pem" --issuer "$D/issuing.pem")
    check "sm2: CRL lists the revoked certificate" grep -qi "$(cat "$D/bad.serial") .* keyCompromise" <(h crl show "$D/crl.pem")
    check "sm2: root CRL verifies" grep -q "signature:   valid" <(h crl show "$D/root-crl.pem" --issuer "$D/root.pem")
    # Change one byte of the revoked serial (signed part), or of the signature.
    python3 - "$D/crl.der" "$(cat "$D/bad.serial")" "$D/tampered-tbs.der" "$D/tampered-sig.der" <<'PY'
import sys
der = bytearray(open(sys.argv[1], 'rb').read())
at = der.find(bytes.fromhex(sys.argv[2]))
assert at > 0
tbs = bytearray(der); tbs[at + 3] ^= 0x01; open(sys.argv[3], 'wb').write(tbs)
sig = bytearray(der); sig[-1] ^= 0x01; open(sys.argv[4], 'wb').write(sig)
PY
    expect_eq "sm2: a changed serial fails verification (exit 1)" 1 "$(h crl show "$D/tampered-tbs.der" --issuer "$D/issuing.pem" >/dev/null 2>&1; echo $?)"
    expect_eq "sm2: a changed signature fails verification (exit 1)" 1 "$(h crl show "$D/tampered-sig.der" --issuer "$D/issuing.pem" >/dev/null 2>&1; echo $?)"
    check "sm2: signature algorithm SM2-with-SM3" grep -q "SM2-with-SM3" <(openssl crl -inform DER -in "$D/crl.der" -noout -text)
  fi
done
check "audit records each published CRL" grep -q 'crl.publish' <(h audit list --limit 10000)
check "audit log verifies" grep -q '^audit log OK' <(h audit verify)
expect_eq "generate for an OCSP responder CA: usage error" 2 "$(h crl generate --ca rsa-ocsp --out "$WORK/x.pem" 2>/dev/null; echo $?)"
expect_eq "generate for an unknown CA: usage error" 2 "$(h crl generate --ca nope --out "$WORK/x.pem" 2>/dev/null; echo $?)"
expect_eq "show a file that is not a CRL: usage error" 2 "$(h crl show "$WORK/rsa/good.pem" 2>/dev/null; echo $?)"

# --- Served over HTTP, partitioned: 4 shards per issuing CA.
H2=$WORK/home2
args=(--home "$H2" ca init --families rsa,ecdsa --org 示例医院 --crl-shards 4)
[ -n "$DB_URL" ] && args+=(--database "${DB_URL}_2" ) && psql "$PG_ADMIN" -qc "CREATE DATABASE ${PG_DB}_2" >/dev/null
"$HPKI" "${args[@]}" >/dev/null
h2() { "$HPKI" --home "$H2" "$@"; }
drop_second_db() {
  if [ -n "$PG_DB" ]; then psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS ${PG_DB}_2 WITH (FORCE)" >/dev/null 2>&1 || true; fi
}
trap 'stop_servers; drop_second_db; cleanup' EXIT
start_server "$H2"
check "server started" test -n "$PLAIN"
fetch() {  # fetch URL_PATH OUT: HTTP status; headers in OUT.h
  curl -s -D "$2.h" -o "$2" -w '%{http_code}' "${PLAIN%/}$1"
}
for _ in $(seq 1 600); do [ "$(fetch /crl/rsa-root.crl "$WORK/probe")" == 200 ] && break; sleep 0.1; done
expect_eq "the scheduler published the root's CRL at start" 200 "$(fetch /crl/rsa-root.crl "$WORK/root.crl")"
expect_eq "unknown CRL: 404" 404 "$(fetch /crl/rsa-issuing-9.crl "$WORK/none")"
expect_eq "not a .crl name: 404" 404 "$(fetch /crl/rsa-root "$WORK/none")"
for fam in rsa ecdsa; do
  D=$WORK/http-$fam; mkdir -p "$D"
  "$HPKI" --home "$H2" ca chain --family "$fam" --out "$D/chain.pem" >/dev/null
  awk -v d="$D" '/BEGIN/{n++} {print > (d "/c" n ".pem")}' "$D/chain.pem"; mv "$D/c1.pem" "$D/issuing.pem"; mv "$D/c2.pem" "$D/root.pem"
  csr "$fam" "$D/r.csr"
  # Issue until two different shards are used; revoke one certificate of each.
  declare -A SHARD_CERT=()
  for i in $(seq 1 16); do
    s=$(h2 cert issue --profile staff-sign --family "$fam" --csr "$D/r.csr" --name "c$i" --org 示例医院 --out "$D/c$i.pem")
    url=$(openssl x509 -in "$D/c$i.pem" -noout -ext crlDistributionPoints | grep -o 'http://[^ ]*')
    path=/${url#http://*/}
    SHARD_CERT[$path]="$D/c$i.pem $s"
    [ ${#SHARD_CERT[@]} -ge 2 ] && break
  done
  check "$fam: certificates spread over shards" test ${#SHARD_CERT[@]} -ge 2
  good=$D/c1.pem
  for path in "${!SHARD_CERT[@]}"; do
    check "$fam: CDP names a shard CRL ($path)" grep -qE "^/crl/$fam-issuing-[0-3]\.crl$" <<<"$path"
    read -r cert serial <<<"${SHARD_CERT[$path]}"
    [ "$cert" == "$good" ] && continue   # c1 stays good
    h2 cert revoke "$serial" --reason affiliationChanged >/dev/null   # another process; the server serves what it stored
    expect_eq "$fam: GET $path" 200 "$(fetch "$path" "$D/shard.crl")"
    check "$fam: Content-Type application/pkix-crl" grep -qi '^content-type: application/pkix-crl' "$D/shard.crl.h"
    check "$fam: Last-Modified" grep -qi '^last-modified: .* GMT' "$D/shard.crl.h"
    check "$fam: max-age" grep -qiE '^cache-control: .*max-age=[0-9]+' "$D/shard.crl.h"
    etag=$(grep -i '^etag:' "$D/shard.crl.h" | cut -d' ' -f2 | tr -d '\r')
    check "$fam: ETag" test -n "$etag"
    expect_eq "$fam: If-None-Match -> 304" 304 "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "${PLAIN%/}$path")"
    openssl crl -inform DER -in "$D/shard.crl" -out "$D/shard.pem"
    check "$fam: the shard CRL's IDP is the certificate's CDP URL" grep -q "URI:http://127.0.0.1:8080$path" <(openssl crl -in "$D/shard.pem" -noout -text)
    check "$fam: revoked certificate is reported revoked with the CRL from its CDP URL" grep -q "certificate revoked" \
      <(openssl verify -crl_check -CRLfile "$D/shard.pem" -CAfile "$D/root.pem" -untrusted "$D/issuing.pem" "$cert" 2>&1)
  done
  gpath=$(openssl x509 -in "$good" -noout -ext crlDistributionPoints | grep -o 'http://[^ ]*'); gpath=/${gpath#http://*/}
  expect_eq "$fam: GET the good certificate's CRL" 200 "$(fetch "$gpath" "$D/g.crl")"
  openssl crl -inform DER -in "$D/g.crl" -out "$D/g.pem"
  expect_eq "$fam: good certificate passes with the CRL from its CDP URL" "$good: OK" \
    "$(openssl verify -crl_check -CRLfile "$D/g.pem" -CAfile "$D/root.pem" -untrusted "$D/issuing.pem" "$good" 2>&1 | tail -n 1)"
  expect_eq "$fam: GET the root's CRL" 200 "$(fetch "/crl/$fam-root.crl" "$D/root.crl")"
  openssl crl -inform DER -in "$D/root.crl" -out "$D/rootcrl.pem"; cat "$D/g.pem" "$D/rootcrl.pem" >"$D/all.pem"
  expect_eq "$fam: -crl_check_all with both CRLs from HTTP" "$good: OK" \
    "$(openssl verify -crl_check_all -CRLfile "$D/all.pem" -CAfile "$D/root.pem" -untrusted "$D/issuing.pem" "$good" 2>&1 | tail -n 1)"
  unset SHARD_CERT
done
expect_eq "delta CRL served" 200 "$(fetch /crl/rsa-issuing-0-delta.crl "$WORK/delta.crl")"
check "delta CRL is a delta" grep -q "Delta CRL Indicator" <(openssl crl -inform DER -in "$WORK/delta.crl" -noout -text)
check "metrics count generated CRLs" grep -q '^hpki_crl_generated_total{kind="complete"}' <(curl -s "${PLAIN%/}/metrics")
check "metrics count CRL downloads" grep -q '^hpki_crl_requests_total' <(curl -s "${PLAIN%/}/metrics")
stop_server
finish
