#!/usr/bin/env bash
# Issue 16, the verification side: an OCSP responder or TSA certificate that an hpki CA issued
# but hpki did not designate (made here with `hpki cert issue --profile ocsp-responder|tsa`, as
# the CA admin can) cannot speak for the CA where hpki knows its designations:
#   tests/integration/designation.sh sqlite|postgresql
# - OCSP (RSA, ECDSA): `openssl ocsp -index ... -rsigner` signs with such a delegate a "good"
#   answer for a certificate revoked for keyCompromise. `openssl ocsp` and `hpki verify cert
#   --ocsp` without a home accept it (RFC 6960 4.2.2.2); with the home hpki refuses it
#   (ocsp_responder_not_designated), and still uses the answers of its own responder.
# - TSA (RSA, ECDSA): a signer revoked for keyCompromise signs afterwards with `hpki sign --tsa`
#   against a rogue TSA (rogue_tsa.py: `openssl cms -sign -cades` with such a TSA certificate)
#   that back-dates genTime before the revocation. `hpki verify cms` and `hpki ts verify` without
#   a home accept it (RFC 3161); with the home, and POST /api/v1/verify, the timestamp is not
#   accepted (tsp.tsa_not_designated) and the signature is revoked; a signature time-stamped by
#   the home's own TSA stays valid.
# SM2 (OpenSSL 3.0 signs OCSP and CMS with the empty ID): tests/unit/revocation/
# store_designation_test.cpp, with hpki's own encoders.
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
setup_db "$1"
H=$WORK/home
new_home "$H" rsa,ecdsa
h() { "$HPKI" --home "$H" "$@"; }
nh() { "$HPKI" --home "$WORK/no-home" "$@"; }  # no hpki home: the RFC rules alone
cd "$WORK"
code_of() { set +e; "$@" >out.txt 2>err.txt; echo $?; set -e; }
keyopts() { if [ "$1" == rsa ]; then echo "-newkey rsa:2048"; else echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256"; fi; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }
printf 'discharge summary of patient 0042\n' >doc.txt
ROGUE=""
trap 'for p in $ROGUE; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; cleanup' EXIT

for fam in rsa ecdsa; do
  h ca chain --family "$fam" >"$fam-chain.pem"
  csplit -s -z -f "$fam-ca-" "$fam-chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
  mv "$fam-ca-00" "$fam-issuing.pem"; mv "$fam-ca-01" "$fam-root.pem"
  # Trust-service certificates of the issuing CA that hpki did not designate.
  for what in ocsp-responder tsa; do
    # shellcheck disable=SC2046
    openssl req -new $(keyopts "$fam") -nodes -keyout "$fam-rogue-$what.key" -out "$fam-rogue-$what.csr" -subj "/CN=rogue" 2>/dev/null
    h cert issue --profile "$what" --csr "$fam-rogue-$what.csr" --name "rogue $what $fam" --org 示例医院 \
      --out "$fam-rogue-$what.pem" >/dev/null
  done
  # The victim (a device) and a certificate that stays good; a signer with its key imported.
  for leaf in victim good; do
    # shellcheck disable=SC2046
    openssl req -new $(keyopts "$fam") -nodes -keyout "$fam-$leaf.key" -out "$fam-$leaf.csr" -subj "/CN=$leaf" 2>/dev/null
    h cert issue --profile device --csr "$fam-$leaf.csr" --org 示例医院 --dns "$leaf.$fam.example.cn" --out "$fam-$leaf.pem" >/dev/null
  done
  # shellcheck disable=SC2046
  openssl req -new $(keyopts "$fam") -nodes -keyout "$fam-signer.key" -out "$fam-signer.csr" -subj "/CN=org" 2>/dev/null
  h cert issue --profile org-sign --csr "$fam-signer.csr" --name "示例医院 $fam signing" --org 示例医院 \
    --country CN --out "$fam-signer.pem" >/dev/null
  h key import --name "signer-$fam" --in "$fam-signer.key" >/dev/null
done
check "the rogue OCSP certificate has OCSPSigning and ocsp-nocheck" grep -q "OCSP No Check" \
  <(openssl x509 -in rsa-rogue-ocsp-responder.pem -noout -text)
sleep 2  # revoked at least a second after issuance: a back-dated time lies between the two
for fam in rsa ecdsa; do
  h cert revoke "$(serial_of "$fam-victim.pem")" --reason keyCompromise >/dev/null
  h cert revoke "$(serial_of "$fam-signer.pem")" --reason keyCompromise >/dev/null
  h crl generate --ca "$fam-root" --out "$fam-root.crl" >/dev/null
  h crl generate --ca "$fam-issuing" --out "$fam-issuing.crl" >/dev/null
done

# ---- OCSP: a forged "good" from an undesignated delegate ----------------------------------
for fam in rsa ecdsa; do
  enddate=$(date -u -d "$(openssl x509 -in "$fam-victim.pem" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
  serial=$(openssl x509 -in "$fam-victim.pem" -noout -serial | cut -d= -f2)
  printf 'V\t%s\t\t%s\tunknown\t/CN=victim\n' "$enddate" "$serial" >"$fam-index.txt"
  openssl ocsp -issuer "$fam-issuing.pem" -cert "$fam-victim.pem" -no_nonce -reqout "$fam-req.der" >/dev/null 2>&1
  openssl ocsp -index "$fam-index.txt" -rsigner "$fam-rogue-ocsp-responder.pem" -rkey "$fam-rogue-ocsp-responder.key" \
    -CA "$fam-issuing.pem" -ndays 1 -reqin "$fam-req.der" -respout "$fam-forged.der" >/dev/null 2>&1
  out=$(openssl ocsp -respin "$fam-forged.der" -issuer "$fam-issuing.pem" -cert "$fam-victim.pem" -CAfile "$fam-root.pem" 2>&1 || true)
  check "$fam: openssl ocsp accepts the forged answer (RFC 6960)" grep -q "Response verify OK" <<<"$out"
  check "$fam: the forged answer says good" grep -q "$fam-victim.pem: good" <<<"$out"
  args=("$fam-victim.pem" --intermediate "$fam-issuing.pem" --trust "$fam-root.pem" --crl "$fam-root.crl" --ocsp "$fam-forged.der")
  expect_eq "$fam: verify cert without a home: valid (RFC 6960 alone)" 0 "$(code_of nh verify cert "${args[@]}")"
  expect_eq "$fam: verify cert with the home: invalid" 1 "$(code_of h verify cert "${args[@]}")"
  check "$fam: verify cert with the home: ocsp_responder_not_designated" grep -q ocsp_responder_not_designated out.txt
  json=$(h --json verify cert "${args[@]}" || true)
  expect_eq "$fam: JSON status" revocation_unknown "$(jq -r .status <<<"$json")"
done

# ---- TSA: a back-dated token from an undesignated TSA ---------------------------------------
for fam in rsa ecdsa; do
  # genTime one second after the signer's notBefore: before its revocation.
  nb=$(openssl x509 -in "$fam-signer.pem" -noout -startdate | cut -d= -f2)
  gen=$(date -u -d "$nb + 1 second" +%Y%m%d%H%M%SZ)
  mkdir -p "rogue-$fam"
  python3 "$HERE/rogue_tsa.py" "$fam-rogue-tsa.pem" "$fam-rogue-tsa.key" "$gen" "rogue-$fam" >"rogue-$fam/port" &
  ROGUE=$!
  for _ in $(seq 1 100); do [ -s "rogue-$fam/port" ] && break; sleep 0.1; done
  check "$fam: hpki sign after the revocation, with the back-dated token" h sign --key "file:signer-$fam" \
    --cert "$fam-signer.pem" --chain "$fam-issuing.pem" --in doc.txt --out "$fam-forged.p7s" \
    --tsa "http://127.0.0.1:$(cat "rogue-$fam/port")/"
  kill -TERM "$ROGUE"; wait "$ROGUE" 2>/dev/null || true; ROGUE=""
  args=("$fam-forged.p7s" --trust "$fam-root.pem" --crl "$fam-root.crl" --crl "$fam-issuing.crl")
  json=$(nh --json verify cms "${args[@]}" || true)
  expect_eq "$fam: verify cms without a home: valid (RFC 3161 alone)" true "$(jq -r .valid <<<"$json")"
  expect_eq "$fam: verify cms without a home: the token's time" timestamp "$(jq -r .time_source <<<"$json")"
  json=$(h --json verify cms "${args[@]}" || true)
  expect_eq "$fam: verify cms with the home: invalid" false "$(jq -r .valid <<<"$json")"
  expect_eq "$fam: verify cms with the home: timestamp not designated" tsp.tsa_not_designated "$(jq -r .timestamp.status <<<"$json")"
  expect_eq "$fam: verify cms with the home: judged now" now "$(jq -r .time_source <<<"$json")"
  expect_eq "$fam: verify cms with the home: revoked" revoked "$(jq -r .status <<<"$json")"
  ts=(--in "rogue-$fam/last.tsr" --digest "$(cat "rogue-$fam/last.digest")" --trust "$fam-root.pem" --untrusted "$fam-issuing.pem")
  expect_eq "$fam: ts verify without a home: OK" 0 "$(code_of nh ts verify "${ts[@]}")"
  expect_eq "$fam: ts verify with the home: exit 1" 1 "$(code_of h ts verify "${ts[@]}")"
  check "$fam: ts verify with the home: tsp.tsa_not_designated" grep -q tsp.tsa_not_designated err.txt
done

# ---- hpki serve: the API, and hpki's own (designated) OCSP responder and TSA -----------------
start_server "$H"
check "server started with a TSA and the API" test -n "$PLAIN" -a -n "$API"
INTEG=$(h apikey create --role integration --org 示例医院 2>/dev/null | tail -n 1)
C=(curl -s --cacert "$H/tls/ca.pem" -H "Authorization: Bearer $INTEG")
for fam in rsa ecdsa; do
  "${C[@]}" "${API}verify" -d "{\"signature\":\"$(base64 -w0 "$fam-forged.p7s")\"}" >api.json
  expect_eq "$fam: POST /verify: invalid" false "$(jq -r .valid api.json)"
  expect_eq "$fam: POST /verify: timestamp not designated" tsp.tsa_not_designated "$(jq -r .timestamp.status api.json)"
  expect_eq "$fam: POST /verify: judged now" now "$(jq -r .time_source api.json)"
  expect_eq "$fam: POST /verify: revoked" revoked "$(jq -r .status api.json)"
  # The home's TSA is designated: a signature it time-stamps (signer still good) is valid.
  h key import --name "good-$fam" --in "$fam-good.key" >/dev/null
  check "$fam: CAdES-T with the home's TSA" h sign --key "file:good-$fam" --cert "$fam-good.pem" \
    --chain "$fam-issuing.pem" --in doc.txt --out "$fam-good.p7s" --tsa "${PLAIN}tsa/$fam"
  json=$(h --json verify cms "$fam-good.p7s" --trust "$fam-root.pem" || true)
  expect_eq "$fam: home's TSA: valid" true "$(jq -r .valid <<<"$json")"
  expect_eq "$fam: home's TSA: timestamp valid" true "$(jq -r .timestamp.valid <<<"$json")"
  "${C[@]}" "${API}verify" -d "{\"signature\":\"$(base64 -w0 "$fam-good.p7s")\"}" >api.json
  expect_eq "$fam: POST /verify, home's TSA: valid" true "$(jq -r .valid api.json)"
  # hpki's own responder (the designated delegate) is believed with the home.
  for leaf in good victim; do
    openssl ocsp -issuer "$fam-issuing.pem" -cert "$fam-$leaf.pem" -url "${PLAIN}ocsp" -no_nonce \
      -respout "$fam-served-$leaf.der" -CAfile "$fam-root.pem" >/dev/null 2>&1 || true
  done
  args=(--intermediate "$fam-issuing.pem" --trust "$fam-root.pem" --crl "$fam-root.crl")
  expect_eq "$fam: hpki's responder, good leaf: valid" 0 "$(code_of h verify cert "$fam-good.pem" "${args[@]}" --ocsp "$fam-served-good.der")"
  expect_eq "$fam: hpki's responder, victim: invalid" 1 "$(code_of h verify cert "$fam-victim.pem" "${args[@]}" --ocsp "$fam-served-victim.der")"
  check "$fam: hpki's responder, victim: ocsp_revoked" grep -q ocsp_revoked out.txt
done
stop_server

finish
