#!/usr/bin/env bash
# The REST API over real HTTPS on loopback (issue 5), on SQLite or PostgreSQL:
#   tests/integration/api.sh sqlite|postgresql
# Every non-public route of the OpenAPI document: no credentials -> 401; issuance, lifecycle,
# search; RFC 9457 problems for bad input; the role matrix (403) and organization scoping (404);
# metrics; graceful SIGTERM.
source "$(dirname "$0")/lib.sh"
setup_db "$1"
H=$WORK/home
new_home "$H" rsa,sm2
h() { "$HPKI" --home "$H" "$@"; }
ADMIN=$(h apikey create --role admin 2>/dev/null | tail -n 1)
AUDITOR=$(h apikey create --role auditor 2>/dev/null | tail -n 1)
RA_A=$(h apikey create --role ra_officer --org 示例医院 2>/dev/null | tail -n 1)
RA_B=$(h apikey create --role ra_officer --org 其他医院 2>/dev/null | tail -n 1)
INTEG_B=$(h apikey create --role integration --org 其他医院 2>/dev/null | tail -n 1)
INTEG_A=$(h apikey create --role integration --org 示例医院 2>/dev/null | tail -n 1)
AUDITOR_B=$(h apikey create --role auditor --org 其他医院 2>/dev/null | tail -n 1)

start_server "$H"
check "server started" test -n "$API"
C=(curl -s --cacert "$H/tls/ca.pem")
code() { "${C[@]}" -o "$WORK/body" -w '%{http_code}' "$@"; }

# Public routes.
expect_eq "healthz" 200 "$(code "${PLAIN}healthz")"
expect_eq "readyz" 200 "$(code "${PLAIN}readyz")"
expect_eq "CA certificate over plain HTTP" 200 "$(code "${PLAIN}ca/sm2-root.crt")"
check "CA certificate is DER" openssl x509 -inform DER -in "$WORK/body" -noout
"${C[@]}" "${API}openapi.json" >"$WORK/openapi.json"
check "served OpenAPI document is the committed one" diff -q "$WORK/openapi.json" "$(dirname "$0")/../../docs/openapi.json"

# Issue (RSA from a CSR, SM2 with key generation).
openssl req -new -newkey rsa:2048 -nodes -keyout "$WORK/k.pem" -out "$WORK/r.csr" -subj "/CN=pacs" 2>/dev/null
body=$(jq -n --rawfile csr "$WORK/r.csr" '{profile:"device", csr:$csr, subject:{name:"pacs-1", org:"示例医院", dns:["pacs.example.cn"]}}')
expect_eq "issue from CSR: 201" 201 "$(code -H "Authorization: Bearer $ADMIN" "${API}certificates" -d "$body")"
RSA_SERIAL=$(jq -r .serial "$WORK/body")
jq -r .certificate "$WORK/body" >"$WORK/leaf.pem"
jq -r '.chain[0]' "$WORK/body" >"$WORK/issuing.pem"
jq -r '.chain[1]' "$WORK/body" >"$WORK/root.pem"
check "issued certificate verifies with openssl" openssl verify -CAfile "$WORK/root.pem" -untrusted "$WORK/issuing.pem" "$WORK/leaf.pem"
sm2='{"profile":"staff-sign","family":"sm2","keygen":{"alg":"sm2","passphrase":"doctor-pass-1"},"subject":{"name":"张三","org":"示例医院","id_number":"310101199001011234"}}'
expect_eq "issue with SM2 key generation: 201" 201 "$(code -H "Authorization: Bearer $RA_A" "${API}certificates" -d "$sm2")"
SM2_SERIAL=$(jq -r .serial "$WORK/body")
jq -r .key "$WORK/body" >"$WORK/sm2.key"
check "SM2 key comes back encrypted and opens with its passphrase" openssl pkey -in "$WORK/sm2.key" -passin pass:doctor-pass-1 -noout

# Every non-public route: no credentials -> 401 (routes from the OpenAPI document).
while read -r method path; do
  url="${API%/api/v1/}${path//\{serial\}/$RSA_SERIAL}"
  url="${url//\{id\}/rsa-issuing}"
  expect_eq "401 without credentials: $method $path" 401 "$(code -X "$method" "$url")"
