#!/usr/bin/env bash
# OCSP responder interop (issue 6): `hpki serve` answers the real `openssl ocsp` client for RSA
# and ECDSA chains — good / revoked (with reason) / unknown, with and without nonce, POST and
# RFC 5019 GET (request built by `openssl ocsp -reqout`, fetched with curl, checked with
# `openssl ocsp -respin`), caching headers, 415, unauthorized and malformedRequest.
source "$(dirname "$0")/lib.sh"
setup_db "$1"
H="$WORK/home"
new_home "$H" rsa,ecdsa
printf '\n[ocsp]\nsync_seconds = 1\n' >>"$H/hpki.toml"
h() { "$HPKI" --home "$H" "$@"; }

for fam in rsa ecdsa; do
  h ca chain --family $fam --out "$WORK/$fam-chain.pem"
  csplit -s -z -f "$WORK/$fam-ca-" "$WORK/$fam-chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
  for leaf in good bad; do
    if [ $fam == rsa ]; then newkey=(-newkey rsa:2048); else newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); fi
    openssl req -new "${newkey[@]}" -nodes -keyout "$WORK/$fam-$leaf.key" -out "$WORK/$fam-$leaf.csr" -subj "/CN=$leaf" 2>/dev/null
    h cert issue --profile device --csr "$WORK/$fam-$leaf.csr" --org 示例医院 --dns $leaf.$fam.example.cn --out "$WORK/$fam-$leaf.pem" >/dev/null
  done
done

start_server "$H"
PLAIN=${PLAIN%/}
check "server started" test -n "$PLAIN"

# Revoked by another process (the CLI): the server picks the change up within sync_seconds.
for fam in rsa ecdsa; do
  serial=$(openssl x509 -in "$WORK/$fam-bad.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
  h cert revoke "$serial" --reason keyCompromise >/dev/null
done
sleep 2.5

ocsp() {  # ocsp FAMILY extra-args...
  local fam=$1; shift
  openssl ocsp -issuer "$WORK/$fam-ca-00" -url "$PLAIN/ocsp" -CAfile "$WORK/$fam-ca-01" -resp_text "$@" 2>&1 || true
}
for fam in rsa ecdsa; do
  for nonce in -nonce -no_nonce; do
    out=$(ocsp $fam -cert "$WORK/$fam-good.pem" $nonce)
    check "$fam $nonce good" grep -q "$fam-good.pem: good" <<<"$out"
    check "$fam $nonce good: Response verify OK" grep -q "Response verify OK" <<<"$out"
    out=$(ocsp $fam -cert "$WORK/$fam-bad.pem" $nonce)
    check "$fam $nonce revoked" grep -q "$fam-bad.pem: revoked" <<<"$out"
    check "$fam $nonce revoked with reason" grep -q "Reason: keyCompromise" <<<"$out"
    check "$fam $nonce revoked: Response verify OK" grep -q "Response verify OK" <<<"$out"
    out=$(ocsp $fam -serial 0x0123456789abcdef0123 $nonce)
    check "$fam $nonce unknown serial" grep -q "0x0123456789abcdef0123: unknown" <<<"$out"
  done
  out=$(ocsp $fam -cert "$WORK/$fam-good.pem" -nonce)
  check "$fam nonce echoed" grep -q "Response Extensions:" <<<"$out"
  # Two certificates in one request.
  out=$(ocsp $fam -cert "$WORK/$fam-good.pem" -cert "$WORK/$fam-bad.pem")
  check "$fam two requests: good" grep -q "$fam-good.pem: good" <<<"$out"
  check "$fam two requests: revoked" grep -q "$fam-bad.pem: revoked" <<<"$out"
  # SHA-256 CertID.
  out=$(ocsp $fam -sha256 -cert "$WORK/$fam-good.pem" -no_nonce)
  check "$fam SHA-256 CertID good" grep -q "$fam-good.pem: good" <<<"$out"
done
# An issuer hpki does not serve (the root's own CertIDs): unauthorized.
out=$(openssl ocsp -issuer "$WORK/rsa-ca-01" -serial 0x01 -url "$PLAIN/ocsp" -CAfile "$WORK/rsa-ca-01" 2>&1 || true)
check "foreign issuer: unauthorized" grep -qi "unauthorized" <<<"$out"

# RFC 5019 GET.
openssl ocsp -issuer "$WORK/ecdsa-ca-00" -cert "$WORK/ecdsa-good.pem" -no_nonce -reqout "$WORK/req.der" >/dev/null 2>&1
b64=$(base64 -w0 "$WORK/req.der" | sed 's/+/%2B/g; s#/#%2F#g; s/=/%3D/g')
curl -s -D "$WORK/get.headers" -o "$WORK/get.der" "$PLAIN/ocsp/$b64"
out=$(openssl ocsp -respin "$WORK/get.der" -issuer "$WORK/ecdsa-ca-00" -cert "$WORK/ecdsa-good.pem" -CAfile "$WORK/ecdsa-ca-01" -resp_text 2>&1 || true)
check "GET: good" grep -q "ecdsa-good.pem: good" <<<"$out"
check "GET: Response verify OK" grep -q "Response verify OK" <<<"$out"
check "GET: Content-Type" grep -qi '^content-type: application/ocsp-response' "$WORK/get.headers"
check "GET: Cache-Control max-age" grep -Eqi '^cache-control: max-age=[0-9]+' "$WORK/get.headers"
check "GET: ETag" grep -qi '^etag: "' "$WORK/get.headers"
check "GET: Last-Modified" grep -qi '^last-modified: ' "$WORK/get.headers"
check "GET: Expires" grep -qi '^expires: ' "$WORK/get.headers"
maxage=$(grep -i '^cache-control' "$WORK/get.headers" | grep -Eo 'max-age=[0-9]+' | cut -d= -f2)
check "GET: max-age within the response validity (1 day)" test "$maxage" -le 86400 -a "$maxage" -gt 0
etag=$(grep -i '^etag' "$WORK/get.headers" | cut -d' ' -f2 | tr -d '\r')
expect_eq "GET: If-None-Match -> 304" 304 "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$PLAIN/ocsp/$b64")"
b64url=$(base64 -w0 "$WORK/req.der" | tr '+/' '-_' | tr -d '=')
curl -s -o "$WORK/get2.der" "$PLAIN/ocsp/$b64url"
check "GET base64url: same bytes" cmp -s "$WORK/get.der" "$WORK/get2.der"

