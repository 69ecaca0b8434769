#!/usr/bin/env bash
# Evidence packages (issue 21; docs/evidence.md) end to end:
#   tests/integration/evidence.sh sqlite|postgresql
# RSA, P-256 and SM2 organization keys sign (CMS attached and detached, raw); `hpki evidence
# export` packages each signature; `hpki evidence verify` checks the package in a process with no
# hpki home, no environment and (where the kernel lets us) no network, with only the root; the
# PDF report renders (pdftoppm) and reads (pdftotext: signer's Chinese name, serial, document
# hash, verdict); the openssl commands the report prints re-check the RSA/ECDSA parts; every
# member tampered, removed or swapped, and an unlisted member added, is named; a package exported
# before a revocation stays valid after it, a signature made after the revocation is invalid; an
# audit entry altered in the database after export leaves the package's verdict alone but `hpki
# audit verify` finds it; POST /api/v1/evidence (auditor and ra_officer of the organization; 404
# for another organization, 403 for integration) gives a package that verifies offline with the
# signature service's audit entry in it.
source "$(dirname "$0")/lib.sh"
setup_db "$1"
TAMPER="python3 $(cd "$(dirname "$0")" && pwd)/zip_tamper.py"
MAKE_PDF="$(cd "$(dirname "$0")" && pwd)/make_pdf.py"
H=$WORK/home
new_home "$H" rsa,ecdsa,sm2
h() { "$HPKI" --home "$H" "$@"; }
cd "$WORK"
printf '出院小结 patient 0042\n' >doc.txt
code_of() { set +e; "$@" >out.txt 2>err.txt; echo $?; set -e; }

# The offline verifier: a folder with only the package and the root, an empty environment, no
# home; in a network namespace of its own (no interfaces) where unprivileged namespaces work.
mkdir -p offline
OFFLINE=(env -i PATH=/usr/bin:/bin)
if unshare -rn true 2>/dev/null; then OFFLINE+=(unshare -rn); fi
offline() { (cd "$WORK/offline" && "${OFFLINE[@]}" "$HPKI" "$@"); }
offline_code() { set +e; offline "$@" >out.txt 2>err.txt; local rc=$?; set -e; echo $rc; }

