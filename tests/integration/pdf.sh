#!/usr/bin/env bash
# PDF signatures through the CLI (issue 20), against real outside tools:
#   tests/integration/pdf.sh sqlite|postgresql
# Test PDFs from make_pdf.py (Chinese text, 3 pages, an AcroForm field; classic cross-reference
# table, and a cross-reference-stream variant from `qpdf --object-streams=generate`); organization
# keys RSA-2048, ECDSA P-256 and SM2 with org-sign certificates of the home's CAs; the home's TSA
# in `hpki serve`. Asserts:
#   - every output passes `qpdf --check`; `hpki verify pdf` exit 0 at B-B, B-T, B-LT, B-LTA;
#     poppler's pdfsig says "Signature is Valid." for RSA and P-256; `openssl cms -verify` checks
#     the RSA / P-256 CMS in /Contents over the ByteRange bytes; for SM2, `openssl dgst -sm3`
#     recomputes the messageDigest and `openssl pkeyutl` (GM/T 0009 ID) checks the signature over
#     the signed attributes (and fails without the ID); `openssl ts -verify` checks the B-LTA
#     document timestamp;
#   - pdftoppm renders the seal image inside its rectangle (red pixels inside, none outside),
#     at a --rect and at an --anchor;
#   - two and three signatures in sequence, a certification (DocMDP P=2) and an approval;
#   - tamper cases with their diagnostics: a changed byte in the ByteRange, a page added, an
#     annotation added after a P=1 certification, a swapped appearance image, a signer revoked
#     before (invalid) and after (valid, noted) the timestamp;
#   - seals: an SM2 seal stamp (GB/T 38540 SES_Signature: valid in hpki; OpenSSL checks its
#     dataHash, the signer's and the seal maker's SM2 signatures, the picture), drawn in its
#     rectangle; a changed byte and a swapped seal image; an RSA seal checked by pdfsig; an
#     expired seal and another signer's seal are refused;
#   - the Quick start of docs/pdf.md (after `make run`'s scripts/run.sh made the demo home), and
#     the same three steps on a fresh home of one's own.
# pdf_tool.py reads the files from outside hpki (ByteRange, CMS, PNG pixels) and writes the
# tampering incremental updates.
source "$(dirname "$0")/lib.sh"
setup_db "$1"
TOOL="$(cd "$(dirname "$0")" && pwd)/pdf_tool.py"
MAKE_PDF="$(cd "$(dirname "$0")" && pwd)/make_pdf.py"
H=$WORK/home
new_home "$H" rsa,ecdsa,sm2
h() { "$HPKI" --home "$H" "$@"; }
cd "$WORK"

code_of() { set +e; "$@" >out.txt 2>err.txt; echo $?; set -e; }
fails() { ! "$@" >/dev/null 2>&1; }
quiet() { "$@" >/dev/null 2>&1; }
qcheck() { qpdf --check "$1" >/dev/null 2>&1; }        # exit 0: no errors, no warnings
hs() { h sign pdf "$@" >/dev/null; }
# vjson FILE: `hpki --json verify pdf FILE` into v.json; prints the exit code.
vjson() { set +e; h --json verify pdf "$1" >v.json 2>verr.txt; echo $?; set -e; }
jv() { jq -r "$1" v.json; }
# pdfsig_valid FILE: how many signatures pdfsig finds valid.
pdfsig_valid() { { pdfsig "$1" 2>/dev/null || true; } | grep -c "Signature Validation: Signature is Valid\." || true; }
# new_signer ID FAMILY CN: a key, an org-sign certificate of the home's issuing CA, key import
# and key register for 示例医院.
new_signer() {
  local id=$1 fam=$2
  case $fam in
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$id.key" 2>/dev/null ;;
    ecdsa) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$id.key" 2>/dev/null ;;
    sm2) openssl genpkey -algorithm SM2 -out "$id.key" 2>/dev/null ;;
  esac
  if [ "$fam" == "sm2" ]; then
    openssl req -new -key "$id.key" -sm3 -sigopt distid:1234567812345678 -utf8 -out "$id.csr" -subj "/CN=org" 2>/dev/null
  else
    openssl req -new -key "$id.key" -utf8 -out "$id.csr" -subj "/CN=org" 2>/dev/null
  fi
  h cert issue --profile org-sign --csr "$id.csr" --name "$3" --org 示例医院 --country CN --out "$id.pem" >"$id.serial"
  h key import --name "$id" --in "$id.key" >/dev/null
  h key register --id "$id" --ref "file:$id" --cert "$id.pem" --chain "$fam-issuing.pem" --org 示例医院 >/dev/null
}

