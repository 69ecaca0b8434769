#!/usr/bin/env bash
# The signing service (issue 8) through the CLI, against the real openssl CLI:
#   tests/integration/sign.sh sqlite|postgresql
# Organization keys imported into the home's file key store with org-sign certificates from
# the home's CAs; `hpki sign` CMS (RSA, ECDSA, SM2; attached and detached; GM/T 0010) accepted by
# `openssl cms -verify` (RSA, ECDSA) and by `hpki verify cms`; `openssl cms -sign` output verified
# by hpki; tampered content, wrong signer, revoked signer (CRL from an openssl CA, revoked before
# the signing time) and expired signer give their diagnostics; SM2 with changed content fails;
# CAdES-T through the home's TSA in `hpki serve`.
source "$(dirname "$0")/lib.sh"
setup_db "$1"
H=$WORK/home
new_home "$H" rsa,ecdsa,sm2
h() { "$HPKI" --home "$H" "$@"; }
cd "$WORK"
printf 'discharge summary of patient 0042\n' >doc.txt
printf 'discharge summary of patient 0043\n' >other.txt

code_of() { set +e; "$@" >out.txt 2>err.txt; echo $?; set -e; }

for fam in rsa ecdsa sm2; do
  h ca chain --family "$fam" >"$fam-chain.pem"
  csplit -s -z -f "$fam-ca-" "$fam-chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
  mv "$fam-ca-00" "$fam-issuing.pem"; mv "$fam-ca-01" "$fam-root.pem"
  case $fam in
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$fam.key" 2>/dev/null ;;
    ecdsa) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$fam.key" 2>/dev/null ;;
    sm2) openssl genpkey -algorithm SM2 -out "$fam.key" 2>/dev/null ;;
  esac
  if [ "$fam" == "sm2" ]; then
    openssl req -new -key "$fam.key" -sm3 -sigopt distid:1234567812345678 -utf8 -out "$fam.csr" -subj "/CN=org" 2>/dev/null
  else
    openssl req -new -key "$fam.key" -utf8 -out "$fam.csr" -subj "/CN=org" 2>/dev/null
  fi
  h cert issue --profile org-sign --csr "$fam.csr" --name "示例医院 $fam signing" --org 示例医院 \
    --country CN --out "$fam-org.pem" >"$fam.serial"
  expect_eq "$fam: key import prints the reference" "file:org-$fam" "$(h key import --name "org-$fam" --in "$fam.key")"
  check "$fam: hpki sign attached" h sign --key "file:org-$fam" --cert "$fam-org.pem" --chain "$fam-issuing.pem" --in doc.txt --out "$fam.p7s"
  check "$fam: hpki sign detached" h sign --key "file:org-$fam" --cert "$fam-org.pem" --chain "$fam-issuing.pem" --in doc.txt --out "$fam-det.p7s" --detached
  check "$fam: hpki verify cms attached" h verify cms "$fam.p7s" --trust "$fam-root.pem"
  check "$fam: hpki verify cms detached" h verify cms "$fam-det.p7s" --content doc.txt --trust "$fam-root.pem"
  expect_eq "$fam: tampered content exit 1" 1 "$(code_of h verify cms "$fam-det.p7s" --content other.txt --trust "$fam-root.pem")"
  check "$fam: tampered content diagnostic" grep -q "cms.message_digest_mismatch" out.txt
  check "$fam: GM/T 0010 signature" h sign --key "file:org-$fam" --cert "$fam-org.pem" --chain "$fam-issuing.pem" --in doc.txt --out "$fam-gm.p7s" --gmt0010
  json=$(h --json verify cms "$fam-gm.p7s" --trust "$fam-root.pem")
  expect_eq "$fam: GM/T 0010 valid" true "$(jq -r .valid <<<"$json")"
  expect_eq "$fam: GM/T 0010 style reported" gmt0010 "$(jq -r .oid_style <<<"$json")"
  check "$fam: GM/T 0010 signedData OID in the DER" grep -q "1.2.156.10197.6.1.4.2.2" <(openssl asn1parse -inform DER -in "$fam-gm.p7s" 2>/dev/null)
