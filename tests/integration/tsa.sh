#!/usr/bin/env bash
# The RFC 3161 TSA (issue 7) over real HTTP on loopback, on SQLite or PostgreSQL:
#   tests/integration/tsa.sh sqlite|postgresql
# openssl ts -query -> curl POST -> openssl ts -verify "Verification: OK" for the RSA and ECDSA
# TSAs; openssl ts -reply -text shows the fields; SM2 tokens verified by `hpki ts verify`;
# tampered token, wrong data and wrong nonce rejected; bad requests get the right PKIStatus /
# HTTP status; serials increase across a restart; the clock check refuses a time before the
# last genTime; GET /api/v1/timestamps/{serial}.
source "$(dirname "$0")/lib.sh"
setup_db "$1"
H=$WORK/home
new_home "$H" rsa,ecdsa,sm2
h() { "$HPKI" --home "$H" "$@"; }
ADMIN=$(h apikey create --role admin 2>/dev/null | tail -n 1)
cd "$WORK"

post() {  # post URL QUERY OUT [content-type]: prints the HTTP status
  curl -s -o "$3" -w '%{http_code}' -H "Content-Type: ${4:-application/timestamp-query}" \
    --data-binary @"$2" "$1"
}
reply_text() { openssl ts -reply -in "$1" -text 2>/dev/null; }
status_of() { reply_text "$1" | sed -n 's/^Status: //p'; }
failure_of() { reply_text "$1" | sed -n 's/^Failure info: //p'; }

start_server "$H"
check "server started with a TSA" test -n "$PLAIN"

# Trust material: each family's root, its TSA certificate (AIA caIssuers route).
for fam in rsa ecdsa sm2; do
  h ca chain --family "$fam" | awk -v f="$fam" '/BEGIN/{n++} {print > (f "-chain" n ".pem")}'
  mv "$fam-chain2.pem" "$fam-root.pem"
  curl -s "${PLAIN}ca/$fam-tsa.crt" | openssl x509 -inform DER -out "$fam-tsa.pem"
done
printf 'discharge summary of patient 0042\n' >doc.txt
printf 'discharge summary of patient 0043\n' >other.txt

# RSA (by hash) and ECDSA (by path): openssl is the client and the verifier.
for fam in rsa ecdsa; do
  url="${PLAIN}tsa"
  [ "$fam" == "ecdsa" ] && url="${PLAIN}tsa/ecdsa"
  openssl ts -query -data doc.txt -sha256 -cert -out "$fam.tsq" 2>/dev/null
  expect_eq "$fam: HTTP 200" 200 "$(post "$url" "$fam.tsq" "$fam.tsr")"
  expect_eq "$fam: granted" "Granted." "$(status_of "$fam.tsr")"
  check "$fam: openssl ts -verify -data" grep -q "Verification: OK" \
    <(openssl ts -verify -data doc.txt -in "$fam.tsr" -CAfile "$fam-root.pem" -untrusted "$fam-tsa.pem" 2>&1)
  check "$fam: openssl ts -verify -queryfile (imprint and nonce)" grep -q "Verification: OK" \
    <(openssl ts -verify -queryfile "$fam.tsq" -in "$fam.tsr" -CAfile "$fam-root.pem" -untrusted "$fam-tsa.pem" 2>&1)
  check "$fam: wrong data rejected by openssl" grep -q "message imprint mismatch" \
    <(openssl ts -verify -data other.txt -in "$fam.tsr" -CAfile "$fam-root.pem" -untrusted "$fam-tsa.pem" 2>&1)
  openssl ts -query -data doc.txt -sha256 -cert -out "$fam-2.tsq" 2>/dev/null
  check "$fam: another request's nonce rejected by openssl" grep -q "nonce mismatch" \
    <(openssl ts -verify -queryfile "$fam-2.tsq" -in "$fam.tsr" -CAfile "$fam-root.pem" -untrusted "$fam-tsa.pem" 2>&1)
  check "$fam: hpki ts verify" h ts verify --data doc.txt --in "$fam.tsr" --trust "$fam-root.pem"