for fam in rsa ecdsa sm2; do
  h ca chain --family "$fam" >"$fam-chain.pem"
  csplit -s -z -f "$fam-ca-" "$fam-chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'
  mv "$fam-ca-00" "$fam-issuing.pem"; mv "$fam-ca-01" "$fam-root.pem"
  new_signer "org-$fam" "$fam" "示例医院 $fam signing"
done
openssl x509 -in org-sm2.pem -pubkey -noout >sm2-pub.pem
openssl x509 -in org-sm2.pem -outform DER -out org-sm2.der
cat rsa-root.pem ecdsa-root.pem >tsa-roots.pem   # the TSA tokens are RSA or ECDSA (openssl ts)

python3 "$MAKE_PDF" doc.pdf 3
qpdf --object-streams=generate doc.pdf docx.pdf
python3 "$MAKE_PDF" --seal seal.png red
check "test PDF: qpdf --check" qcheck doc.pdf
check "test PDF (cross-reference stream): qpdf --check" qcheck docx.pdf
check "test PDF (cross-reference stream) has an xref stream" grep -q -a "/Type /XRef" docx.pdf
expect_eq "test PDF: unsigned, hpki verify pdf exit 1" 1 "$(vjson doc.pdf)"
expect_eq "test PDF: unsigned, no signatures" pdf.no_signatures "$(jv .status)"

# second_check FILE N WHAT FAMILY: the N-th signature's CMS checked by OpenSSL over the bytes of
# its ByteRange.
second_check() {
  local file=$1 n=$2 what=$3 fam=$4
  python3 "$TOOL" extract "$file" "$n" x
  if [ "$fam" != "sm2" ]; then
    check "$what: openssl cms -verify over the ByteRange" \
      quiet openssl cms -verify -binary -inform DER -in x.cms -content x.bin -CAfile "$fam-root.pem" -out /dev/null
    return
  fi
  local dalg salg md
  read -r dalg salg md < <(python3 "$TOOL" signer-info x.cms x)
  expect_eq "$what: SM2 CMS digest algorithm SM3" 1.2.156.10197.1.401 "$dalg"
  expect_eq "$what: SM2 CMS signature algorithm SM2-with-SM3" 1.2.156.10197.1.501 "$salg"
  expect_eq "$what: messageDigest = SM3 of the ByteRange bytes (openssl dgst)" \
    "$(openssl dgst -sm3 -r x.bin | cut -d' ' -f1)" "$md"
  check "$what: the signer certificate is in the CMS" python3 -c \
    'import sys; sys.exit(open(sys.argv[2], "rb").read() not in open(sys.argv[1], "rb").read())' x.cms org-sm2.der
  check "$what: openssl pkeyutl verifies the SM2 signature over the signed attributes (ID 1234567812345678)" \
    quiet openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin -inkey sm2-pub.pem \
    -in x.attrs -sigfile x.sig
  check "$what: and not with OpenSSL's empty default ID" \
    fails openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey sm2-pub.pem -in x.attrs -sigfile x.sig
}