done

# A signer of another hierarchy: no path to the given trust anchor.
for fam in rsa ecdsa sm2; do
  other=rsa; [ "$fam" == "rsa" ] && other=sm2
  expect_eq "$fam: wrong trust anchor exit 1" 1 "$(code_of h verify cms "$fam.p7s" --trust "$other-root.pem")"
  check "$fam: wrong trust anchor diagnostic" grep -q "no_path_to_trust_anchor" out.txt
done

# openssl verifies hpki's RSA and ECDSA CMS, attached and detached.
for fam in rsa ecdsa; do
  openssl cms -verify -binary -CAfile "$fam-root.pem" -in "$fam.p7s" -inform DER -out verified.txt >ossl.out 2>&1 || true
  check "$fam: openssl cms -verify attached" grep -q "Verification successful" ossl.out
  check "$fam: openssl recovers the content" cmp -s verified.txt doc.txt
  check "$fam: openssl cms -verify detached" grep -q "Verification successful" \
    <(openssl cms -verify -binary -CAfile "$fam-root.pem" -in "$fam-det.p7s" -inform DER -content doc.txt -out /dev/null 2>&1)
  check "$fam: openssl refuses the tampered content" bash -c \
    "! openssl cms -verify -binary -CAfile $fam-root.pem -in $fam-det.p7s -inform DER -content other.txt -out /dev/null >/dev/null 2>&1"
  # hpki verifies openssl cms -sign output (detached by default, and -nodetach).
  openssl cms -sign -binary -in doc.txt -signer "$fam-org.pem" -inkey "$fam.key" -certfile "$fam-issuing.pem" \
    -outform DER -out "ossl-$fam.p7s" 2>/dev/null
  openssl cms -sign -binary -nodetach -in doc.txt -signer "$fam-org.pem" -inkey "$fam.key" -certfile "$fam-issuing.pem" \
    -outform DER -out "ossl-$fam-att.p7s" 2>/dev/null
  check "$fam: hpki verifies openssl cms -sign (detached)" h verify cms "ossl-$fam.p7s" --content doc.txt --trust "$fam-root.pem"
  check "$fam: hpki verifies openssl cms -sign -nodetach" h verify cms "ossl-$fam-att.p7s" --trust "$fam-root.pem"
  expect_eq "$fam: openssl signature, other content exit 1" 1 "$(code_of h verify cms "ossl-$fam.p7s" --content other.txt --trust "$fam-root.pem")"
done

# SM2: the signature algorithm is SM2-with-SM3, changed content fails.
json=$(h --json verify cms sm2-det.p7s --content doc.txt --trust sm2-root.pem)
expect_eq "sm2: signature algorithm" sm2-sm3 "$(jq -r .signature_algorithm <<<"$json")"
expect_eq "sm2: changed content exit 1" 1 "$(code_of h verify cms sm2-det.p7s --content other.txt --trust sm2-root.pem)"
check "sm2: changed content diagnostic" grep -q "cms.message_digest_mismatch" out.txt
# Raw signatures.
check "raw sign" h sign --key file:org-ecdsa --cert ecdsa-org.pem --in doc.txt --out ecdsa.sig --raw
check "raw signature verifies with openssl" openssl dgst -sha256 -verify <(openssl x509 -in ecdsa-org.pem -pubkey -noout) -signature ecdsa.sig doc.txt
# Input errors are exit 2.
expect_eq "not a CMS: exit 2" 2 "$(code_of h verify cms doc.txt --trust rsa-root.pem)"
expect_eq "unknown key: exit 2 or 3" true "$(c=$(code_of h sign --key file:nope --cert rsa-org.pem --in doc.txt --out x.p7s); [ "$c" -ge 2 ] && echo true)"

