#!/usr/bin/env bash
# OCSP failover (issue 6): `hpki serve --role ocsp` on its own PostgreSQL server; the database
# is stopped under the running responder, which must keep answering good / revoked from its
# pre-signed cache, answer tryLater for what it cannot know, and report the degradation in
# /readyz (503 + reason) and the hpki_ocsp_database_up gauge.
source "$(dirname "$0")/lib.sh"
PGCTL="$(dirname "$0")/../../scripts/pg-test-server.sh"
PGDIR="$WORK/pg"
mkdir -p "$PGDIR"
DB_URL=$(bash "$PGCTL" start "$PGDIR")
trap 'stop_servers; bash "$PGCTL" stop "$PGDIR" >/dev/null 2>&1 || true; cleanup' EXIT
H="$WORK/home"
new_home "$H" rsa
printf '\n[ocsp]\nsync_seconds = 1\n' >>"$H/hpki.toml"
h() { "$HPKI" --home "$H" "$@"; }
h ca chain --family rsa --out "$WORK/chain.pem"
csplit -s -z -f "$WORK/ca-" "$WORK/chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
issue() {
  openssl req -new -newkey rsa:2048 -nodes -keyout "$WORK/$1.key" -out "$WORK/$1.csr" -subj "/CN=$1" 2>/dev/null
  h cert issue --profile device --csr "$WORK/$1.csr" --org 示例医院 --dns "$1.example.cn" --out "$WORK/$1.pem" >/dev/null
}
serial_of() { openssl x509 -in "$WORK/$1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f; }
issue good
issue bad
h cert revoke "$(serial_of bad)" --reason keyCompromise >/dev/null

start_server "$H" --role ocsp
URL=${PLAIN}ocsp
BASE=${PLAIN%/}
check "ocsp role started" test -n "$URL"

ocsp() { openssl ocsp -issuer "$WORK/ca-00" -url "$URL" -CAfile "$WORK/ca-01" -resp_text "$@" 2>&1 || true; }
# Issued and revoked while the responder runs (another process): picked up by its sync.
issue late
issue latebad
h cert revoke "$(serial_of latebad)" --reason affiliationChanged >/dev/null
sleep 2.5
expect_eq "readyz with the database" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")"
for c in good late; do
  check "$c: good (database up)" grep -q "$c.pem: good" <(ocsp -cert "$WORK/$c.pem")
done
check "bad: revoked (database up)" grep -q "bad.pem: revoked" <(ocsp -cert "$WORK/bad.pem" -no_nonce)
out=$(ocsp -cert "$WORK/latebad.pem" -no_nonce)
check "latebad: revoked affiliationChanged" grep -q "Reason: affiliationChanged" <<<"$out"
crl_lists_bad() {  # the CRL served by the ocsp node lists the revoked certificate
  curl -sf -o "$WORK/served.crl" "$BASE/crl/rsa-issuing.crl" &&
    openssl crl -inform DER -in "$WORK/served.crl" -noout -text | grep -qi "$(serial_of bad)"
}
check "crl served by the ocsp role (database up)" crl_lists_bad
check "api routes are not served by the ocsp role" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/openapi.json")" = 404

# The database goes away under the running responder.
bash "$PGCTL" stop "$PGDIR" >/dev/null 2>&1
sleep 3
for nonce in -no_nonce -nonce; do
  out=$(ocsp -cert "$WORK/good.pem" $nonce)
  check "database down $nonce: good" grep -q "good.pem: good" <<<"$out"
  check "database down $nonce: verify OK" grep -q "Response verify OK" <<<"$out"
  out=$(ocsp -cert "$WORK/bad.pem" $nonce)
  check "database down $nonce: revoked" grep -q "bad.pem: revoked" <<<"$out"
  check "database down $nonce: reason" grep -q "Reason: keyCompromise" <<<"$out"
  check "database down $nonce: late good" grep -q "late.pem: good" <(ocsp -cert "$WORK/late.pem" $nonce)
done
check "database down: unknown serial -> tryLater (cannot know)" \
  grep -qi "trylater" <(ocsp -serial 0x0123456789abcdef)
code=$(curl -s -o "$WORK/readyz" -w '%{http_code}' "$BASE/readyz")
expect_eq "readyz during the outage" 503 "$code"
check "readyz names the reason" grep -q "database unavailable" "$WORK/readyz"
check "crl still served with the database down" crl_lists_bad
check "metrics gauge hpki_ocsp_database_up 0" grep -Eq '^hpki_ocsp_database_up 0' <(curl -s "$BASE/metrics")

stop_server
finish