# ---- every family at every level ------------------------------------------------------------
start_server "$H"
TSA="${PLAIN}tsa"
for fam in rsa ecdsa sm2; do
  for lv in b-b b-t b-lt b-lta; do
    out=$fam-$lv.pdf
    args=(--key "org-$fam" --in doc.pdf --out "$out" --level "$lv" --reason "出院小结 $lv")
    [ "$lv" != b-b ] && args+=(--tsa "$TSA")
    [ "$lv" == b-b ] && args+=(--image seal.png --page 1 --rect 350,400,150,150)
    check "$fam $lv: hpki sign pdf" hs "${args[@]}"
    check "$fam $lv: qpdf --check" qcheck "$out"
    expect_eq "$fam $lv: hpki verify pdf exit 0" 0 "$(vjson "$out")"
    expect_eq "$fam $lv: the signature is valid" valid "$(jv '.signatures[0].status')"
    expect_eq "$fam $lv: the signer" "示例医院 $fam signing" "$(jv '.signatures[0].name')"
    expect_eq "$fam $lv: the reason" "出院小结 $lv" "$(jv '.signatures[0].reason')"
    case $lv in
      b-b)
        expect_eq "$fam $lv: covers the whole file" true "$(jv '.signatures[0].covers_whole_file')" ;;
      b-t)
        expect_eq "$fam $lv: the signature timestamp is valid" true "$(jv '.signatures[0].cms.timestamp.valid')"
        expect_eq "$fam $lv: validated at the timestamp" timestamp "$(jv '.signatures[0].cms.time_source')" ;;
      b-lt | b-lta)
        check "$fam $lv: a /DSS with the CRLs" test "$(jv '.dss.crls')" -ge 2
        check "$fam $lv: a /DSS with the certificates" test "$(jv '.dss.certificates')" -ge 3
        expect_eq "$fam $lv: the /DSS update is noted, not a failure" "pdf.dss_updated_after_signature false" \
          "$(jv '.signatures[0].findings[] | select(.id == "pdf.dss_updated_after_signature") | "\(.id) \(.invalidating)"')" ;;
    esac
    if [ "$lv" == b-lta ]; then
      expect_eq "$fam $lv: a document timestamp" DocTimeStamp "$(jv '.signatures[1].type')"
      expect_eq "$fam $lv: the document timestamp is valid" true "$(jv '.signatures[1].document_timestamp.valid')"
      python3 "$TOOL" extract "$out" 2 ts
      check "$fam $lv: openssl ts -verify checks the document timestamp over its ByteRange" \
        quiet openssl ts -verify -data ts.bin -in ts.cms -token_in -CAfile tsa-roots.pem
    fi
    [ "$fam" != sm2 ] && expect_eq "$fam $lv: pdfsig: Signature is Valid" 1 "$(pdfsig_valid "$out")"
    second_check "$out" 1 "$fam $lv" "$fam"
  done
  # The cross-reference-stream input; B-LT adds a second update.
  out=$fam-xref.pdf
  check "$fam xref stream: hpki sign pdf (B-LT, visible)" hs --key "org-$fam" --in docx.pdf --out "$out" \
    --level b-lt --tsa "$TSA" --image seal.png --page 2 --rect 100,100,120,120
  check "$fam xref stream: qpdf --check" qcheck "$out"
  expect_eq "$fam xref stream: hpki verify pdf exit 0" 0 "$(vjson "$out")"
  expect_eq "$fam xref stream: 3 revisions" 3 "$(jv .revisions)"
  [ "$fam" != sm2 ] && expect_eq "$fam xref stream: pdfsig: Signature is Valid" 1 "$(pdfsig_valid "$out")"
  second_check "$out" 1 "$fam xref stream" "$fam"
done
check "sm2 b-b: pdfsig cannot check SM2 (no false 'valid')" test "$(pdfsig_valid sm2-b-b.pdf)" -eq 0

# ---- the seal image is drawn in its rectangle -----------------------------------------------
pdftoppm -r 72 -png -f 1 -l 1 doc.pdf unsigned
expect_eq "unsigned page 1: no red pixels" "0 0" "$(python3 "$TOOL" pixels unsigned-1.png 350,400,150,150 red)"
for fam in rsa sm2; do
  expect_eq "$fam: the widget is at the --rect on page 1" "1 350,400,150,150" "$(python3 "$TOOL" sig-rects "$fam-b-b.pdf")"
  pdftoppm -r 72 -png -f 1 -l 1 "$fam-b-b.pdf" "render-$fam"
  read -r inside outside < <(python3 "$TOOL" pixels "render-$fam-1.png" 350,400,150,150 red)
  check "$fam: the seal's red pixels are inside the rectangle ($inside)" test "$inside" -gt 2000
  expect_eq "$fam: no red pixels outside the rectangle" 0 "$outside"