for fam in rsa ecdsa sm2; do
  h ca chain --family "$fam" >"$fam-chain.pem"
  csplit -s -z -f "$fam-ca-" "$fam-chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
  mv "$fam-ca-00" "$fam-issuing.pem"; mv "$fam-ca-01" "$fam-root.pem"
  cp "$fam-root.pem" offline/
  case $fam in
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$fam.key" 2>/dev/null ;;
    ecdsa) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$fam.key" 2>/dev/null ;;
    sm2) openssl genpkey -algorithm SM2 -out "$fam.key" 2>/dev/null ;;
  esac
  if [ "$fam" == "sm2" ]; then
    openssl req -new -key "$fam.key" -sm3 -sigopt distid:1234567812345678 -utf8 -out "$fam.csr" -subj "/CN=x" 2>/dev/null
  else
    openssl req -new -key "$fam.key" -utf8 -out "$fam.csr" -subj "/CN=x" 2>/dev/null
  fi
  h cert issue --profile org-sign --csr "$fam.csr" --name "张医生 $fam" --org 示例医院 --country CN \
    --out "$fam-org.pem" >"$fam.serial"
  h key import --name "org-$fam" --in "$fam.key" >/dev/null
  h key register --id "org-$fam" --ref "file:org-$fam" --cert "$fam-org.pem" --chain "$fam-issuing.pem" --org 示例医院 >/dev/null
  serial=$(openssl x509 -in "$fam-org.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
  echo "$serial" >"$fam.hex"
  h sign --key "org-$fam" --in doc.txt --out "$fam.p7s"
  h sign --key "org-$fam" --in doc.txt --out "$fam-det.p7s" --detached
  h sign --key "org-$fam" --in doc.txt --out "$fam.sig" --raw

  check "$fam: export attached CMS" h evidence export --in "$fam.p7s" --name doc.txt --out "$fam-att.zip"
  check "$fam: export detached CMS with the data" h evidence export --in "$fam-det.p7s" --data doc.txt --out "$fam-det.zip"
  check "$fam: export detached CMS, hash only" h evidence export --in "$fam-det.p7s" --data doc.txt --hash-only --out "$fam-hash.zip"
  check "$fam: export raw signature" h evidence export --in "$fam.sig" --cert "$fam-org.pem" --data doc.txt --out "$fam-raw.zip"
  check "$fam: unzip -t accepts the package" unzip -tq "$fam-det.zip"
  for p in att det hash raw; do
    cp "$fam-$p.zip" offline/
    expect_eq "$fam-$p: offline verify exit 0" 0 "$(offline_code evidence verify "$fam-$p.zip" --trust "$fam-root.pem" --json)"
    expect_eq "$fam-$p: verdict valid" valid "$(jq -r .verdict out.txt)"
    expect_eq "$fam-$p: signer serial" "$serial" "$(jq -r .signer.serial out.txt)"
    expect_eq "$fam-$p: document SHA-256" "$(sha256sum doc.txt | cut -d' ' -f1)" "$(jq -r .document.sha256 out.txt)"
  done
  expect_eq "$fam: the certificate issuance is in the package's audit entries" 1 \
    "$(offline evidence verify "$fam-det.zip" --trust "$fam-root.pem" --json | jq '[.elements[] | select((.element | endswith(" cert.issue")) and .status == "valid")] | length')"
  # A signed PDF (PAdES B-B): the document and its signatures in one member.
  python3 "$MAKE_PDF" doc.pdf 2
  h sign pdf --key "org-$fam" --in doc.pdf --out "$fam-signed.pdf" >/dev/null
  check "$fam: export a signed PDF" h evidence export --in "$fam-signed.pdf" --out "$fam-pdf.zip"
  cp "$fam-pdf.zip" offline/
  expect_eq "$fam-pdf: offline verify exit 0" 0 "$(offline_code evidence verify "$fam-pdf.zip" --trust "$fam-root.pem" --json)"
  expect_eq "$fam-pdf: signer serial" "$serial" "$(jq -r .signer.serial out.txt)"
  expect_eq "$fam-pdf: document = the signed PDF" "$(sha256sum "$fam-signed.pdf" | cut -d' ' -f1)" "$(jq -r .document.sha256 out.txt)"
  expect_eq "$fam: a PDF cannot be exported as a hash only: exit 2" 2 \
    "$(code_of h evidence export --in "$fam-signed.pdf" --hash-only --out x.zip)"
  # A certificate alone (--serial): who it was issued to, by whom, its status at the package time.
  check "$fam: export a certificate" h evidence export --serial "$(cat "$fam.serial")" --out "$fam-cert.zip"
  cp "$fam-cert.zip" offline/
  expect_eq "$fam-cert: offline verify exit 0" 0 "$(offline_code evidence verify "$fam-cert.zip" --trust "$fam-root.pem" --json)"
  expect_eq "$fam-cert: the certificate is the document" "$(openssl x509 -in "$fam-org.pem" -outform DER | sha256sum | cut -d' ' -f1)" "$(jq -r .document.sha256 out.txt)"
  check "$fam-cert: its issuance entry" grep -q "cert.issue" <(jq -r '.elements[] | select(.status == "valid") | .element' out.txt)
  # A raw signature without its data cannot be re-checked: could not decide (exit 2).
  expect_eq "$fam: export raw, hash only: written, could not decide (exit 2)" 2 \
    "$(code_of h evidence export --in "$fam.sig" --cert "$fam-org.pem" --data doc.txt --hash-only --out "$fam-rawhash.zip")"
  cp "$fam-rawhash.zip" offline/
  expect_eq "$fam: raw without data: exit 2" 2 "$(offline_code evidence verify "$fam-rawhash.zip" --trust "$fam-root.pem")"
  check "$fam: raw without data: named" grep -q "evidence.data_not_included" out.txt
  # Another hierarchy's root: could not decide either.
  other=rsa; [ "$fam" == "rsa" ] && other=sm2
  expect_eq "$fam: wrong root: exit 2" 2 "$(offline_code evidence verify "$fam-det.zip" --trust "$other-root.pem")"

  # The PDF report, zh-CN and English.
  expect_eq "$fam: report zh-CN" 0 "$(offline_code evidence verify "$fam-det.zip" --trust "$fam-root.pem" --report "$fam-zh.pdf")"
  expect_eq "$fam: report en" 0 "$(offline_code evidence verify "$fam-det.zip" --trust "$fam-root.pem" --report "$fam-en.pdf" --lang en)"
  check "$fam: pdftoppm renders the report" pdftoppm -r 40 -png -f 1 -l 1 "offline/$fam-zh.pdf" "$fam-page"
  check "$fam: a rendered page" test -s "$fam-page-1.png"
  pdftotext -enc UTF-8 "offline/$fam-zh.pdf" "$fam-zh.txt"
  tr -d ' \n' <"$fam-zh.txt" >"$fam-zh.flat"
  check "$fam: report names the signer (Chinese)" grep -q "张医生" "$fam-zh.txt"
  check "$fam: report names the serial" grep -qi "$serial" "$fam-zh.flat"
  check "$fam: report names the document hash" grep -q "$(sha256sum doc.txt | cut -d' ' -f1)" "$fam-zh.flat"
  check "$fam: report gives the verdict" grep -q "有效" "$fam-zh.txt"
  check "$fam: English report gives the verdict" grep -qi "valid" <(pdftotext -enc UTF-8 "offline/$fam-en.pdf" -)

  # The RSA / ECDSA parts (and an SM2 raw signature: pkeyutl takes the ID) re-check with the
  # openssl commands the report prints.
  pkgs="det raw"; [ "$fam" == sm2 ] && pkgs=raw
  if true; then
    for p in $pkgs; do
      rm -rf "x-$fam-$p"
      offline evidence verify "$fam-$p.zip" --trust "$fam-root.pem" --json --extract "x-$fam-$p" >"$fam-$p.json"
      cp "$fam-root.pem" "offline/x-$fam-$p/ROOT.pem"
      n=0
      while IFS= read -r cmd; do
        [[ "$cmd" == \#* ]] && continue
        n=$((n + 1))
        check "$fam-$p: openssl command: $cmd" bash -c "cd '$WORK/offline/x-$fam-$p' && ( $cmd ) >/dev/null 2>&1"
      done < <(jq -r '.openssl_commands[]' "$fam-$p.json")
      check "$fam-$p: the report printed openssl commands" test "$n" -ge 3
    done
  fi
done

# Every member tampered, removed or swapped is named (RSA and SM2 packages).
for fam in rsa sm2; do
  other=ecdsa
  P=$fam-det.zip
  for name in $($TAMPER "$P" - list); do
    [ "$name" == mimetype ] && continue
    $TAMPER "$P" offline/t.zip flip "$name"
    expect_eq "$fam: $name altered: exit 1" 1 "$(offline_code evidence verify t.zip --trust "$fam-root.pem" --json)"
    case $name in
      META-INF/manifest.json|META-INF/manifest.tst) want="package_timestamp: " ;;
      *) want="member:$name: evidence.member_hash_mismatch" ;;
    esac
    check "$fam: $name altered: named ($want)" grep -qF "$want" <(jq -r '.reasons[]' out.txt)
    $TAMPER "$P" offline/t.zip remove "$name"
    expect_eq "$fam: $name removed: exit 1" 1 "$(offline_code evidence verify t.zip --trust "$fam-root.pem" --json)"
    case $name in
      META-INF/manifest.json) want="manifest: evidence.manifest_malformed" ;;
      META-INF/manifest.tst) want="package_timestamp: evidence.package_timestamp_missing" ;;
      *) want="member:$name: evidence.member_missing" ;;
    esac
    check "$fam: $name removed: named ($want)" grep -qF "$want" <(jq -r '.reasons[]' out.txt)
  done
  # Swapped in from another (valid) package: the other family's signer, CRL, audit entries.
  for name in certs/signer.cer signature/signature.p7s audit/entries.json audit/checkpoint.json revocation/crl-1.crl; do
    $TAMPER "$P" offline/t.zip swap "$name" "$other-det.zip"
    expect_eq "$fam: $name swapped: exit 1" 1 "$(offline_code evidence verify t.zip --trust "$fam-root.pem" --json)"
    check "$fam: $name swapped: named" grep -qF "member:$name: evidence.member_hash_mismatch" <(jq -r '.reasons[]' out.txt)
  done
  $TAMPER "$P" offline/t.zip add extra/evil.txt
  expect_eq "$fam: unlisted member: exit 1" 1 "$(offline_code evidence verify t.zip --trust "$fam-root.pem" --json)"
  check "$fam: unlisted member: named" grep -qF "member:extra/evil.txt: evidence.member_unlisted" <(jq -r '.reasons[]' out.txt)
  $TAMPER "$P" offline/t.zip add ../evil.txt
  expect_eq "$fam: path traversal: exit 1" 1 "$(offline_code evidence verify t.zip --trust "$fam-root.pem" --extract xt)"
  check "$fam: path traversal: nothing written outside" test ! -e "$WORK/evil.txt"