# Revoked and expired signers, from a small openssl CA with its CRL.
mkdir ossl-ca && cd ossl-ca
mkdir newcerts && : >index.txt && echo 1000 >serial && echo 01 >crlnumber
cat >ca.cnf <<'CNF'
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = .
database = index.txt
new_certs_dir = newcerts
certificate = root.pem
private_key = root.key
serial = serial
crlnumber = crlnumber
default_md = sha256
default_days = 30
default_crl_days = 7
policy = pol
unique_subject = no
crl_extensions = crl_ext
[ pol ]
commonName = supplied
[ crl_ext ]
authorityKeyIdentifier = keyid
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
  -subj "/CN=openssl Test Root" -days 30 -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
for who in revoked expired good; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$who.key" -out "$who.csr" -subj "/CN=$who signer" 2>/dev/null
done
openssl ca -batch -config ca.cnf -extensions leaf -in revoked.csr -out revoked.pem >/dev/null 2>&1
openssl ca -batch -config ca.cnf -extensions leaf -in good.csr -out good.pem >/dev/null 2>&1
openssl ca -batch -config ca.cnf -extensions leaf -in expired.csr -out expired.pem \
  -startdate 20250101000000Z -enddate 20250201000000Z >/dev/null 2>&1
openssl ca -config ca.cnf -revoke revoked.pem -crl_reason keyCompromise >/dev/null 2>&1
openssl ca -config ca.cnf -gencrl -out root.crl.pem >/dev/null 2>&1
cd ..
for who in revoked expired good; do
  h key import --name "ossl-$who" --in "ossl-ca/$who.key" >/dev/null
  sleep 1  # the signing time is after the revocation
  h sign --key "file:ossl-$who" --cert "ossl-ca/$who.pem" --in doc.txt --out "$who.p7s"
done
check "good signer with the CRL: valid" h verify cms good.p7s --trust ossl-ca/root.pem --crl ossl-ca/root.crl.pem --require-revocation
expect_eq "revoked signer: exit 1" 1 "$(code_of h verify cms revoked.p7s --trust ossl-ca/root.pem --crl ossl-ca/root.crl.pem)"
check "revoked signer: diagnostic" grep -q "FAILED (revoked)" out.txt
json=$(h --json verify cms revoked.p7s --trust ossl-ca/root.pem --crl ossl-ca/root.crl.pem || true)
expect_eq "revoked signer: JSON status" revoked "$(jq -r .status <<<"$json")"
expect_eq "revoked signer: signature itself valid" true "$(jq -r .signature_valid <<<"$json")"
check "revoked signer: openssl agrees" bash -c "! openssl cms -verify -binary -CAfile ossl-ca/root.pem -CRLfile ossl-ca/root.crl.pem -crl_check -in revoked.p7s -inform DER -out /dev/null >/dev/null 2>&1"
expect_eq "expired signer: exit 1" 1 "$(code_of h verify cms expired.p7s --trust ossl-ca/root.pem)"
check "expired signer: diagnostic" grep -q "FAILED (not_after_passed)" out.txt

# CAdES-T: the home's TSA in `hpki serve`.
start_server "$H"
check "server started with a TSA and the API" test -n "$PLAIN" -a -n "$API"
for fam in rsa sm2; do
  check "$fam: CAdES-T sign with --tsa" h sign --key "file:org-$fam" --cert "$fam-org.pem" --chain "$fam-issuing.pem" \
    --in doc.txt --out "$fam-t.p7s" --tsa "${PLAIN}tsa"
  json=$(h --json verify cms "$fam-t.p7s" --trust "$fam-root.pem")
  expect_eq "$fam: CAdES-T valid" true "$(jq -r .valid <<<"$json")"
  expect_eq "$fam: timestamp valid" true "$(jq -r .timestamp.valid <<<"$json")"
  expect_eq "$fam: validated at the timestamp" timestamp "$(jq -r .time_source <<<"$json")"
  check "$fam: signatureTimeStampToken attribute present" grep -q "id-smime-aa-timeStampToken" \
    <(openssl asn1parse -inform DER -in "$fam-t.p7s" 2>/dev/null)