done
# Anchored to the text "医生签名:" (page 3, at x 72, baseline 160, 5 glyphs of 12 pt).
check "anchor: hpki sign pdf --anchor" hs --key org-sm2 --in doc.pdf --out anchor.pdf --image seal.png --anchor 医生签名:
read -r apage arect < <(python3 "$TOOL" sig-rects anchor.pdf)
expect_eq "anchor: the widget is on the last page" 3 "$apage"
check "anchor: the widget is centred on the text ($arect)" python3 -c '
import sys; x, y, w, h = map(float, sys.argv[1].split(","))
sys.exit(not (abs(x + w / 2 - 102) < 15 and abs(y + h / 2 - 165) < 15))' "$arect"
pdftoppm -r 72 -png -f 3 -l 3 anchor.pdf render-anchor
read -r inside outside < <(python3 "$TOOL" pixels render-anchor-3.png "$arect" red)
check "anchor: red pixels inside the widget ($inside)" test "$inside" -gt 200
expect_eq "anchor: no red pixels outside the widget" 0 "$outside"
expect_eq "anchor: hpki verify pdf exit 0" 0 "$(vjson anchor.pdf)"

# ---- several signatures in sequence; certification then approval ------------------------------
check "sequence: resident (RSA, visible)" hs --key org-rsa --in doc.pdf --out seq1.pdf \
  --image seal.png --page 3 --rect 300,100,100,100 --reason 住院医师
check "sequence: attending (P-256, invisible)" hs --key org-ecdsa --in seq1.pdf --out seq2.pdf --reason 主治医师
check "sequence: department (SM2, another rect)" hs --key org-sm2 --in seq2.pdf --out seq3.pdf \
  --image seal.png --page 3 --rect 420,100,100,100 --reason 科室
for f in seq2 seq3; do check "$f: qpdf --check" qcheck "$f.pdf"; done
expect_eq "sequence: pdfsig: both signatures valid" 2 "$(pdfsig_valid seq2.pdf)"
expect_eq "sequence: pdfsig: RSA and P-256 still valid under SM2" 2 "$(pdfsig_valid seq3.pdf)"
expect_eq "sequence: hpki verify pdf exit 0" 0 "$(vjson seq3.pdf)"
expect_eq "sequence: three valid signatures" "valid valid valid" "$(jv '[.signatures[].status] | join(" ")')"
expect_eq "sequence: the two later signatures are noted on the first, not failures" "false false" \
  "$(jv '[.signatures[0].findings[] | select(.id == "pdf.signature_added_after_signature") | .invalidating] | join(" ")')"
second_check seq3.pdf 1 "sequence: signature 1" rsa
second_check seq3.pdf 2 "sequence: signature 2" ecdsa
second_check seq3.pdf 3 "sequence: signature 3" sm2

check "certification: P-256 --certify 2" hs --key org-ecdsa --in doc.pdf --out cert1.pdf --certify 2 \
  --image seal.png --page 1 --rect 350,400,150,150
check "certification: then an RSA approval" hs --key org-rsa --in cert1.pdf --out cert2.pdf
check "certification: qpdf --check" qcheck cert2.pdf
expect_eq "certification: pdfsig: both valid" 2 "$(pdfsig_valid cert2.pdf)"
expect_eq "certification: hpki verify pdf exit 0" 0 "$(vjson cert2.pdf)"
expect_eq "certification: DocMDP P=2 on the first" 2 "$(jv '.signatures[0].docmdp_p')"
expect_eq "certification: both valid" "valid valid" "$(jv '[.signatures[].status] | join(" ")')"
check "certification (SM2): --certify 2" hs --key org-sm2 --in doc.pdf --out certs1.pdf --certify 2
check "certification (SM2): then a P-256 approval" hs --key org-ecdsa --in certs1.pdf --out certs2.pdf
expect_eq "certification (SM2): hpki verify pdf exit 0" 0 "$(vjson certs2.pdf)"
expect_eq "certification (SM2): DocMDP P=2 on the first" 2 "$(jv '.signatures[0].docmdp_p')"
expect_eq "certification (SM2): pdfsig: the approval valid" 1 "$(pdfsig_valid certs2.pdf)"

# ---- tamper cases ---------------------------------------------------------------------------
# A changed byte inside the ByteRange: the patient's name in the form field of the signed revision.
for fam in rsa sm2; do
  python3 - "$fam-b-b.pdf" "tb-$fam.pdf" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"(Zhang San)")