done

# Over HTTP: the signature service audits the signature; the package carries that entry.
# Renewal: with renew_before_days longer than the TSA certificates' validity every kept package is
# due at once, and hpki serve re-time-stamps it at start.
printf '\n[evidence]\nrenew_before_days = 3650\ncheck_interval_seconds = 1\n' >>"$H/hpki.toml"
start_server "$H"
C=(curl -s --cacert "$H/tls/ca.pem")
code() { "${C[@]}" -o body.json -w '%{http_code}' "$@"; }
AUDITOR=$(h apikey create --role auditor --org 示例医院 2>/dev/null | tail -n 1)
RA=$(h apikey create --role ra_officer --org 示例医院 2>/dev/null | tail -n 1)
RA_B=$(h apikey create --role ra_officer --org 其他医院 2>/dev/null | tail -n 1)
INTEG=$(h apikey create --role integration --org 示例医院 2>/dev/null | tail -n 1)
DATA=$(base64 -w0 doc.txt)
for fam in rsa sm2; do
  expect_eq "$fam: POST /sign CAdES-T: 200" 200 "$(code -H "Authorization: Bearer $INTEG" "${API}sign" \
    -d "{\"key\":\"org-$fam\",\"data\":\"$DATA\",\"mode\":\"cms\",\"timestamp\":true}")"
  SIG=$(jq -r .signature body.json)
  expect_eq "$fam: POST /evidence as the organization's auditor: 201" 201 \
    "$(code -H "Authorization: Bearer $AUDITOR" "${API}evidence" -d "{\"signature\":\"$SIG\",\"name\":\"doc.txt\"}")"
  expect_eq "$fam: export verdict" valid "$(jq -r .verdict body.json)"
  jq -r .package body.json | base64 -d >"offline/api-$fam.zip"
  expect_eq "$fam: API package offline: exit 0" 0 "$(offline_code evidence verify "api-$fam.zip" --trust "$fam-root.pem" --json)"
  expect_eq "$fam: the sign.create entry is in it" 1 \
    "$(jq '[.elements[] | select((.element | endswith(" sign.create")) and .status == "valid")] | length' out.txt)"
  expect_eq "$fam: signing time from the signature timestamp" timestamp "$(jq -r .signing_time.source out.txt)"
  expect_eq "$fam: ra_officer of the organization: 201" 201 \
    "$(code -H "Authorization: Bearer $RA" "${API}evidence" -d "{\"signature\":\"$SIG\"}")"
  expect_eq "$fam: ra_officer of another organization: 404" 404 \
    "$(code -H "Authorization: Bearer $RA_B" "${API}evidence" -d "{\"signature\":\"$SIG\"}")"
  expect_eq "$fam: integration: 403" 403 \
    "$(code -H "Authorization: Bearer $INTEG" "${API}evidence" -d "{\"signature\":\"$SIG\"}")"
  expect_eq "$fam: no credentials: 401" 401 "$(code "${API}evidence" -d "{\"signature\":\"$SIG\"}")"