done
check "rsa: openssl still verifies the CAdES-T signature" grep -q "Verification successful" \
  <(openssl cms -verify -binary -CAfile rsa-root.pem -in rsa-t.p7s -inform DER -out /dev/null 2>&1)

# Over HTTP: registered organization keys, POST /api/v1/sign and /api/v1/verify.
C=(curl -s --cacert "$H/tls/ca.pem")
code() { "${C[@]}" -o body.json -w '%{http_code}' "$@"; }
INTEG=$(h apikey create --role integration --org 示例医院 2>/dev/null | tail -n 1)
RA=$(h apikey create --role ra_officer --org 示例医院 2>/dev/null | tail -n 1)
INTEG_B=$(h apikey create --role integration --org 其他医院 2>/dev/null | tail -n 1)
AUDITOR=$(h apikey create --role auditor 2>/dev/null | tail -n 1)
for fam in rsa sm2; do
  check "$fam: key register" h key register --id "org-$fam" --ref "file:org-$fam" --cert "$fam-org.pem" --chain "$fam-issuing.pem" --org 示例医院
done
expect_eq "register refuses a key that is not the certificate's" 1 \
  "$(c=$(code_of h key register --id bad --ref file:org-rsa --cert sm2-org.pem --org 示例医院); [ "$c" -ne 0 ] && echo 1)"
check "hpki sign --key with a registered id (no --cert)" h sign --key org-rsa --in doc.txt --out reg.p7s
check "registered id signature verifies" h verify cms reg.p7s --trust rsa-root.pem
DATA=$(base64 -w0 doc.txt)
for fam in rsa sm2; do
  expect_eq "$fam: POST /sign (CAdES-T): 200" 200 "$(code -H "Authorization: Bearer $INTEG" "${API}sign" \
    -d "{\"key\":\"org-$fam\",\"data\":\"$DATA\",\"mode\":\"cms\",\"timestamp\":true}")"
  jq -r .signature body.json | base64 -d >"api-$fam.p7s"
  check "$fam: API response has the timestamp time" test "$(jq -r .timestamp_time body.json)" != null
  check "$fam: API signature verifies with hpki verify cms" h verify cms "api-$fam.p7s" --trust "$fam-root.pem"
  SIG=$(base64 -w0 "api-$fam.p7s")
  expect_eq "$fam: POST /verify: 200" 200 "$(code -H "Authorization: Bearer $INTEG" "${API}verify" -d "{\"signature\":\"$SIG\"}")"
  expect_eq "$fam: API verify: valid" true "$(jq -r .valid body.json)"
  expect_eq "$fam: API verify: timestamp valid" true "$(jq -r .timestamp.valid body.json)"
  expect_eq "$fam: API verify: chain to this home's root" 3 "$(jq -r '.path.chain | length' body.json)"
  # Detached over the API; tampered content named.
  expect_eq "$fam: POST /sign detached: 200" 200 "$(code -H "Authorization: Bearer $RA" "${API}sign" \
    -d "{\"key\":\"org-$fam\",\"data\":\"$DATA\",\"mode\":\"cms-detached\"}")"
  DSIG=$(jq -r .signature body.json)
  expect_eq "$fam: verify detached" true "$("${C[@]}" -H "Authorization: Bearer $AUDITOR" "${API}verify" \
    -d "{\"signature\":\"$DSIG\",\"content\":\"$DATA\"}" | jq -r .valid)"
  expect_eq "$fam: verify detached, other content" cms.message_digest_mismatch "$("${C[@]}" -H "Authorization: Bearer $AUDITOR" "${API}verify" \
    -d "{\"signature\":\"$DSIG\",\"content\":\"$(base64 -w0 other.txt)\"}" | jq -r .status)"