open(sys.argv[2], "wb").write(d[:i] + b"(Zhang Sun)" + d[i + 11:])
PY
  check "changed byte ($fam): the file is still well-formed" qcheck "tb-$fam.pdf"
  expect_eq "changed byte ($fam): exit 1" 1 "$(vjson "tb-$fam.pdf")"
  expect_eq "changed byte ($fam): pdf.digest_mismatch" pdf.digest_mismatch "$(jv '.signatures[0].status')"
  python3 "$TOOL" extract "tb-$fam.pdf" 1 x
  if [ "$fam" == rsa ]; then
    check "changed byte: pdfsig agrees (Digest Mismatch)" grep -q "Digest Mismatch" <(pdfsig "tb-$fam.pdf" 2>/dev/null || true)
    check "changed byte: openssl cms -verify agrees" fails openssl cms -verify -binary -inform DER -in x.cms \
      -content x.bin -CAfile rsa-root.pem -out /dev/null
  fi
done

# A page added by a later incremental update.
for fam in ecdsa sm2; do
  python3 "$TOOL" add-page "$fam-b-b.pdf" "tp-$fam.pdf"
  check "page added ($fam): qpdf --check" qcheck "tp-$fam.pdf"
  expect_eq "page added ($fam): 4 pages" 4 "$(qpdf --show-npages "tp-$fam.pdf")"
  expect_eq "page added ($fam): exit 1" 1 "$(vjson "tp-$fam.pdf")"
  expect_eq "page added ($fam): pdf.page_added_after_signature" pdf.page_added_after_signature "$(jv '.signatures[0].status')"
done
check "page added: pdfsig no longer says the whole document is signed" \
  fails grep -q "Total document signed" <(pdfsig tp-ecdsa.pdf 2>/dev/null || true)

# An annotation added after a DocMDP P=1 certification; after an approval signature it is noted.
for fam in rsa sm2; do
  check "P=1 ($fam): --certify 1" hs --key "org-$fam" --in doc.pdf --out "p1-$fam.pdf" --certify 1
  python3 "$TOOL" add-annot "p1-$fam.pdf" "ta-$fam.pdf"
  check "annotation after P=1 ($fam): qpdf --check" qcheck "ta-$fam.pdf"
  expect_eq "annotation after P=1 ($fam): exit 1" 1 "$(vjson "ta-$fam.pdf")"
  expect_eq "annotation after P=1 ($fam): pdf.annotation_added_after_certification" \
    pdf.annotation_added_after_certification "$(jv '.signatures[0].status')"
done
python3 "$TOOL" add-annot rsa-b-b.pdf ta-approval.pdf
expect_eq "annotation after an approval signature: exit 0" 0 "$(vjson ta-approval.pdf)"
expect_eq "annotation after an approval signature: noted" "pdf.annotation_added_after_signature false" \
  "$(jv '.signatures[0].findings[] | select(.id | startswith("pdf.annotation")) | "\(.id) \(.invalidating)"')"

# The appearance image of a signed signature swapped for a blue square in a later update.
for fam in rsa sm2; do
  python3 "$TOOL" swap-image "$fam-b-b.pdf" "ts-$fam.pdf" >/dev/null
  check "swapped image ($fam): qpdf --check" qcheck "ts-$fam.pdf"
  pdftoppm -r 72 -png -f 1 -l 1 "ts-$fam.pdf" "render-ts-$fam"
  read -r inside outside < <(python3 "$TOOL" pixels "render-ts-$fam-1.png" 350,400,150,150 blue)
  check "swapped image ($fam): a viewer now shows the blue square ($inside)" test "$inside" -gt 10000
  expect_eq "swapped image ($fam): exit 1" 1 "$(vjson "ts-$fam.pdf")"
  expect_eq "swapped image ($fam): pdf.signature_appearance_changed_after_signature" \
    pdf.signature_appearance_changed_after_signature "$(jv '.signatures[0].status')"
done

# Revoked signers: before the signing time (the timestamp) invalid; after it valid and noted.
for fam in ecdsa sm2; do
  new_signer "rb-$fam" "$fam" "revoked before $fam"
  new_signer "ra-$fam" "$fam" "revoked after $fam"
  h cert revoke "$(cat "rb-$fam.serial")" --reason keyCompromise >/dev/null
  sleep 1.1  # times have whole seconds: the signing time after the revocation
  check "revoked before ($fam): sign B-T" hs --key "rb-$fam" --in doc.pdf --out "rb-$fam.pdf" --level b-t --tsa "$TSA"
  check "revoked after ($fam): sign B-T" hs --key "ra-$fam" --in doc.pdf --out "ra-$fam.pdf" --level b-t --tsa "$TSA"