# GET with the base64's '/' not percent-encoded (clients differ): a request (with a fresh
# nonce each time) whose base64 holds a '/'.
for _ in $(seq 1 100); do
  openssl ocsp -issuer "$WORK/ecdsa-ca-00" -cert "$WORK/ecdsa-good.pem" -reqout "$WORK/req-slash.der" >/dev/null 2>&1
  b64=$(base64 -w0 "$WORK/req-slash.der")
  case $b64 in */*) break ;; esac
done
check "GET: a request whose base64 holds '/'" grep -q / <<<"$b64"
curl -s -o "$WORK/get-slash.der" "$PLAIN/ocsp/$(sed 's/+/%2B/g; s/=/%3D/g' <<<"$b64")"
out=$(openssl ocsp -respin "$WORK/get-slash.der" -reqin "$WORK/req-slash.der" -verify_other "$WORK/ecdsa-ca-00" -CAfile "$WORK/ecdsa-ca-01" -resp_text 2>&1 || true)
check "GET with a raw '/': good" grep -q "Cert Status: good" <<<"$out"
check "GET with a raw '/': nonce echoed" grep -q "OCSP Nonce" <<<"$out"
check "GET with a raw '/': response verifies" grep -q "Response verify OK" <<<"$out"
check "GET with a raw '/': no nonce error" test -z "$(grep -i 'nonce verify error' <<<"$out")"

# POST edge cases.
expect_eq "POST wrong media type -> 415" 415 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' --data-binary @"$WORK/req.der" "$PLAIN/ocsp")"
printf 'not an OCSP request' >"$WORK/junk"
curl -s -o "$WORK/junk.der" -H 'Content-Type: application/ocsp-request' --data-binary @"$WORK/junk" "$PLAIN/ocsp"
check "garbage -> malformedRequest" grep -qi "malformedrequest" <(openssl ocsp -respin "$WORK/junk.der" -resp_text -noverify 2>&1)

curl -s "$PLAIN/metrics" >"$WORK/metrics"
check "metrics: responses by status" grep -q 'hpki_ocsp_responses_total{status="successful"}' "$WORK/metrics"
check "metrics: cache hits" grep -q '^hpki_ocsp_cache_hits_total' "$WORK/metrics"
check "metrics: on-demand signing" grep -q '^hpki_ocsp_signed_total' "$WORK/metrics"

stop_server
finish