done
expect_eq "RSA TSA signs SHA-256 requests" "Test" "$(reply_text rsa.tsr | grep -q 'RSA Time Stamping' && echo Test)"
expect_eq "ECDSA TSA on /tsa/ecdsa" "Test" "$(reply_text ecdsa.tsr | grep -q 'ECDSA Time Stamping' && echo Test)"
# The fields of RFC 3161 2.4.2 as openssl prints them.
text=$(reply_text rsa.tsr)
check "reply text: version 1" grep -q '^Version: 1' <<<"$text"
check "reply text: configured policy" grep -q '^Policy OID: 1.3.6.1.4.1.59999.3161.1' <<<"$text"
check "reply text: hash" grep -q '^Hash Algorithm: sha256' <<<"$text"
check "reply text: serial" grep -q '^Serial number: 0x' <<<"$text"
check "reply text: accuracy" grep -q '^Accuracy: 0x01 seconds' <<<"$text"
check "reply text: ordering no" grep -q '^Ordering: no' <<<"$text"
check "reply text: nonce echoed" grep -q '^Nonce: 0x' <<<"$text"
check "reply text: TSA name" grep -q '^TSA: DirName:.*Time Stamping Authority' <<<"$text"

# Tampered token: one byte of the signature flipped.
cp rsa.tsr tampered.tsr
size=$(stat -c %s tampered.tsr)
printf '\x00' | dd of=tampered.tsr bs=1 seek=$((size - 10)) conv=notrunc 2>/dev/null
check "tampered token: openssl refuses" bash -c "! openssl ts -verify -data doc.txt -in tampered.tsr -CAfile rsa-root.pem -untrusted rsa-tsa.pem >/dev/null 2>&1"
set +e
h ts verify --data doc.txt --in tampered.tsr --trust rsa-root.pem >/dev/null 2>tampered.err
expect_eq "tampered token: hpki exit 1" 1 "$?"
set -e
check "tampered token: signature diagnostic" grep -q "cms.signature_invalid" tampered.err

# SM2: hpki is client and verifier (SM3 picks the SM2 TSA; the standard ID everywhere).
check "sm2: hpki ts request (sm3, nonce, certReq)" h ts request --data doc.txt --hash sm3 --url "${PLAIN}tsa" --out sm2.tsr --cert-req --nonce
check "sm2: hpki ts verify" h ts verify --data doc.txt --in sm2.tsr --trust sm2-root.pem
json=$(h --json ts verify --data doc.txt --in sm2.tsr --trust sm2-root.pem)
expect_eq "sm2: signature algorithm" sm2-sm3 "$(jq -r .signature <<<"$json")"
expect_eq "sm2: hash" sm3 "$(jq -r .hash <<<"$json")"
expect_eq "sm2: policy" 1.3.6.1.4.1.59999.3161.1 "$(jq -r .policy <<<"$json")"
check "sm2: genTime printed" test -n "$(jq -r .gen_time <<<"$json")"
nonce=$(jq -r .nonce <<<"$json")
check "sm2: the right nonce accepted" h ts verify --data doc.txt --in sm2.tsr --trust sm2-root.pem --nonce "$nonce"
set +e
h ts verify --data doc.txt --in sm2.tsr --trust sm2-root.pem --nonce 0102030405060708 >/dev/null 2>err.txt
expect_eq "sm2: wrong nonce: exit 1" 1 "$?"
check "sm2: wrong nonce diagnostic" grep -q tsp.nonce_mismatch err.txt
h ts verify --data other.txt --in sm2.tsr --trust sm2-root.pem >/dev/null 2>err.txt
expect_eq "sm2: wrong data: exit 1" 1 "$?"
check "sm2: wrong data diagnostic" grep -q tsp.imprint_mismatch err.txt
cp sm2.tsr sm2-tampered.tsr
size=$(stat -c %s sm2-tampered.tsr)
printf '\x01' | dd of=sm2-tampered.tsr bs=1 seek=$((size - 5)) conv=notrunc 2>/dev/null
h ts verify --data doc.txt --in sm2-tampered.tsr --trust sm2-root.pem >/dev/null 2>err.txt
expect_eq "sm2: tampered token: exit 1" 1 "$?"
h ts verify --data doc.txt --in sm2.tsr --trust rsa-root.pem >/dev/null 2>err.txt
expect_eq "sm2: wrong trust anchor: exit 1" 1 "$?"
check "sm2: chain diagnostic" grep -q tsp.chain err.txt
set -e
check "sm2: the token is not an empty-ID signature (openssl cms, which uses the empty ID, fails)" \
  bash -c "openssl ts -reply -in sm2.tsr -token_out -out sm2.tok 2>/dev/null && ! openssl cms -verify -inform DER -in sm2.tok -noverify -out /dev/null >/dev/null 2>&1"