done
sleep 1.1
for fam in ecdsa sm2; do h cert revoke "$(cat "ra-$fam.serial")" --reason keyCompromise >/dev/null; done
for fam in ecdsa sm2; do
  expect_eq "revoked before ($fam): exit 1" 1 "$(vjson "rb-$fam.pdf")"
  expect_eq "revoked before ($fam): revoked" revoked "$(jv '.signatures[0].status')"
  expect_eq "revoked before ($fam): judged at the timestamp" timestamp "$(jv '.signatures[0].cms.time_source')"
  expect_eq "revoked after ($fam): exit 0" 0 "$(vjson "ra-$fam.pdf")"
  expect_eq "revoked after ($fam): judged at the timestamp" timestamp "$(jv '.signatures[0].cms.time_source')"
  expect_eq "revoked after ($fam): noted sign.revoked_after_signing" sign.revoked_after_signing \
    "$(jv '[.signatures[0].cms.notes[].id] | join(" ")')"
done

# ---- seals (hpki seal create; docs/seals.md) ------------------------------------------------
# An SM2 seal made by the seal maker's key (a GB/T 38540 SESeal) for the SM2 signer, an RSA
# seal (image and record) for the RSA signer, an SM2 seal that expired.
new_signer seal-maker sm2 "示例医院 制章"
seal_id() { jq -r .id; }
SM2_SEAL=$(h --json seal create --org 示例医院 --name 示例医院电子公章 --image seal.png --cert org-sm2.pem \
  --maker-key seal-maker | seal_id)
RSA_SEAL=$(h --json seal create --org 示例医院 --name 示例医院合同章 --image seal.png --cert org-rsa.pem | seal_id)
OLD_SEAL=$(h --json seal create --org 示例医院 --name 过期公章 --image seal.png --cert org-sm2.pem \
  --maker-key seal-maker --valid-from 2025-01-01T00:00:00Z --valid-to 2025-06-01T00:00:00Z | seal_id)
check "seals created ($SM2_SEAL $RSA_SEAL $OLD_SEAL)" test -n "$SM2_SEAL" -a -n "$RSA_SEAL" -a -n "$OLD_SEAL"

check "SM2 seal: stamp B-B at a rect" hs --key org-sm2 --in doc.pdf --out stamp.pdf --seal "$SM2_SEAL" \
  --page 1 --rect 350,400,150,150
check "SM2 seal: stamp B-T at the anchor" hs --key org-sm2 --in doc.pdf --out stamp-t.pdf --seal "$SM2_SEAL" \
  --anchor 医生签名: --level b-t --tsa "$TSA"
for f in stamp stamp-t; do
  check "$f: qpdf --check" qcheck "$f.pdf"
  expect_eq "$f: hpki verify pdf exit 0" 0 "$(vjson "$f.pdf")"
  expect_eq "$f: a GB/T 38540 stamp" GBT38540.SES "$(jv '.signatures[0].sub_filter')"
  expect_eq "$f: valid" valid "$(jv '.signatures[0].status')"
  expect_eq "$f: the seal's name" 示例医院电子公章 "$(jv '.signatures[0].seal_stamp.seal_name')"
  expect_eq "$f: the seal's esID" "$SM2_SEAL" "$(jv '.signatures[0].seal_stamp.es_id')"
done
expect_eq "stamp-t: judged at the timestamp" timestamp "$(jv '.signatures[0].seal_stamp.time_source')"
# The SES_Signature in /Contents checked by OpenSSL: dataHash = SM3 of the ByteRange bytes, the
# signer's SM2 signature over TBS_Sign and the maker's over the seal (GM/T 0009 ID), the picture.
python3 "$TOOL" extract stamp.pdf 1 x
read -r salg dhash prop < <(python3 "$TOOL" ses x.cms x)
expect_eq "SES_Signature: SM2-with-SM3" 1.2.156.10197.1.501 "$salg"
expect_eq "SES_Signature: dataHash = SM3 of the ByteRange bytes (openssl dgst)" \
  "$(openssl dgst -sm3 -r x.bin | cut -d' ' -f1)" "$dhash"