done
ID=$(unzip -p sm2-det.zip META-INF/manifest.json | jq -r .id)
renewed=0
for _ in $(seq 1 100); do
  renewed=$("${C[@]}" -H "Authorization: Bearer $AUDITOR" "${API}evidence/$ID" | jq -r .renewals)
  [ "$renewed" -ge 1 ] && break
  sleep 0.2
done
check "kept package renewed by hpki serve" test "$renewed" -ge 1
"${C[@]}" -H "Authorization: Bearer $AUDITOR" "${API}evidence/$ID" | jq -r .package | base64 -d >offline/renewed.zip
expect_eq "renewed package offline: exit 0" 0 "$(offline_code evidence verify renewed.zip --trust sm2-root.pem --json)"
expect_eq "renewal 1 checked" valid "$(jq -r '.elements[] | select(.element == "renewal:1") | .status' out.txt)"
$TAMPER offline/renewed.zip offline/t.zip flip META-INF/renewal-1.tst
expect_eq "altered renewal: exit 1" 1 "$(offline_code evidence verify t.zip --trust sm2-root.pem --json)"
check "altered renewal: named" grep -q "renewal:1: evidence.renewal_invalid" <(jq -r '.reasons[]' out.txt)
expect_eq "kept package of another organization: 404" 404 "$(code -H "Authorization: Bearer $RA_B" "${API}evidence/$ID")"
check "renewals are audited" grep -q "evidence.renew" <(h audit list --limit 10000)
expect_eq "not a signature: 400" 400 "$(code -H "Authorization: Bearer $AUDITOR" "${API}evidence" -d '{"signature":"AAAA"}')"
expect_eq "signature not base64: 400" 400 "$(code -H "Authorization: Bearer $AUDITOR" "${API}evidence" -d '{"signature":"***"}')"
expect_eq "hash_only not a boolean: 400" 400 "$(code -H "Authorization: Bearer $AUDITOR" "${API}evidence" -d "{\"signature\":\"$SIG\",\"hash_only\":1}")"
check "exports are audited" grep -q "evidence.export" <(h audit list --limit 10000)
stop_server