check "sm2: /tsa/sm2 with a SHA-256 request" grep -q Granted <(post "${PLAIN}tsa/sm2" rsa.tsq sm2b.tsr >/dev/null; reply_text sm2b.tsr)

# Bad requests.
head -c 20 rsa.tsq >trunc.tsq
expect_eq "truncated DER: HTTP 200" 200 "$(post "${PLAIN}tsa" trunc.tsq r.tsr)"
expect_eq "truncated DER: rejection" "Rejected." "$(status_of r.tsr)"
check "truncated DER: badDataFormat" grep -q "wrong format" <<<"$(failure_of r.tsr)"
: >empty.tsq
expect_eq "empty body: HTTP 200" 200 "$(post "${PLAIN}tsa" empty.tsq r.tsr)"
check "empty body: badDataFormat" grep -q "wrong format" <<<"$(failure_of r.tsr)"
# An unknown hash OID: sha256's last arc patched to 2.16.840.1.101.3.4.2.127.
python3 -c "
d = open('rsa.tsq', 'rb').read()
oid = bytes.fromhex('608648016503040201')
i = d.index(oid) + len(oid) - 1
open('unknown-hash.tsq', 'wb').write(d[:i] + b'\x7f' + d[i + 1:])"
expect_eq "unknown hash OID: HTTP 200" 200 "$(post "${PLAIN}tsa" unknown-hash.tsq r.tsr)"
check "unknown hash OID: badAlg" grep -q "unsupported algorithm" <<<"$(failure_of r.tsr)"
openssl ts -query -data doc.txt -sha1 -out sha1.tsq 2>/dev/null
post "${PLAIN}tsa" sha1.tsq r.tsr >/dev/null
check "sha1: badAlg" grep -q "unsupported algorithm" <<<"$(failure_of r.tsr)"
openssl ts -query -data doc.txt -sha256 -tspolicy 1.2.3.4 -out policy.tsq 2>/dev/null
post "${PLAIN}tsa" policy.tsq r.tsr >/dev/null
check "other policy: unacceptedPolicy" grep -q "policy is not supported" <<<"$(failure_of r.tsr)"
expect_eq "wrong media type: HTTP 415" 415 "$(post "${PLAIN}tsa" rsa.tsq r.tsr application/octet-stream)"
check "wrong media type: still a TimeStampResp (badRequest)" grep -q "not permitted" <<<"$(failure_of r.tsr)"
head -c 1048576 /dev/zero >big.tsq
expect_eq "1 MB body: HTTP 413" 413 "$(post "${PLAIN}tsa" big.tsq r.tsr)"
expect_eq "unknown TSA path: HTTP 404" 404 "$(post "${PLAIN}tsa/dsa" rsa.tsq r.tsr)"
expect_eq "GET /tsa: 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' "${PLAIN}tsa")"