expect_eq "SES_Signature: propertyInfo" "PDF /ByteRange" "$prop"
check "SES_Signature: the signer's certificate" cmp -s <(openssl x509 -inform DER -in x.cert -outform DER) org-sm2.der
check "SES_Signature: openssl pkeyutl verifies the signature over TBS_Sign" quiet openssl pkeyutl -verify -rawin \
  -digest sm3 -pkeyopt distid:1234567812345678 -pubin -inkey sm2-pub.pem -in x.tbs -sigfile x.sig
check "SES_Signature: and not with the empty default ID" \
  fails openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey sm2-pub.pem -in x.tbs -sigfile x.sig
check "SESeal: the maker's certificate" cmp -s <(openssl x509 -inform DER -in x.maker-cert -outform DER) \
  <(openssl x509 -in seal-maker.pem -outform DER)
check "SESeal: openssl pkeyutl verifies the maker's signature" quiet openssl pkeyutl -verify -rawin -digest sm3 \
  -pkeyopt distid:1234567812345678 -pubin -inkey <(openssl x509 -in seal-maker.pem -pubkey -noout) \
  -in x.seal-tbs -sigfile x.seal-sig
check "SESeal: the picture is the seal's image" cmp -s x.picture seal.png
pdftoppm -r 72 -png -f 1 -l 1 stamp.pdf render-stamp
read -r inside outside < <(python3 "$TOOL" pixels render-stamp-1.png 350,400,150,150 red)
check "SM2 seal: the seal's red pixels are inside the rectangle ($inside)" test "$inside" -gt 2000
expect_eq "SM2 seal: no red pixels outside the rectangle" 0 "$outside"
# Tampering with a stamp: a changed byte; the seal image swapped in a later update.
python3 - stamp.pdf tb-stamp.pdf <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"(Zhang San)")
open(sys.argv[2], "wb").write(d[:i] + b"(Zhang Sun)" + d[i + 11:])
PY
expect_eq "SM2 seal, changed byte: exit 1" 1 "$(vjson tb-stamp.pdf)"
expect_eq "SM2 seal, changed byte: pdf.digest_mismatch" pdf.digest_mismatch "$(jv '.signatures[0].status')"
python3 "$TOOL" swap-image stamp.pdf ts-stamp.pdf >/dev/null
check "SM2 seal, swapped image: qpdf --check" qcheck ts-stamp.pdf
expect_eq "SM2 seal, swapped image: exit 1" 1 "$(vjson ts-stamp.pdf)"
expect_eq "SM2 seal, swapped image: pdf.signature_appearance_changed_after_signature" \
  pdf.signature_appearance_changed_after_signature "$(jv '.signatures[0].status')"
# An RSA seal: a PAdES signature with the seal's image; pdfsig checks it.
check "RSA seal: sign" hs --key org-rsa --in doc.pdf --out rsa-seal.pdf --seal "$RSA_SEAL" --page 1 --rect 350,400,150,150
expect_eq "RSA seal: hpki verify pdf exit 0" 0 "$(vjson rsa-seal.pdf)"
expect_eq "RSA seal: pdfsig: Signature is Valid" 1 "$(pdfsig_valid rsa-seal.pdf)"
# Refusals: an expired seal, a seal that does not list the signer; nothing is written.
expect_eq "expired seal: refused (exit 2)" 2 "$(code_of hs --key org-sm2 --in doc.pdf --out expired.pdf --seal "$OLD_SEAL" --page 1 --rect 350,400,150,150)"
check "expired seal: seal.expired" grep -q "seal.expired" err.txt
check "expired seal: no output" test ! -e expired.pdf
check "another signer's seal: refused" test "$(code_of hs --key org-ecdsa --in doc.pdf --out other.pdf --seal "$RSA_SEAL" --page 1 --rect 350,400,150,150)" -ne 0
check "another signer's seal: seal.signer_not_allowed" grep -q "seal.signer_not_allowed" err.txt
stop_server