# Revocation: a package exported before stays valid; a signature made after is invalid.
for fam in rsa sm2; do
  h cert revoke "$(cat "$fam.serial")" --reason keyCompromise >/dev/null
  expect_eq "$fam: package exported before the revocation: still valid" 0 \
    "$(offline_code evidence verify "$fam-det.zip" --trust "$fam-root.pem")"
  h sign --key "org-$fam" --in doc.txt --out "$fam-late.p7s" --detached
  expect_eq "$fam: export of a signature made after the revocation: exit 1" 1 \
    "$(code_of h evidence export --in "$fam-late.p7s" --data doc.txt --out "offline/$fam-late.zip")"
  expect_eq "$fam: signature after the revocation: exit 1 offline" 1 \
    "$(offline_code evidence verify "$fam-late.zip" --trust "$fam-root.pem" --json)"
  check "$fam: named: revoked" grep -q "certificate_path: revoked" <(jq -r '.reasons[]' out.txt)
  expect_eq "$fam: certificate package exported before the revocation: still valid" 0 \
    "$(offline_code evidence verify "$fam-cert.zip" --trust "$fam-root.pem")"
  expect_eq "$fam: certificate package exported after the revocation: exit 1" 1 \
    "$(code_of h evidence export --serial "$(cat "$fam.serial")" --out "offline/$fam-cert-late.zip")"
  expect_eq "$fam: and offline: revoked" revoked \
    "$(offline evidence verify "$fam-cert-late.zip" --trust "$fam-root.pem" --json | jq -r '.elements[] | select(.element == "certificate_path") | .reason')"
done

# An audit entry altered in the database after export: the package keeps its verdict, the log
# verification finds the change.
seq=$(unzip -p sm2-det.zip audit/entries.json | jq '.[0].seq')
if [ "$1" == "sqlite" ]; then
  sqlite3 "$H/hpki.db" "UPDATE audit_log SET actor='mallory' WHERE seq=$seq"
else
  psql "$DB_URL" -qc "UPDATE audit_log SET actor='mallory' WHERE seq=$seq"
fi
expect_eq "altered database: the exported package is still valid" 0 \
  "$(offline_code evidence verify sm2-det.zip --trust sm2-root.pem)"
expect_eq "altered database: hpki audit verify exit 1" 1 "$(code_of h audit verify)"
check "altered database: audit.hash_mismatch at that entry" grep -q "audit.hash_mismatch" out.txt err.txt

finish