done < <(jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[] | select(.value.security != []) | "\(.key | ascii_upcase) \($p)"' "$WORK/openapi.json")
# Subject records (RA data): identity numbers masked, scoped by organization.
subj='{"kind":"staff","subject":{"name":"李四","org":"示例医院","dept":"儿科","id_number":"11010519491231002X","staff_no":"E001"}}'
expect_eq "create subject: 201" 201 "$(code -H "Authorization: Bearer $RA_A" "${API}subjects" -d "$subj")"
SUBJECT_ID=$(jq -r .id "$WORK/body")
expect_eq "subject identity number masked" "110***********002X" "$(jq -r .id_number "$WORK/body")"
expect_eq "duplicate identity number: 409" 409 "$(code -H "Authorization: Bearer $RA_A" "${API}subjects" -d "$subj")"
expect_eq "update subject" 急诊科 "$("${C[@]}" -X PUT -H "Authorization: Bearer $RA_A" "${API}subjects/$SUBJECT_ID" -d '{"kind":"staff","subject":{"name":"李四","dept":"急诊科"}}' | jq -r .dept)"
expect_eq "identity number kept on update" "110***********002X" "$("${C[@]}" -H "Authorization: Bearer $RA_A" "${API}subjects/$SUBJECT_ID" | jq -r .id_number)"
expect_eq "subjects listing scoped to the organization" 0 "$("${C[@]}" -H "Authorization: Bearer $RA_B" "${API}subjects" | jq '.items | length')"

# The role matrix for every protected route: a role without the route's permission gets 403; a
# role with it, scoped to another organization, gets 404 for a certificate of 示例医院. The
# expected permissions per role are written here independently of src/api/auth.cpp.
declare -A ALLOWED=(
  [auditor]="ca.read profile.read cert.read subject.read audit.read verify evidence.export"
  [ra_officer]="ca.read profile.read cert.read cert.issue cert.lifecycle subject.read subject.write sign verify evidence.export"
  [integration]="ca.read profile.read cert.read cert.issue sign verify"
)
declare -A KEY_OF=([auditor]=$AUDITOR_B [ra_officer]=$RA_B [integration]=$INTEG_B)
while read -r method path perm; do
  url="${API%/api/v1/}${path//\{serial\}/$SM2_SERIAL}"
  if [[ "$path" == /api/v1/subjects/* ]]; then url="${url//\{id\}/$SUBJECT_ID}"; else url="${url//\{id\}/rsa-issuing}"; fi
  for role in auditor ra_officer integration; do
    if [[ " ${ALLOWED[$role]} " != *" $perm "* ]]; then
      expect_eq "403 for $role: $method $path" 403 "$(code -X "$method" -H "Authorization: Bearer ${KEY_OF[$role]}" "$url" -d '{}')"
    elif [[ "$path" == *"{serial}"* || "$path" == /api/v1/subjects/* ]]; then
      expect_eq "404 for $role of another org: $method $path" 404 "$(code -X "$method" -H "Authorization: Bearer ${KEY_OF[$role]}" "$url" -d '{}')"
    fi
  done
done < <(jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[] | select(.value["x-hpki-permission"] != null) | "\(.key | ascii_upcase) \($p) \(.value["x-hpki-permission"])"' "$WORK/openapi.json")
expect_eq "delete subject: 204" 204 "$(code -X DELETE -H "Authorization: Bearer $RA_A" "${API}subjects/$SUBJECT_ID")"
expect_eq "deleted subject: 404" 404 "$(code -H "Authorization: Bearer $RA_A" "${API}subjects/$SUBJECT_ID")"
expect_eq "the SM2 certificate is untouched by the refused calls" good "$("${C[@]}" -H "Authorization: Bearer $ADMIN" "${API}certificates/$SM2_SERIAL/status" | jq -r .status)"
expect_eq "401 with a wrong key" 401 "$(code -H "Authorization: Bearer hpki_0000000000000000_x" "${API}cas")"

# Roles and organizations.
expect_eq "auditor may not issue: 403" 403 "$(code -H "Authorization: Bearer $AUDITOR" "${API}certificates" -d "$sm2")"
expect_eq "auditor reads the audit log" 200 "$(code -H "Authorization: Bearer $AUDITOR" "${API}audit?limit=5")"
expect_eq "ra_officer may not read the audit log: 403" 403 "$(code -H "Authorization: Bearer $RA_A" "${API}audit")"
expect_eq "another organization's certificate is 404" 404 "$(code -H "Authorization: Bearer $RA_B" "${API}certificates/$SM2_SERIAL")"
expect_eq "and cannot be revoked: 404" 404 "$(code -H "Authorization: Bearer $RA_B" "${API}certificates/$SM2_SERIAL/revoke" -d '{}')"
expect_eq "own organization's certificate is visible" 200 "$(code -H "Authorization: Bearer $RA_A" "${API}certificates/$SM2_SERIAL")"
check "identity number masked in the API" grep -q '310\*\*\*\*\*\*\*\*\*\*\*1234' "$WORK/body"
expect_eq "ra_officer cannot issue for another organization: 403" 403 \
  "$(code -H "Authorization: Bearer $RA_B" "${API}certificates" -d "$sm2")"
n=$("${C[@]}" -H "Authorization: Bearer $RA_B" "${API}certificates" | jq '.items | length')
expect_eq "listing is scoped to the organization" 0 "$n"

# ---- Issue 16: who may request what, organization scoping, strict inputs.
# Trust-service certificates (OCSP responder, TSA, operator) for admins only: an integration or
# ra_officer key is refused (403), for RSA and SM2 CSRs alike; nothing is stored for them.
openssl req -new -newkey sm2 -sm3 -sigopt distid:1234567812345678 -nodes -keyout "$WORK/ts.key" -out "$WORK/ts-sm2.csr" -subj "/CN=x" 2>/dev/null
for prof in ocsp-responder tsa operator; do
  for csrf in r.csr ts-sm2.csr; do
    b=$(jq -n --rawfile csr "$WORK/$csrf" --arg p "$prof" '{profile:$p, csr:$csr, subject:{name:"rogue", org:"示例医院"}}')
    expect_eq "integration key refused $prof ($csrf): 403" 403 "$(code -H "Authorization: Bearer $INTEG_A" "${API}certificates" -d "$b")"
    expect_eq "ra_officer refused $prof ($csrf): 403" 403 "$(code -H "Authorization: Bearer $RA_A" "${API}certificates" -d "$b")"
  done
done
expect_eq "no trust-service certificate was stored for them" 0 "$("${C[@]}" -H "Authorization: Bearer $ADMIN" "${API}certificates?profile=ocsp-responder&org=示例医院&status=issued" | jq '[.items[] | select(.subject | test("rogue"))] | length')"
b=$(jq -n --rawfile csr "$WORK/ts-sm2.csr" '{profile:"tsa", csr:$csr, subject:{name:"TSA 2", org:"示例医院"}}')
expect_eq "an admin gets a TSA certificate: 201" 201 "$(code -H "Authorization: Bearer $ADMIN" "${API}certificates" -d "$b")"
ADMIN_TSA=$(jq -r .serial "$WORK/body")
expect_eq "ra_officer may not revoke it: 403" 403 "$(code -H "Authorization: Bearer $RA_A" "${API}certificates/$ADMIN_TSA/revoke" -d '{}')"
expect_eq "ra_officer may not re-key it: 403" 403 "$(code -H "Authorization: Bearer $RA_A" "${API}certificates/$ADMIN_TSA/rekey" -d "$(jq -n --rawfile csr "$WORK/ts-sm2.csr" '{csr:$csr}')")"
# Key algorithm and CA family: an RSA CSR is not certified by the SM2 CA.
b=$(jq -n --rawfile csr "$WORK/r.csr" '{profile:"staff-sign", family:"sm2", csr:$csr, subject:{name:"x", org:"示例医院"}}')
expect_eq "RSA key under the SM2 CA: 422" 422 "$(code -H "Authorization: Bearer $ADMIN" "${API}certificates" -d "$b")"
# Device names only within the organization's names ([organizations] in hpki.toml: example.cn).
for san in '"dns":["www.google.com"]' '"dns":["localhost"]' '"ip":["8.8.8.8"]' '"dns":["*.example.cn.evil.cn"]'; do
  b=$(jq -n --rawfile csr "$WORK/r.csr" "{profile:\"device\", csr:\$csr, subject:{name:\"pacs-9\", org:\"示例医院\", $san}}")
  expect_eq "device name outside the organization ($san): 422" 422 "$(code -H "Authorization: Bearer $INTEG_A" "${API}certificates" -d "$b")"
done
openssl req -new -newkey rsa:2048 -nodes -keyout "$WORK/san.key" -out "$WORK/san.csr" -subj "/CN=pacs" -addext "subjectAltName=DNS:www.google.com" 2>/dev/null
b=$(jq -n --rawfile csr "$WORK/san.csr" '{profile:"device", csr:$csr, subject:{name:"pacs-9", org:"示例医院"}}')
expect_eq "a SAN from the CSR outside the organization: 422" 422 "$(code -H "Authorization: Bearer $INTEG_A" "${API}certificates" -d "$b")"
b=$(jq -n --rawfile csr "$WORK/r.csr" '{profile:"device", csr:$csr, subject:{name:"pacs-9", org:"示例医院", dns:["pacs9.example.cn"], ip:["10.1.2.3"]}}')
expect_eq "a device name within the organization: 201" 201 "$(code -H "Authorization: Bearer $INTEG_A" "${API}certificates" -d "$b")"
# Subjects per organization: 其他医院 issuing with 张三's identity number gets a record of its
# own; 示例医院's record and certificate are untouched and nothing tells 其他医院 they exist.
openssl req -new -newkey sm2 -sm3 -sigopt distid:1234567812345678 -nodes -keyout "$WORK/b.key" -out "$WORK/b.csr" -subj "/CN=x" 2>/dev/null
b=$(jq -n --rawfile csr "$WORK/b.csr" '{profile:"staff-sign", family:"sm2", csr:$csr, subject:{name:"冒名者", org:"其他医院", id_number:"310101199001011234"}}')
expect_eq "another organization issues with the same identity number: 201" 201 "$(code -H "Authorization: Bearer $RA_B" "${API}certificates" -d "$b")"
B_SERIAL=$(jq -r .serial "$WORK/body")
expect_eq "示例医院's certificate still found by that number" "$SM2_SERIAL" "$("${C[@]}" -H "Authorization: Bearer $RA_A" "${API}certificates?id_number=310101199001011234" | jq -r '[.items[].serial] | join(",")')"
expect_eq "其他医院 finds only its own" "$B_SERIAL" "$("${C[@]}" -H "Authorization: Bearer $RA_B" "${API}certificates?id_number=310101199001011234" | jq -r '[.items[].serial] | join(",")')"
expect_eq "示例医院's certificate still shows its subject" 200 "$(code -H "Authorization: Bearer $RA_A" "${API}certificates/$SM2_SERIAL")"
check "and its masked identity number" grep -q '310\*\*\*\*\*\*\*\*\*\*\*1234' "$WORK/body"
subj_a='{"kind":"staff","subject":{"name":"王五","org":"示例医院","id_number":"11010519491231002X"}}'
expect_eq "示例医院 creates a subject: 201" 201 "$(code -H "Authorization: Bearer $RA_A" "${API}subjects" -d "$subj_a")"
WANG=$(jq -r .id "$WORK/body")
subj_b='{"kind":"staff","subject":{"name":"冒名者","org":"其他医院","id_number":"11010519491231002X"}}'
expect_eq "a subject with another organization's identity number is created, not 409: 201" 201 "$(code -H "Authorization: Bearer $RA_B" "${API}subjects" -d "$subj_b")"
check "it is a record of its own" test "$(jq -r .id "$WORK/body")" != "$WANG"
expect_eq "示例医院's subject is untouched" "王五 示例医院" "$("${C[@]}" -H "Authorization: Bearer $RA_A" "${API}subjects/$WANG" | jq -r '"\(.name) \(.org)"')"
expect_eq "the same number twice in one organization is still 409" 409 "$(code -H "Authorization: Bearer $RA_A" "${API}subjects" -d "$subj_a")"
# Audit and timestamps, scoped: 其他医院's auditor reads only 其他医院's entries, no checkpoints.
n_other=$("${C[@]}" -H "Authorization: Bearer $AUDITOR_B" "${API}audit?limit=1000" | jq '[.[] | select(.org != "其他医院")] | length')
expect_eq "an organization's auditor reads only its entries" 0 "$n_other"
check "and its own entries are there" test "$("${C[@]}" -H "Authorization: Bearer $AUDITOR_B" "${API}audit?limit=1000" | jq 'length')" -gt 0
check "a system-wide auditor reads 示例医院's entries" test "$("${C[@]}" -H "Authorization: Bearer $AUDITOR" "${API}audit?limit=1000" | jq '[.[] | select(.org == "示例医院")] | length')" -gt 0
expect_eq "an organization's auditor reads no checkpoints: 403" 403 "$(code -H "Authorization: Bearer $AUDITOR_B" "${API}audit/checkpoints")"
expect_eq "a system-wide auditor reads them" 200 "$(code -H "Authorization: Bearer $AUDITOR" "${API}audit/checkpoints")"
openssl ts -query -data "$WORK/r.csr" -sha256 -cert -out "$WORK/q.tsq" 2>/dev/null
"${C[@]}" -H 'Content-Type: application/timestamp-query' --data-binary @"$WORK/q.tsq" "${PLAIN}tsa" -o "$WORK/q.tsr"
TS_SERIAL=$(openssl ts -reply -in "$WORK/q.tsr" -text 2>/dev/null | awk '/^Serial number:/ {print $3}')
TS_SERIAL=$((16#${TS_SERIAL#0x}))
expect_eq "an anonymous timestamp: the admin reads it" 200 "$(code -H "Authorization: Bearer $ADMIN" "${API}timestamps/$TS_SERIAL")"
expect_eq "an organization's integration key does not: 404" 404 "$(code -H "Authorization: Bearer $INTEG_B" "${API}timestamps/$TS_SERIAL")"
expect_eq "an organization's auditor does not: 404" 404 "$(code -H "Authorization: Bearer $AUDITOR_B" "${API}timestamps/$TS_SERIAL")"
# Strict numbers: a wrong type, a fraction or an out-of-range value is a 400, never a 500,
# and the refused call is audited.
for days in '"abc"' '[1]' '1.9' '1.0' '4294967297' '-1' '0' 'true' '1e3'; do
  expect_eq "issue with days $days: 400" 400 "$(code -H "Authorization: Bearer $ADMIN" "${API}certificates" -d "{\"profile\":\"staff-sign\",\"family\":\"sm2\",\"keygen\":{\"alg\":\"sm2\",\"passphrase\":\"12345678\"},\"subject\":{\"name\":\"x\",\"org\":\"示例医院\"},\"days\":$days}")"
  expect_eq "renew with days $days: 400" 400 "$(code -H "Authorization: Bearer $ADMIN" "${API}certificates/$SM2_SERIAL/renew" -d "{\"days\":$days}")"
done
check "a refused renew is audited as a failure" grep -qP "\tapi\.POST /api/v1/certificates/\{serial\}/renew\t.*\tfailure" <(h audit list --limit 10000)
for q in 'expiring_within=100000' 'expiring_within=9223372036854775807' 'limit=0' 'limit=1e3' 'offset=-1' 'limit=%2010'; do
  expect_eq "search with $q: 400" 400 "$(code -H "Authorization: Bearer $ADMIN" "${API}certificates?$q")"
done
expect_eq "audit with from=abc: 400" 400 "$(code -H "Authorization: Bearer $AUDITOR" "${API}audit?from=abc")"
expect_eq "search with expiring_within=36500: 200" 200 "$(code -H "Authorization: Bearer $ADMIN" "${API}certificates?expiring_within=36500")"
# Names: RFC 5280 upper bounds and no direction-changing characters.
long=$(printf '张%.0s' $(seq 1 65))
expect_eq "a 65-character name: 400" 400 "$(code -H "Authorization: Bearer $ADMIN" "${API}certificates" -d "{\"profile\":\"staff-sign\",\"family\":\"sm2\",\"keygen\":{\"alg\":\"sm2\",\"passphrase\":\"12345678\"},\"subject\":{\"name\":\"$long\",\"org\":\"示例医院\"}}")"
expect_eq "a name with U+202E: 400" 400 "$(code -H "Authorization: Bearer $ADMIN" "${API}certificates" -d '{"profile":"staff-sign","family":"sm2","keygen":{"alg":"sm2","passphrase":"12345678"},"subject":{"name":"Dr. \u202egnahz","org":"示例医院"}}')"

# Bad input: RFC 9457 problem types.
problem() {  # problem EXPECTED_STATUS TYPE_SUFFIX curl-args...
  local status=$1 type=$2; shift 2
  local got; got=$(code -H "Authorization: Bearer $ADMIN" "$@")
  expect_eq "problem $type: status" "$status" "$got"
  expect_eq "problem $type: type" "https://hpki.dev/problems/$type" "$(jq -r .type "$WORK/body")"
}
problem 400 malformed "${API}certificates" -d '{"profile": '
problem 400 unknown-profile "${API}certificates" -d '{"profile":"nurse","keygen":{"alg":"p256","passphrase":"12345678"},"subject":{"name":"x"}}'
problem 400 bad-csr "${API}certificates" -d '{"profile":"staff-sign","csr":"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n","subject":{"name":"x"}}'
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$WORK/k384.pem" -out "$WORK/r384.csr" -subj "/CN=x" 2>/dev/null
problem 422 policy-refused "${API}certificates" -d "$(jq -n --rawfile csr "$WORK/r384.csr" '{profile:"staff-sign", csr:$csr, subject:{name:"x", org:"示例医院"}}')"
head -c 2000000 /dev/zero | tr '\0' 'a' >"$WORK/big"
expect_eq "oversized body: 413" 413 "$(code -H "Authorization: Bearer $ADMIN" "${API}certificates" --data-binary @"$WORK/big")"

# Lifecycle.
expect_eq "hold" hold "$("${C[@]}" -H "Authorization: Bearer $ADMIN" -X POST "${API}certificates/$RSA_SERIAL/hold" | jq -r .status)"
expect_eq "release" good "$("${C[@]}" -H "Authorization: Bearer $ADMIN" -X POST "${API}certificates/$RSA_SERIAL/release" | jq -r .status)"
expect_eq "renew: 201" 201 "$(code -H "Authorization: Bearer $ADMIN" "${API}certificates/$RSA_SERIAL/renew" -d '{"days":30}')"
expect_eq "revoke" keyCompromise "$("${C[@]}" -H "Authorization: Bearer $ADMIN" "${API}certificates/$RSA_SERIAL/revoke" -d '{"reason":"keyCompromise"}' | jq -r .reason)"
expect_eq "status after revoke" revoked "$("${C[@]}" -H "Authorization: Bearer $ADMIN" "${API}certificates/$RSA_SERIAL/status" | jq -r .status)"
expect_eq "second revoke: 409" 409 "$(code -H "Authorization: Bearer $ADMIN" "${API}certificates/$RSA_SERIAL/revoke" -d '{}')"

# Metrics and audit of API calls.
check "metrics count issuance" grep -q '^hpki_certificates_issued_total' <("${C[@]}" "${PLAIN}metrics")
check "metrics count requests per route" grep -q 'route="/api/v1/certificates"' <("${C[@]}" "${PLAIN}metrics")
check "audit records the API caller" grep -q "api-key:" <(h audit list --limit 1000)
M=$("${C[@]}" "${PLAIN}metrics")
check "metrics: issued per family and profile" grep -q '^hpki_certificates_issued_total{family="sm2",profile="staff-sign"}' <<<"$M"
check "metrics: revoked per family and profile" grep -q '^hpki_certificates_revoked_total{family="rsa",profile=' <<<"$M"
check "metrics: database latency by operation" grep -q '^hpki_db_transaction_seconds_bucket{.*op="group_commit"' <<<"$M"
check "metrics: database latency of a route" grep -q '^hpki_db_transaction_seconds_count{.*op="/api/v1/certificates/{serial}/status"' <<<"$M"
check "metrics: commit batcher queue depth" grep -q '^hpki_commit_queue_depth ' <<<"$M"
check "metrics: worker pool queue depth" grep -q '^http_worker_queue_depth ' <<<"$M"
check "metrics: group-commit batch sizes" grep -q '^hpki_commit_batch_units_count ' <<<"$M"
# Reads are audited too, with the caller's identity (the auditor's key id is its middle part).
AUDITOR_ID=$(cut -d_ -f2 <<<"$AUDITOR")
expect_eq "auditor lists CAs" 200 "$(code -H "Authorization: Bearer $AUDITOR" "${API}cas")"
check "a GET by the auditor key is audited naming that key" \
  grep -qP "\tapi-key:$AUDITOR_ID\tapi\.GET /api/v1/cas\t" <(h audit list --limit 10000)
check "a refused call is audited as denied" grep -qP "\tapi-key:$AUDITOR_ID\tapi\.POST /api/v1/certificates\t.*\tdenied" <(h audit list --limit 10000)
check "the audit log still verifies" h audit verify

# Graceful stop with issuances in flight (RSA from a CSR and SM2 with key generation): each
# request either gets its certificate (201) or never reaches the server; nothing is left
# half-written (no `issuing` record), and every answered certificate is stored.
issuing_count() {
  if [ -n "$DB_URL" ]; then
    psql "$DB_URL" -tAc "SELECT count(*) FROM certificates WHERE status = '$1'"
  else
    sqlite3 "$H/hpki.db" "SELECT count(*) FROM certificates WHERE status = '$1'"
  fi
}
before=$(issuing_count issued)
for i in $(seq 1 24); do
  b=$([ $((i % 2)) -eq 0 ] && echo "$body" || echo "$sm2")
  "${C[@]}" -o "$WORK/inflight-$i.json" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
    "${API}certificates" -d "$b" >"$WORK/inflight-$i.code" 2>/dev/null &
done
# Stop as soon as the first is answered: the others are still in the pipeline.
for _ in $(seq 1 500); do grep -qs 201 "$WORK"/inflight-*.code && break; sleep 0.01; done
stop_server TERM
wait $(jobs -p) 2>/dev/null || true
expect_eq "SIGTERM: clean exit" 0 "$SERVER_RC"
answered=0; other=0
for i in $(seq 1 24); do
  c=$(cat "$WORK/inflight-$i.code")
  if [ "$c" == 201 ]; then answered=$((answered + 1)); elif [ "$c" != 000 ]; then other=$((other + 1)); fi
done
echo "SIGTERM with 24 issuances sent: $answered answered 201, $((24 - answered - other)) not accepted" >&2
check "SIGTERM: in-flight issuances were answered" test "$answered" -gt 0
expect_eq "SIGTERM: no request got an error" 0 "$other"
expect_eq "SIGTERM: nothing half-written (no issuing record)" 0 "$(issuing_count issuing)"
check "SIGTERM: every answered certificate is stored" test "$(issuing_count issued)" -ge $((before + answered))
# The shutdown checkpoint covers every entry, including the API calls above.
check "a checkpoint at shutdown leaves no unprotected entries" grep -q '0 entries after the last checkpoint' <(h audit verify)

# Limits per client (issue 16), on a second server of the same home with small limits: per API
# key 5 requests (then 1 per second), per client address 400 (then 1 per second), at most 8 open
# connections per address. Every request of this test comes from 127.0.0.1.
VICTIM=$(h apikey create --role auditor 2>/dev/null | tail -n 1)
VICTIM_ID=$(cut -d_ -f2 <<<"$VICTIM")
sed -i '/^\[server\]/a rate_limit_per_second = 1\nrate_limit_burst = 5\nip_rate_limit_per_second = 1\nip_rate_limit_burst = 400\nmax_connections_per_ip = 8' "$H/hpki.toml"
start_server "$H"
check "limited server started" test -n "$API"
# many_requests FILE KEY_ID...: one curl (one keep-alive connection), GET /api/v1/cas with
# "Bearer hpki_<id>_<wrong secret>" per id; FILE gets one status code per line.
many_requests() {
  local out=$1; shift
  for id in "$@"; do
    printf 'url = "%scas"\ncacert = "%s"\nheader = "Authorization: Bearer hpki_%s_not-the-secret"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nnext\n' \
      "$API" "$H/tls/ca.pem" "$id"
  done | sed '$d' >"$WORK/many.curl"  # no "next" after the last
  curl -s -K "$WORK/many.curl" >"$out" || true
}
count() { grep -c "^$1\$" "$2" || true; }
# The bucket of a key is taken only once its secret is verified: 150 requests with the victim's
# key id and a wrong secret are all 401, and the victim is still served.
many_requests "$WORK/codes" $(for _ in $(seq 1 150); do echo "$VICTIM_ID"; done)
expect_eq "150 wrong secrets with the victim's key id: all 401" 150 "$(count 401 "$WORK/codes")"
expect_eq "the victim's key is not locked out by them" 200 "$(code -H "Authorization: Bearer $VICTIM" "${API}cas")"
# The per-key limit itself holds once the key is verified: 429 rate-limited with Retry-After.
printf 'url = "%scas"\ncacert = "%s"\nheader = "Authorization: Bearer %s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nnext\n' \
  "$API" "$H/tls/ca.pem" "$VICTIM" >"$WORK/one.curl"
for _ in $(seq 1 30); do cat "$WORK/one.curl"; done | sed '$d' >"$WORK/many.curl"
curl -s -K "$WORK/many.curl" >"$WORK/codes" || true
check "30 requests of one key beyond its burst of 5: some 429" test "$(count 429 "$WORK/codes")" -gt 0
expect_eq "... and the rest 200" 30 $(($(count 429 "$WORK/codes") + $(count 200 "$WORK/codes")))
expect_eq "over the key's limit: 429" 429 "$("${C[@]}" -D "$WORK/headers" -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $VICTIM" "${API}cas")"
expect_eq "429 is a rate-limited problem" "https://hpki.dev/problems/rate-limited" "$(jq -r .type "$WORK/body")"
check "429 carries Retry-After" grep -qi '^Retry-After: [1-9]' "$WORK/headers"
check "a 429 of a verified key is audited as a failure" \
  grep -qP "\tapi-key:$VICTIM_ID\tapi\.GET /api/v1/cas\t.*\tfailure" <(h audit list --limit 10000)
# Made-up key ids get no bucket of their own: the client address's limit stops them.
many_requests "$WORK/codes" $(for _ in $(seq 1 500); do openssl rand -hex 8; done)
echo "500 random key ids from one address: $(count 401 "$WORK/codes") x 401, $(count 429 "$WORK/codes") x 429" >&2
check "500 random key ids from one address: the address limit answers 429" test "$(count 429 "$WORK/codes")" -gt 0
expect_eq "... and nothing but 401 and 429" 500 $(($(count 429 "$WORK/codes") + $(count 401 "$WORK/codes")))
# Metric labels stay bounded: an unknown method is counted as "other".
expect_eq "unknown method: 405" 405 "$(code -X BREW "${PLAIN}healthz")"
M=$("${C[@]}" "${PLAIN}metrics")
check "metrics: an unknown method is method=\"other\"" grep -q '^http_requests_total{route="unmatched",method="other",status="405"} ' <<<"$M"
check "metrics: no series for the method token itself" bash -c '! grep -q BREW <<<"$1"' _ "$M"
# The connection cap: with 8 connections open from this address, a 9th is closed at once; once
# they are closed, connections are served again; the refusals are counted.
PLAIN_PORT=$(sed -E 's|.*:([0-9]+)/$|\1|' <<<"$PLAIN")
fds=()
for _ in $(seq 1 8); do exec {fd}<>"/dev/tcp/127.0.0.1/$PLAIN_PORT"; fds+=("$fd"); done
expect_eq "9th connection from one address: closed without an answer" 000 "$(code "${PLAIN}healthz")"
for fd in "${fds[@]}"; do exec {fd}>&-; done
for _ in $(seq 1 50); do [ "$(code "${PLAIN}healthz")" == 200 ] && break; sleep 0.1; done
expect_eq "served again once the connections are closed" 200 "$(code "${PLAIN}healthz")"
check "metrics: refused connections counted" grep -q '^http_connections_refused_total{listener="http"} [1-9]' <("${C[@]}" "${PLAIN}metrics")
# TLS 1.2 only with ECDHE and AEAD (RFC 9325 4.1, 4.2), TLS 1.3 with OpenSSL's defaults; the
# real openssl client against the API listener (RSA certificate).
API_PORT=$(sed -E 's|https://[^:]+:([0-9]+)/.*|\1|' <<<"$API")
tls() { timeout 20 openssl s_client -brief -connect "127.0.0.1:$API_PORT" "$@" </dev/null 2>&1; }
check "TLS 1.2 static-RSA AES128-SHA refused" bash -c '! timeout 20 openssl s_client -connect "127.0.0.1:$1" -tls1_2 -cipher AES128-SHA </dev/null >/dev/null 2>&1' _ "$API_PORT"
check "TLS 1.2 ECDHE-RSA-AES128-SHA (CBC) refused" bash -c '! timeout 20 openssl s_client -connect "127.0.0.1:$1" -tls1_2 -cipher ECDHE-RSA-AES128-SHA </dev/null >/dev/null 2>&1' _ "$API_PORT"
check "TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 accepted" grep -q 'Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256' <(tls -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256)
check "TLS 1.3 accepted" grep -q 'Protocol version: TLSv1.3' <(tls -tls1_3)
stop_server TERM
expect_eq "limited server: clean exit" 0 "$SERVER_RC"
finish