# ---- the newcomer: docs/pdf.md "Quick start" -----------------------------------------------
# `make run` (scripts/run.sh) creates the demo home with its signing keys and seals, then serves;
# once it serves it is stopped, and the commands of the Quick start run as docs/pdf.md prints
# them (build/bin/hpki and hpki-data pointed at this test's binary and home), without
# HPKI_PASSPHRASE (the demo home keeps its own).
REPO=$(cd "$(dirname "$TOOL")/../.." && pwd)
DEMO=$WORK/hpki-data
env -u HPKI_PASSPHRASE HPKI_HOME="$DEMO" HPKI_API_LISTEN=127.0.0.1:0 HPKI_HTTP_LISTEN=127.0.0.1:0 \
  bash "$REPO/scripts/run.sh" >run.out 2>run.err &
RUN_PID=$!
SERVERS="$SERVERS $RUN_PID"  # stopped by cleanup if the test ends early
for _ in $(seq 1 900); do
  grep -q "Stop with Ctrl-C" run.out 2>/dev/null && break
  kill -0 "$RUN_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q "Stop with Ctrl-C" run.out || { echo "---- make run:"; cat run.out run.err; } >&2
check "make run: the demo home is ready (keys and seals)" grep -q "Stop with Ctrl-C" run.out
sleep 0.5
kill -TERM "$RUN_PID" 2>/dev/null || true
wait "$RUN_PID" 2>/dev/null || true
SERVERS=$(tr ' ' '\n' <<<"$SERVERS" | grep -vx "$RUN_PID" | tr '\n' ' ' || true)
awk '/^## Quick start/ {q = 1} q && /^```/ {n++; next} q && n == 1 {print} n >= 2 {exit}' "$REPO/docs/pdf.md" |
  sed -e ':a' -e '/\\$/{N;s/\\\n//;ba}' >quickstart.sh
expect_eq "docs/pdf.md Quick start: three commands" 3 "$(grep -c . quickstart.sh)"
sed -i -e "s#build/bin/hpki#\"$HPKI\"#g" -e "s#hpki-data#$DEMO#g" \
  -e "s#tests/integration/make_pdf.py#$MAKE_PDF#g" quickstart.sh
mkdir newcomer && cp quickstart.sh newcomer/
expect_eq "docs/pdf.md Quick start: the commands succeed (exit 0 of verify)" 0 \
  "$(cd newcomer && set +e; env -u HPKI_PASSPHRASE bash -e quickstart.sh >../out.txt 2>../err.txt; echo $?)"
check "Quick start: the report says valid" grep -q "PDF verification: OK (valid)" out.txt
read -r qpage qrect < <(python3 "$TOOL" sig-rects newcomer/signed.pdf)
expect_eq "Quick start: the seal is on the last page" 3 "$qpage"
pdftoppm -r 72 -png -f 3 -l 3 newcomer/signed.pdf render-quick
read -r inside outside < <(python3 "$TOOL" pixels render-quick-3.png "$qrect" red)
check "Quick start: the seal is drawn on the anchor ($inside red pixels in $qrect)" test "$inside" -gt 1000
expect_eq "Quick start: no red pixels elsewhere" 0 "$outside"

# The same with a fresh home of one's own, as the brief of issue 20 puts it: an org-sign key
# registered, then sign with a seal image at the anchor, then verify.
N=$WORK/newcomer-home
(DB_URL=""; new_home "$N")  # its own SQLite file: the test database belongs to $H
n() { "$HPKI" --home "$N" "$@"; }
ns() { n sign pdf "$@" >/dev/null; }
openssl genpkey -algorithm SM2 -out doctor.key 2>/dev/null
openssl req -new -key doctor.key -sm3 -sigopt distid:1234567812345678 -utf8 -out doctor.csr -subj "/CN=org" 2>/dev/null
n cert issue --profile org-sign --csr doctor.csr --name "示例医院 电子公章" --org 示例医院 --country CN --out doctor.pem >/dev/null
n ca chain --family sm2 | csplit -s -z -f newcomer-ca- - '/-----BEGIN CERTIFICATE-----/' '{*}'
n key import --name hospital --in doctor.key >/dev/null
check "own home (1): key register" quiet n key register --id hospital --ref file:hospital --cert doctor.pem \
  --chain newcomer-ca-00 --org 示例医院
check "own home (2): sign with the seal image at the anchor" ns --key hospital --in doc.pdf --out signed.pdf \
  --image seal.png --anchor 医生签名:
expect_eq "own home (3): hpki verify pdf exit 0" 0 "$(code_of n verify pdf signed.pdf)"
check "own home (3): the report names the signer" grep -q "示例医院 电子公章" out.txt

finish