done
jq -r .signature_algorithm <(curl -s --cacert "$H/tls/ca.pem" -H "Authorization: Bearer $INTEG" "${API}sign" \
  -d "{\"key\":\"org-sm2\",\"data\":\"$DATA\",\"mode\":\"raw\"}") >alg.txt
expect_eq "sm2: raw signature over the API is SM2-with-SM3" sm2-sm3 "$(cat alg.txt)"
check "rsa: openssl verifies the API's CAdES-T CMS" grep -q "Verification successful" \
  <(openssl cms -verify -binary -CAfile rsa-root.pem -in api-rsa.p7s -inform DER -out /dev/null 2>&1)
expect_eq "a key of another organization: 404" 404 "$(code -H "Authorization: Bearer $INTEG_B" "${API}sign" -d "{\"key\":\"org-rsa\",\"data\":\"$DATA\"}")"
expect_eq "an unknown key: 404" 404 "$(code -H "Authorization: Bearer $INTEG" "${API}sign" -d "{\"key\":\"nope\",\"data\":\"$DATA\"}")"
expect_eq "auditor may not sign: 403" 403 "$(code -H "Authorization: Bearer $AUDITOR" "${API}sign" -d "{\"key\":\"org-rsa\",\"data\":\"$DATA\"}")"
expect_eq "bad base64: 400" 400 "$(code -H "Authorization: Bearer $INTEG" "${API}sign" -d '{"key":"org-rsa","data":"!!"}')"
expect_eq "not a CMS: 400" 400 "$(code -H "Authorization: Bearer $INTEG" "${API}verify" -d "{\"signature\":\"$DATA\"}")"
# PDFs over the API (issue 20, docs/pdf.md "API"): mode pdf signs a PDF (PAdES) with a registered
# key, a seal of the key's organization is drawn (an SM2 seal stamps a GB/T 38540 SES_Signature),
# and POST /verify with mode pdf reports every signature.
python3 "$(dirname "$0")/make_pdf.py" rec.pdf 2
python3 "$(dirname "$0")/make_pdf.py" --seal seal.png
PDF=$(base64 -w0 rec.pdf)
h seal create --org 示例医院 --name 示例医院电子公章 --image seal.png --cert sm2-org.pem --maker-key org-sm2 >seal.txt
SEAL=$(awk '/^id:/ {print $2}' seal.txt)
for fam in rsa sm2; do
  printf '{"key":"org-%s","mode":"pdf","data":"%s","pdf":{"level":"b-t","anchor":"医生签名:","image":"%s","reason":"出院小结"}}' \
    "$fam" "$PDF" "$(base64 -w0 seal.png)" >req.json
  expect_eq "$fam: POST /sign mode pdf (PAdES B-T, image at the anchor): 200" 200 \
    "$(code -H "Authorization: Bearer $INTEG" "${API}sign" --data-binary @req.json)"
  expect_eq "$fam: the answer names PAdES B-T" pades-b-t "$(jq -r .format body.json)"
  jq -r .pdf body.json | base64 -d >"api-$fam.pdf"
  check "$fam: qpdf --check accepts the API's PDF" qpdf --check "api-$fam.pdf"
  check "$fam: hpki verify pdf: valid" h verify pdf "api-$fam.pdf"
  printf '{"mode":"pdf","signature":"%s"}' "$(base64 -w0 "api-$fam.pdf")" >vreq.json
  expect_eq "$fam: POST /verify mode pdf: 200" 200 "$(code -H "Authorization: Bearer $AUDITOR" "${API}verify" --data-binary @vreq.json)"
  expect_eq "$fam: API verify pdf: valid" true "$(jq -r .valid body.json)"
  expect_eq "$fam: API verify pdf: the signature timestamp is valid" true "$(jq -r '.signatures[0].cms.timestamp.valid' body.json)"