# The API listener answers /tsa too; the record of a token over the API.
serial1=$(reply_text rsa.tsr | sed -n 's/^Serial number: 0x//p')
serial1=$((16#$serial1))
C=(curl -s --cacert "$H/tls/ca.pem")
expect_eq "API listener /tsa" 200 "$("${C[@]}" -o api.tsr -w '%{http_code}' -H 'Content-Type: application/timestamp-query' --data-binary @rsa.tsq "${API%api/v1/}tsa")"
rec=$("${C[@]}" -H "Authorization: Bearer $ADMIN" "${API}timestamps/$serial1")
expect_eq "record: serial" "$serial1" "$(jq -r .serial <<<"$rec")"
expect_eq "record: TSA" rsa-tsa "$(jq -r .tsa <<<"$rec")"
expect_eq "record: imprint" "$(sha256sum doc.txt | cut -d' ' -f1)" "$(jq -r .imprint <<<"$rec")"
expect_eq "record: requester" ip:127.0.0.1 "$(jq -r .requester <<<"$rec")"
jq -r .token <<<"$rec" | base64 -d >rec.tok
check "record: the stored token verifies" bash -c "openssl ts -reply -in rsa.tsr -token_out -out rsa.tok 2>/dev/null && cmp -s rsa.tok rec.tok"
expect_eq "record: unauthenticated 401" 401 "$("${C[@]}" -o /dev/null -w '%{http_code}' "${API}timestamps/$serial1")"
expect_eq "record: unknown serial 404" 404 "$("${C[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN" "${API}timestamps/999999")"
# hpki ts request over HTTPS (the API listener): the server's chain checked against the home's
# TLS root, for both families; without that root the server is not trusted.
for fam in rsa sm2; do
  hash=$([ $fam == sm2 ] && echo sm3 || echo sha256)
  check "$fam: hpki ts request over https" h ts request --data doc.txt --hash $hash --url "${API%api/v1/}tsa" \
    --cacert "$H/tls/ca.pem" --out $fam-https.tsr --cert-req --nonce
  check "$fam: token fetched over https verifies" h ts verify --data doc.txt --in $fam-https.tsr --trust $fam-root.pem
done
set +e
h ts request --data doc.txt --url "${API%api/v1/}tsa" --out x.tsr >/dev/null 2>err.txt
expect_eq "https without the server's root: exit 2" 2 "$?"
set -e
check "https without the server's root: says why" grep -q "not trusted" err.txt
check "https without the server's root: nothing written" test ! -e x.tsr
check "audit records the token" grep -q "timestamp.issue" <(h audit list --limit 1000)
check "metrics count tokens" grep -q '^hpki_timestamps_total{.*status="granted"' <(curl -s "${PLAIN}metrics")

# Restart as a TSA-only node: serials keep increasing.
before=$(reply_text sm2b.tsr | sed -n 's/^Serial number: 0x//p')
stop_server
start_server "$H" --role tsa
check "tsa role: started" test -n "$PLAIN"
expect_eq "tsa role: no API listener" "" "$API"
expect_eq "tsa role: no CA routes" 404 "$(curl -s -o /dev/null -w '%{http_code}' "${PLAIN}ca/rsa-root.crt")"
expect_eq "tsa role: healthz" 200 "$(curl -s -o /dev/null -w '%{http_code}' "${PLAIN}healthz")"
openssl ts -query -data doc.txt -sha256 -out after.tsq 2>/dev/null
post "${PLAIN}tsa" after.tsq after.tsr >/dev/null
after=$(reply_text after.tsr | sed -n 's/^Serial number: 0x//p')
check "serial increases across a restart ($before -> $after)" test $((16#$after)) -gt $((16#$before))

# Clock safety: a recorded genTime in the future (as if the clock had been stepped back).
future=$(($(date +%s) + 3600))
if [ -n "$DB_URL" ]; then
  psql "$DB_URL" -qc "UPDATE timestamps SET gen_time = $future WHERE serial = $((16#$after))" >/dev/null
else
  sqlite3 -cmd ".timeout 10000" "$H/hpki.db" "UPDATE timestamps SET gen_time = $future WHERE serial = $((16#$after))"
fi
post "${PLAIN}tsa" after.tsq clock.tsr >/dev/null
expect_eq "clock behind the last genTime: rejection" "Rejected." "$(status_of clock.tsr)"
check "clock behind the last genTime: timeNotAvailable" grep -q "time source is not available" <<<"$(failure_of clock.tsr)"
stop_server
finish