done
check "rsa: pdfsig says the API's PDF signature is valid" grep -q "Signature is Valid" <(pdfsig api-rsa.pdf 2>&1)
printf '{"key":"org-sm2","mode":"pdf","data":"%s","pdf":{"seal":"%s","page":1,"rect":{"x":380,"y":600,"w":113,"h":113}}}' "$PDF" "$SEAL" >req.json
expect_eq "sm2: POST /sign with an SM2 seal: 200" 200 "$(code -H "Authorization: Bearer $INTEG" "${API}sign" --data-binary @req.json)"
expect_eq "sm2: the seal stamps a GB/T 38540 SES_Signature" GBT38540.SES "$(jq -r .format body.json)"
jq -r .pdf body.json | base64 -d >api-seal.pdf
h --json verify pdf api-seal.pdf >seal-report.json || true
expect_eq "sm2: the stamp verifies" true "$(jq -r .valid seal-report.json)"
expect_eq "sm2: the report names the seal" 示例医院电子公章 "$(jq -r '.signatures[0].seal_stamp.seal_name' seal-report.json)"
expect_eq "a seal for a certificate it does not list: 403/409/400" true \
  "$(c=$(printf '{"key":"org-rsa","mode":"pdf","data":"%s","pdf":{"seal":"%s","page":1,"rect":{"x":1,"y":1,"w":50,"h":50}}}' "$PDF" "$SEAL" >req.json; code -H "Authorization: Bearer $INTEG" "${API}sign" --data-binary @req.json); [ "$c" -ge 400 ] && [ "$c" -lt 500 ] && echo true)"
check "the refusal names seal.signer_not_allowed" grep -q "seal.signer_not_allowed" body.json
printf '{"key":"org-rsa","mode":"pdf","data":"%s"}' "$DATA" >req.json
expect_eq "mode pdf with data that is not a PDF: 400" 400 "$(code -H "Authorization: Bearer $INTEG" "${API}sign" --data-binary @req.json)"
printf '{"key":"org-rsa","mode":"pdf","data":"%s","pdf":{"rect":{"x":"1","y":1,"w":1,"h":1}}}' "$PDF" >req.json
expect_eq "mode pdf with a string for a number: 400" 400 "$(code -H "Authorization: Bearer $INTEG" "${API}sign" --data-binary @req.json)"
printf '{"key":"org-rsa","mode":"pdf","data":"%s"}' "$PDF" >req.json
expect_eq "mode pdf, a key of another organization: 404" 404 "$(code -H "Authorization: Bearer $INTEG_B" "${API}sign" --data-binary @req.json)"

# Revoked in this home's store after the time-stamped signature: still valid (noted); a
# signature without a timestamp, verified now, is revoked.
RSA_SIG=$(base64 -w0 api-rsa.p7s)
# Times have whole seconds: a revocation in the timestamp's own second cannot be ordered after
# it (and counts as before, conservatively), so revoke in a later second.
sleep 1.1
h cert revoke "$(cat rsa.serial)" --reason keyCompromise >/dev/null
"${C[@]}" -H "Authorization: Bearer $INTEG" "${API}verify" -d "{\"signature\":\"$RSA_SIG\"}" >after.json
expect_eq "revoked after the timestamp: valid" true "$(jq -r .valid after.json)"
expect_eq "revoked after the timestamp: noted" sign.revoked_after_signing "$(jq -r '.notes[0].id' after.json)"
"${C[@]}" -H "Authorization: Bearer $INTEG" "${API}verify" -d "{\"signature\":\"$(base64 -w0 rsa.p7s)\"}" >revoked.json
expect_eq "revoked, no timestamp: revoked" revoked "$(jq -r .status revoked.json)"
stop_server

finish
